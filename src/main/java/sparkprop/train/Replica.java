package sparkprop.train;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.TreeMap;
import sparkprop.core.Optimizer;

/**
 * The part of the training state each member of a ring keeps and updates itself after every step
 * ({@link DriverStep#apply}): the parameters, the optimizer's arrays and, with --ema, the moving
 * average. Every member applies the same update to the same totals, so all replicas stay equal bit
 * for bit, and equal to the driver's in a star. Its wire form, how a launch starts from the driver's
 * state and how the driver gets a member's back: the arrays as float32, little-endian, each after
 * its int32 length, in the order parameters, the optimizer's arrays by name, the average (length 0
 * without --ema).
 */
record Replica(float[] params, Optimizer optimizer, float[] average) {
    /** Empty arrays of the right sizes for {@code config}, to {@link #load} into. */
    static Replica empty(TrainConfig config, int parameters) {
        return new Replica(new float[parameters], config.newOptimizer(parameters), config.ema() > 0 ? new float[parameters] : null);
    }

    /** The driver's state's parts (live arrays). */
    static Replica of(TrainingState state) {
        return new Replica(state.params(), state.optimizer(), state.average());
    }

    byte[] encode() {
        Map<String, float[]> parts = new TreeMap<>(optimizer.state());
        float[] avg = average == null ? new float[0] : average;
        long size = 4L * (2 + parts.size()) + 4L * (params.length + avg.length);
        for (float[] part : parts.values()) size += 4L * part.length;
        if (size > Integer.MAX_VALUE - 64) throw new IllegalStateException("a training state of " + size + " bytes is too large to send");
        ByteBuffer b = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
        put(b, params);
        for (float[] part : parts.values()) put(b, part);
        put(b, avg);
        return b.array();
    }

    /** Overwrites this replica's arrays (in place) with an encoded one's; refuses one of other sizes. */
    void load(byte[] encoded) {
        ByteBuffer b = ByteBuffer.wrap(encoded).order(ByteOrder.LITTLE_ENDIAN);
        get(b, params, "parameters");
        for (Map.Entry<String, float[]> part : new TreeMap<>(optimizer.state()).entrySet()) get(b, part.getValue(), "optimizer." + part.getKey());
        get(b, average == null ? new float[0] : average, "average");
        if (b.hasRemaining()) throw new IllegalArgumentException("a training state with " + b.remaining() + " bytes too many");
    }

    /** Where a run of float32 values lies in an encoded state: from byte {@code at}, {@code count} values. */
    record Span(int at, int count) {
        /** The values, decoded. */
        float[] read(byte[] encoded) {
            float[] out = new float[count];
            ByteBuffer.wrap(encoded, at, 4 * count).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
            return out;
        }
    }

    /** Where an encoded state's parameters lie, found without decoding it. */
    static Span paramsIn(byte[] encoded) {
        return spanAt(encoded, 0);
    }

    /** Where an encoded state's moving average lies (0 values without --ema): the last of its arrays. */
    static Span averageIn(byte[] encoded) {
        ByteBuffer b = ByteBuffer.wrap(encoded).order(ByteOrder.LITTLE_ENDIAN);
        int at = 0;
        for (int next; (next = at + 4 + 4 * b.getInt(at)) < encoded.length; ) at = next;
        return spanAt(encoded, at);
    }

    private static Span spanAt(byte[] encoded, int at) {
        return new Span(at + 4, ByteBuffer.wrap(encoded).order(ByteOrder.LITTLE_ENDIAN).getInt(at));
    }

    private static void put(ByteBuffer b, float[] values) {
        b.putInt(values.length);
        b.asFloatBuffer().put(values);
        b.position(b.position() + 4 * values.length);
    }

    private static void get(ByteBuffer b, float[] into, String what) {
        int n = b.remaining() >= 4 ? b.getInt() : -1;
        if (n != into.length || b.remaining() < 4L * n) {
            throw new IllegalArgumentException("a training state whose " + what + " are " + n + " values, not " + into.length);
        }
        b.asFloatBuffer().get(into);
        b.position(b.position() + 4 * n);
    }
}

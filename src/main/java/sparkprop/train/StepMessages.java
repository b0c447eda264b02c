package sparkprop.train;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.SecureRandom;

/**
 * The two messages of the step exchange between the driver and a training stage's tasks.
 * Little-endian.
 * <pre>
 *   a task's request:   16 bytes  the run's token (random, travels in the task closure)
 *                        4        int32 launch: which stage the driver started for the span (older ones are dropped)
 *                        4        int32 partition
 *                        8        int64 step the sums belong to (counted over the run), or -1: ready
 *                        8        int64 nanoseconds the task spent computing them (for the benchmark's overhead)
 *                        ...      the packed sums of that step ({@link PackedSum}): the partition's, or in a tree
 *                                 its subtree's (none when they went to its parent); when ready in a tree, the
 *                                 UTF-8 host:port where the task takes its children's sums
 *   the driver's reply:  8        int64 step to compute (counted over the run), -1: the span is over, or
 *                                 -2: the tree (then the UTF-8 host:port of the task's parent, empty for the root)
 *                        4        int32 epoch
 *                        4        int32 step within the epoch
 *                        4P       the parameters, float32
 * </pre>
 * A tree node's message to its parent is a request like the one to the driver, answered by an empty reply.
 */
final class StepMessages {
    static final long READY = -1;
    static final long END = -1;
    static final long TOPOLOGY = -2;
    static final int REQUEST_HEADER = 16 + 4 + 4 + 8 + 8;
    static final int REPLY_HEADER = 8 + 4 + 4;

    private StepMessages() {
    }

    /** A run's secret beside Spark's own authentication: without it a request is refused. */
    record Token(long high, long low) implements java.io.Serializable {
        static Token random() {
            SecureRandom random = new SecureRandom();
            return new Token(random.nextLong(), random.nextLong());
        }
    }

    record Request(Token token, int launch, int partition, long step, long computeNanos, byte[] sums) {
    }

    static ByteBuffer request(Token token, int launch, int partition, long step, long computeNanos, byte[] sums) {
        ByteBuffer b = ByteBuffer.allocate(REQUEST_HEADER + (sums == null ? 0 : sums.length)).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(token.high()).putLong(token.low()).putInt(launch).putInt(partition).putLong(step).putLong(computeNanos);
        if (sums != null) b.put(sums);
        return b.flip();
    }

    /** Reads a request; its sums are copied out (the buffer is the network's). */
    static Request readRequest(ByteBuffer message) {
        ByteBuffer b = message.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() < REQUEST_HEADER) throw new IllegalArgumentException("not a step request: " + b.remaining() + " bytes");
        Token token = new Token(b.getLong(), b.getLong());
        int launch = b.getInt(), partition = b.getInt();
        long step = b.getLong(), computeNanos = b.getLong();
        byte[] sums = new byte[b.remaining()];
        b.get(sums);
        return new Request(token, launch, partition, step, computeNanos, sums);
    }

    static ByteBuffer step(long globalStep, int epoch, int step, float[] params) {
        ByteBuffer b = ByteBuffer.allocate(REPLY_HEADER + 4 * params.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(globalStep).putInt(epoch).putInt(step);
        b.asFloatBuffer().put(params);
        return b.position(0).limit(b.capacity());
    }

    /** Where a tree node sends its subtree's sums: its parent's host:port, or "" for the root (to the driver). */
    static ByteBuffer topology(String parent) {
        byte[] address = parent.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(REPLY_HEADER + address.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(TOPOLOGY).putInt(0).putInt(0).put(address);
        return b.flip();
    }

    static ByteBuffer end() {
        ByteBuffer b = ByteBuffer.allocate(REPLY_HEADER).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(END).putInt(0).putInt(0);
        return b.flip();
    }

    /** Where a reply says to go next; its parameters are read into the task's own array. */
    record Next(long globalStep, int epoch, int step, String parent) {
        boolean end() {
            return globalStep == END;
        }
    }

    static Next readReply(ByteBuffer reply, float[] params) {
        ByteBuffer b = reply.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        long globalStep = b.getLong();
        int epoch = b.getInt(), step = b.getInt();
        if (globalStep == TOPOLOGY) return new Next(globalStep, epoch, step, java.nio.charset.StandardCharsets.UTF_8.decode(b).toString());
        Next next = new Next(globalStep, epoch, step, null);
        if (next.end()) return next;
        if (b.remaining() != 4 * params.length) {
            throw new IllegalStateException("a step of " + b.remaining() / 4 + " parameters for a network of " + params.length);
        }
        b.asFloatBuffer().get(params);
        return next;
    }
}

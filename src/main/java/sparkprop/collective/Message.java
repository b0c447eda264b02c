package sparkprop.collective;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The messages of the step exchange, one record each, and their wire form: a type byte, then the
 * fields in order, little-endian (int32, int64; float32 arrays and byte arrays after their int32
 * length; strings as UTF-8 bytes). Every message a task sends carries the run's {@link Token} and
 * the launch of the stage it belongs to, so a message from an older launch, or from outside the
 * run, is refused by whoever receives it.
 *
 * <pre>
 *   task → driver   Join      a member of a launch, and where it listens for the other members (both topologies)
 *                   Ready     star: asks for the first step of the launch
 *                   ChunkSum  star: the member's exact sums of step s; asks for the next step
 *                   Report    ring: step s is done (its loss, examples, overflow), with the state after it where asked
 *   driver → task   Ring      where every member of the launch listens, and the all-reduce they run (no one in a star)
 *                   Step      star: the step to compute and the whole parameters
 *                   End       star: the epoch is over
 *                   Ack       ring: the report is in
 *   task → task     Partial   a chunk's partial sums in round r of step s's reduce-scatter
 *                   Gathered  a chunk's exact totals in round r of step s's all-gather
 *                   Ack       the answer to either
 * </pre>
 */
public sealed interface Message {
    record Join(Token token, int launch, int member, String address) implements Message {
    }

    record Ready(Token token, int launch, int member) implements Message {
    }

    record ChunkSum(Token token, int launch, int member, long step, byte[] packed) implements Message {
    }

    record Report(Token token, int launch, int member, long step, byte[] totals, byte[] state) implements Message {
    }

    /** Every member's address, by member ({@code addresses.get(m)} is where member m listens); none in a star or a ring of one. */
    record Ring(java.util.List<String> addresses, AllReduce allReduce) implements Message {
        public Ring {
            addresses = java.util.List.copyOf(addresses);
        }

        /** A star's members and a ring of one have no neighbour. */
        public static Ring alone() {
            return new Ring(java.util.List.of(), AllReduce.RING);
        }
    }

    record Step(long step, int epoch, int stepInEpoch, float[] chunk) implements Message {
    }

    record End() implements Message {
    }

    record Partial(Token token, int launch, long step, int round, byte[] packed) implements Message {
    }

    record Gathered(Token token, int launch, long step, int round, byte[] packed) implements Message {
    }

    record Ack() implements Message {
    }

    /** The sender's token, for messages a task sends; null for the driver's and the acknowledgement. */
    default Token token() {
        return null;
    }

    /** This message's wire form. */
    default ByteBuffer encode() {
        Writer w = new Writer();
        // Java 17: instanceof patterns, not a pattern switch.
        if (this instanceof Join j) w.tag(1).token(j.token()).i(j.launch()).i(j.member()).text(j.address());
        else if (this instanceof Ready r) w.tag(2).token(r.token()).i(r.launch()).i(r.member());
        else if (this instanceof ChunkSum c) w.tag(3).token(c.token()).i(c.launch()).i(c.member()).l(c.step()).bytes(c.packed());
        else if (this instanceof Ring r) w.tag(4).texts(r.addresses()).i(r.allReduce().ordinal());
        else if (this instanceof Step s) w.tag(5).l(s.step()).i(s.epoch()).i(s.stepInEpoch()).floats(s.chunk());
        else if (this instanceof End) w.tag(6);
        else if (this instanceof Partial p) w.tag(7).token(p.token()).i(p.launch()).l(p.step()).i(p.round()).bytes(p.packed());
        else if (this instanceof Gathered g) w.tag(8).token(g.token()).i(g.launch()).l(g.step()).i(g.round()).bytes(g.packed());
        else if (this instanceof Report r) w.tag(10).token(r.token()).i(r.launch()).i(r.member()).l(r.step()).bytes(r.totals()).bytes(r.state());
        else w.tag(9);
        return w.done();
    }

    /** Reads a message; its arrays are copied out (the buffer is the network's). Throws IllegalArgumentException on anything else. */
    static Message decode(ByteBuffer wire) {
        ByteBuffer b = wire.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        try {
            Message m = switch (b.get()) {
                case 1 -> new Join(token(b), b.getInt(), b.getInt(), text(b));
                case 2 -> new Ready(token(b), b.getInt(), b.getInt());
                case 3 -> new ChunkSum(token(b), b.getInt(), b.getInt(), b.getLong(), bytes(b));
                case 4 -> new Ring(texts(b), allReduce(b.getInt()));
                case 5 -> new Step(b.getLong(), b.getInt(), b.getInt(), floats(b));
                case 6 -> new End();
                case 7 -> new Partial(token(b), b.getInt(), b.getLong(), b.getInt(), bytes(b));
                case 8 -> new Gathered(token(b), b.getInt(), b.getLong(), b.getInt(), bytes(b));
                case 9 -> new Ack();
                case 10 -> new Report(token(b), b.getInt(), b.getInt(), b.getLong(), bytes(b), bytes(b));
                default -> throw new IllegalArgumentException("not a step-exchange message: type " + b.get(0));
            };
            if (b.hasRemaining()) throw new IllegalArgumentException("a step-exchange message with " + b.remaining() + " bytes too many");
            return m;
        } catch (java.nio.BufferUnderflowException | NegativeArraySizeException e) {
            throw new IllegalArgumentException("a step-exchange message cut short (" + wire.remaining() + " bytes)");
        }
    }

    private static Token token(ByteBuffer b) {
        return new Token(b.getLong(), b.getLong());
    }

    private static byte[] bytes(ByteBuffer b) {
        int n = b.getInt();
        if (n < 0 || n > b.remaining()) throw new IllegalArgumentException("a step-exchange message announcing " + n + " bytes with " + b.remaining() + " left");
        byte[] out = new byte[n];
        b.get(out);
        return out;
    }

    private static float[] floats(ByteBuffer b) {
        int n = b.getInt();
        if (n < 0 || n > b.remaining() / 4) throw new IllegalArgumentException("a step-exchange message announcing " + n + " floats with " + b.remaining() + " bytes left");
        float[] out = new float[n];
        b.asFloatBuffer().get(out);
        b.position(b.position() + 4 * n);
        return out;
    }

    private static String text(ByteBuffer b) {
        return new String(bytes(b), StandardCharsets.UTF_8);
    }

    private static java.util.List<String> texts(ByteBuffer b) {
        int n = b.getInt();
        if (n < 0 || n > b.remaining() / 4) throw new IllegalArgumentException("a step-exchange message announcing " + n + " addresses with " + b.remaining() + " bytes left");
        java.util.List<String> out = new java.util.ArrayList<>(n);
        for (int i = 0; i < n; i++) out.add(text(b));
        return out;
    }

    private static AllReduce allReduce(int ordinal) {
        if (ordinal < 0 || ordinal >= AllReduce.values().length) throw new IllegalArgumentException("a step-exchange message naming all-reduce " + ordinal);
        return AllReduce.values()[ordinal];
    }

    /** Builds a wire form, growing as fields are added. */
    final class Writer {
        private ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);

        private Writer room(int bytes) {
            if (b.remaining() < bytes) {
                ByteBuffer bigger = ByteBuffer.allocate(Math.max(2 * b.capacity(), b.position() + bytes)).order(ByteOrder.LITTLE_ENDIAN);
                b.flip();
                bigger.put(b);
                b = bigger;
            }
            return this;
        }

        Writer tag(int t) {
            room(1).b.put((byte) t);
            return this;
        }

        Writer i(int v) {
            room(4).b.putInt(v);
            return this;
        }

        Writer l(long v) {
            room(8).b.putLong(v);
            return this;
        }

        Writer token(Token t) {
            return l(t.high()).l(t.low());
        }

        Writer bytes(byte[] v) {
            i(v.length).room(v.length).b.put(v);
            return this;
        }

        Writer floats(float[] v) {
            i(v.length).room(4 * v.length);
            b.asFloatBuffer().put(v);
            b.position(b.position() + 4 * v.length);
            return this;
        }

        Writer text(String s) {
            return bytes(s.getBytes(StandardCharsets.UTF_8));
        }

        Writer texts(java.util.List<String> all) {
            i(all.size());
            for (String s : all) text(s);
            return this;
        }

        ByteBuffer done() {
            return b.flip();
        }
    }
}

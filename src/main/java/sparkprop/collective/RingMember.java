package sparkprop.collective;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import sparkprop.exchange.Transport;

/**
 * A task's place in the ring: it listens for the other members' messages and runs an all-reduce
 * with them ({@link #allReduce}), in one of two ways ({@link AllReduce}), both moving about twice
 * the vector over each member's link per step whatever the member count:
 * <ul>
 * <li>The ring (Patarasuk and Yuan's bandwidth-optimal ring, as in Horovod and Gloo), 2(members -
 *     1) rounds, each one chunk to the right neighbour and one from the left.
 *     Reduce-scatter: in round r member m sends its running sums of chunk m - r to the right and
 *     adds what the left sends (chunk m - r - 1) into its own; after the last round it holds the
 *     exact total of chunk {@link Chunks#owned}(m). All-gather: member m starts with the total of
 *     chunk owned(m); in round r it sends chunk m + 1 - r to the right and keeps what the left
 *     sends (chunk m - r), which it sends on in the next round.</li>
 * <li>Halving-doubling (Thakur, Rabenseifner and Gropp 2005), 2 log2(members) rounds for a power
 *     of two. Reduce-scatter by recursive halving: member m holds a range of chunks, at first all;
 *     in each round it splits the range in two, sends the half its partner keeps (the partner is m
 *     with one bit flipped, the range's half size) and adds the partner's sums of the half it keeps;
 *     it ends with the total of chunk m. All-gather by recursive doubling: the partners in the
 *     reverse order swap the totals they hold, each range doubling, the totals packed once by
 *     their owner and passed on as they came.</li>
 * </ul>
 * The sums are whole numbers, so the order of the additions never changes a bit. Messages from
 * several members can arrive before they are due (a partner a round ahead); they are kept until
 * their round. Every read is bounded: {@link Waiting#check} runs each second (a Spark task gives
 * up there when killed), and a member silent for {@code stallNanos} fails the step naming it.
 */
public final class RingMember implements AutoCloseable {
    /** Called while waiting, about once a second: throws to stop waiting (the task was killed). */
    public interface Waiting {
        void check();
    }

    private final Token token;
    private final int launch;
    private final int member;
    private final Chunks chunks;
    private final Waiting waiting;
    private final long stallFloorNanos;
    private long stallNanos;
    private final Transport transport;
    private final BlockingQueue<Message> inbox = new LinkedBlockingQueue<>();
    /** Messages taken from the inbox before their round. */
    private final java.util.Map<Round, Message> early = new java.util.HashMap<>();
    /** Messages the server accepted, for tests that wait until one has arrived. */
    private final java.util.concurrent.atomic.AtomicInteger heard = new java.util.concurrent.atomic.AtomicInteger();
    private final Transport.Server server;
    /** The members this one sends to (its right neighbour, or its partners), by member. */
    private final java.util.Map<Integer, Transport.Connection> peers = new java.util.HashMap<>();
    private AllReduce allReduce = AllReduce.RING;

    /**
     * Starts listening on {@code host} (a free port) for the other members' messages of this run and launch.
     */
    public RingMember(Transport transport, String host, Token token, int launch, int member, Chunks chunks, Waiting waiting, long stallNanos) {
        this.transport = transport;
        this.token = token;
        this.launch = launch;
        this.member = member;
        this.chunks = chunks;
        this.waiting = waiting;
        this.stallFloorNanos = stallNanos;
        this.stallNanos = stallNanos;
        this.server = chunks.members() == 1 ? null : transport.serve(host, host, 0, (request, reply) -> {
            Message m;
            try {
                m = Message.decode(request);
            } catch (IllegalArgumentException e) {
                reply.fail(e.getMessage());
                return;
            }
            long messageLaunch = m instanceof Message.Partial p ? p.launch() : m instanceof Message.Gathered g ? g.launch() : -1;
            if (!token.equals(m.token()) || messageLaunch != launch) {
                reply.fail("refused: not a member of this run's launch " + launch);
                return;
            }
            inbox.add(m);
            heard.incrementAndGet();
            reply.send(new Message.Ack().encode());
        });
    }

    /**
     * A neighbour is given up after the stall bound, or after {@code nanos} if longer: the caller passes a multiple of
     * its slowest step, since a neighbour's message comes only after its own compute.
     */
    public void waitAtLeast(long nanos) {
        stallNanos = Math.max(stallFloorNanos, nanos);
    }

    private static final java.util.regex.Pattern SILENT = java.util.regex.Pattern.compile(
            "(?:heard nothing from its left neighbour|its right neighbour|its partner|its peer) \\(member \\d+\\)");

    /**
     * Whether a ring member's failure message says another member stopped answering. Which one it names is not to be
     * trusted: that member may itself have been waiting for another.
     */
    public static boolean reportsSilence(String failure) {
        return failure != null && SILENT.matcher(failure).find();
    }

    /** Where the other members send ("" in a ring of one). */
    public String address() {
        return server == null ? "" : server.host() + ":" + server.port();
    }

    /** Connects to the members this one sends to, as the driver's {@code Ring} message says. */
    public void connect(Message.Ring ring) {
        connect(ring.addresses(), ring.allReduce());
    }

    /**
     * Connects to the members this one sends to in {@code allReduce}: the right neighbour in a ring, each round's
     * partner in halving-doubling. {@code addresses} holds every member's, by member (none in a ring of one).
     */
    public void connect(java.util.List<String> addresses, AllReduce allReduce) {
        int n = chunks.members();
        if (n == 1) return;
        if (addresses.size() != n) throw new IllegalArgumentException(addresses.size() + " addresses for a ring of " + n);
        if (!allReduce.runsAmong(n)) throw new IllegalArgumentException(allReduce + " among " + n + " members, not a power of two");
        this.allReduce = allReduce;
        if (allReduce == AllReduce.RING) connectTo((member + 1) % n, addresses);
        else if (allReduce == AllReduce.DIRECT) for (int k = 1; k < n; k++) connectTo((member + k) % n, addresses);
        else for (int half = n / 2; half >= 1; half /= 2) connectTo(member ^ half, addresses);
    }

    private void connectTo(int other, java.util.List<String> addresses) {
        String address = addresses.get(other);
        int colon = address.lastIndexOf(':');
        try {
            peers.put(other, transport.connect(address.substring(0, colon), Integer.parseInt(address.substring(colon + 1))));
        } catch (IOException e) {
            throw new UncheckedIOException("member " + member + " of the ring cannot reach " + describe(other, true) + " at " + address
                    + " (executors must reach each other, as for Spark's shuffle)", e);
        }
    }

    /**
     * Adds every member's {@code values} of step {@code step} (exact whole numbers, the same length everywhere): on
     * return {@code values} holds the totals, the same on every member.
     */
    public void allReduce(long step, long[] values) {
        if (chunks.members() == 1) return;
        // Acknowledgements are awaited once, after the last round, not in each: a connection delivers in order, and a
        // round then costs one transfer, not a transfer and a round trip.
        java.util.List<Sent> sent = new java.util.ArrayList<>();
        switch (allReduce) {
            case RING -> ring(step, values, sent);
            case HALVING_DOUBLING -> halvingDoubling(step, values, sent);
            case DIRECT -> direct(step, values, sent);
        }
        for (Sent s : sent) awaitSent(s);
    }

    private void ring(long step, long[] values, java.util.List<Sent> sent) {
        int n = chunks.members(), right = (member + 1) % n, left = Math.floorMod(member - 1, n);
        for (int round = 0; round < n - 1; round++) {
            int send = Math.floorMod(member - round, n), receive = Math.floorMod(member - round - 1, n);
            sent.add(send(right, new Message.Partial(token, launch, step, round, PackedLongs.encode(values, chunks.from(send), chunks.to(send)))));
            Message.Partial in = (Message.Partial) await(step, round, Message.Partial.class, left);
            PackedLongs.addInto(in.packed(), 0, chunks.size(receive), values, chunks.from(receive));
        }
        // Each total is packed once, by its owner, and passed on as it came.
        int own = chunks.owned(member);
        byte[] pass = PackedLongs.encode(values, chunks.from(own), chunks.to(own));
        for (int round = 0; round < n - 1; round++) {
            int receive = Math.floorMod(member - round, n);
            sent.add(send(right, new Message.Gathered(token, launch, step, round, pass)));
            Message.Gathered in = (Message.Gathered) await(step, round, Message.Gathered.class, left);
            setChunk(in.packed(), 0, receive, values);
            pass = in.packed();
        }
    }

    private void halvingDoubling(long step, long[] values, java.util.List<Sent> sent) {
        int n = chunks.members();
        // Recursive halving: this member's range of chunks [lo, lo + 2 half) becomes the half it keeps.
        int lo = 0, round = 0;
        for (int half = n / 2; half >= 1; half /= 2, round++) {
            int partner = member ^ half;
            int keep = (member & half) != 0 ? lo + half : lo, give = keep == lo ? lo + half : lo;
            sent.add(send(partner, new Message.Partial(token, launch, step, round,
                    PackedLongs.encode(values, chunks.from(give), chunks.from(give + half)))));
            byte[] in = ((Message.Partial) await(step, round, Message.Partial.class, partner)).packed();
            int from = chunks.from(keep);
            whole(in, PackedLongs.addInto(in, 0, chunks.from(keep + half) - from, values, from), partner, "sums");
            lo = keep;
        }
        // Recursive doubling: the partners swap what they hold, [lo, lo + half) each, chunk by chunk as each owner packed it.
        byte[] held = PackedLongs.encode(values, chunks.from(member), chunks.to(member));
        round = 0;
        for (int half = 1; half < n; half *= 2, round++) {
            int partner = member ^ half, theirs = lo ^ half;
            sent.add(send(partner, new Message.Gathered(token, launch, step, round, held)));
            byte[] in = ((Message.Gathered) await(step, round, Message.Gathered.class, partner)).packed();
            int at = 0;
            for (int c = theirs; c < theirs + half; c++) at = setChunk(in, at, c, values);
            whole(in, at, partner, "totals");
            held = theirs < lo ? concat(in, held) : concat(held, in);
            lo = Math.min(lo, theirs);
        }
    }

    /**
     * Two rounds: chunk c of every member's sums goes straight to member c, which adds them; then each member's total of
     * its chunk goes to every other. A message's round is its sender's number, so that the N - 1 messages of a phase are
     * told apart; one that comes before those awaited first is kept, and whole-number sums do not depend on the order.
     */
    private void direct(long step, long[] values, java.util.List<Sent> sent) {
        int n = chunks.members(), from = chunks.from(member), size = chunks.size(member);
        for (int k = 1; k < n; k++) {
            int to = (member + k) % n;
            sent.add(send(to, new Message.Partial(token, launch, step, member, PackedLongs.encode(values, chunks.from(to), chunks.to(to)))));
        }
        for (int k = 1; k < n; k++) {
            int other = Math.floorMod(member - k, n);
            byte[] in = ((Message.Partial) await(step, other, Message.Partial.class, other)).packed();
            whole(in, PackedLongs.addInto(in, 0, size, values, from), other, "sums");
        }
        byte[] total = PackedLongs.encode(values, from, chunks.to(member));
        for (int k = 1; k < n; k++) sent.add(send((member + k) % n, new Message.Gathered(token, launch, step, member, total)));
        for (int k = 1; k < n; k++) {
            int other = Math.floorMod(member - k, n);
            byte[] in = ((Message.Gathered) await(step, other, Message.Gathered.class, other)).packed();
            whole(in, setChunk(in, 0, other, values), other, "totals");
        }
    }

    /** Sets chunk {@code chunk} of {@code values} to the totals packed in {@code in} from {@code at}; returns where they end. */
    private int setChunk(byte[] in, int at, int chunk, long[] values) {
        java.util.Arrays.fill(values, chunks.from(chunk), chunks.to(chunk), 0L);
        return PackedLongs.addInto(in, at, chunks.size(chunk), values, chunks.from(chunk));
    }

    /** Fails the step if {@code other}'s message {@code in} holds more than the {@code what} read from it, up to {@code end}. */
    private static void whole(byte[] in, int end, int other, String what) {
        if (end != in.length) throw new IllegalStateException("member " + other + " sent " + in.length + " bytes of " + what + " where " + end + " were due");
    }

    private static byte[] concat(byte[] first, byte[] second) {
        byte[] out = java.util.Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, out, first.length, second.length);
        return out;
    }

    /** A message sent to {@code to}, its acknowledgement awaited after the all-reduce's last round. */
    private record Sent(int to, CompletableFuture<Void> done) {
    }

    private Sent send(int to, Message message) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        peers.get(to).request(message.encode(), new Transport.ReplyHandler() {
            @Override
            public void onReply(ByteBuffer reply) {
                done.complete(null);
            }

            @Override
            public void onFailure(Throwable cause) {
                done.completeExceptionally(cause);
            }
        });
        return new Sent(to, done);
    }

    /** "its left neighbour (member 3)", "its right neighbour (member 5)", "its partner (member 6)" or "its peer (member 2)", for messages. */
    private String describe(int other, boolean sending) {
        String who = switch (allReduce) {
            case HALVING_DOUBLING -> "its partner";
            case DIRECT -> "its peer";
            case RING -> sending ? "its right neighbour" : "its left neighbour";
        };
        return who + " (member " + other + ")";
    }

    /** Which message a round waits for. */
    private record Round(Class<?> kind, long step, int round) {
    }

    /** How many messages this member's server has accepted so far. */
    int heard() {
        return heard.get();
    }

    /** The message of this step, round and kind, which {@code from} sends; kept aside if it came before its round. */
    private Message await(long step, int round, Class<? extends Message> kind, int from) {
        if (!early.isEmpty()) { // a ring's member never keeps one: its one neighbour sends in order
            Message kept = early.remove(new Round(kind, step, round));
            if (kept != null) return kept;
        }
        long start = System.nanoTime();
        while (true) {
            Message m;
            try {
                m = inbox.poll(1, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                waiting.check();
                throw new IllegalStateException("member " + member + " was interrupted waiting for " + describe(from, false), e);
            }
            if (m != null) {
                long mStep = m instanceof Message.Partial p ? p.step() : ((Message.Gathered) m).step();
                int mRound = m instanceof Message.Partial p ? p.round() : ((Message.Gathered) m).round();
                if (kind.isInstance(m) && mStep == step && mRound == round) return m;
                // A member a round or a step ahead sends before this one is ready for it; anything older is a duplicate.
                if (mStep < step || early.putIfAbsent(new Round(m.getClass(), mStep, mRound), m) != null) {
                    throw new IllegalStateException("member " + member + " expected " + kind.getSimpleName() + " of step " + step + ", round " + round
                            + " and got " + (mStep < step ? "" : "a second ") + m.getClass().getSimpleName() + " of step " + mStep + ", round " + mRound);
                }
                continue;
            }
            waiting.check();
            if (System.nanoTime() - start > stallNanos) {
                throw new IllegalStateException("member " + member + " heard nothing from " + describe(from, false) + " for "
                        + TimeUnit.NANOSECONDS.toSeconds(stallNanos) + " s in step " + step);
            }
        }
    }

    private void awaitSent(Sent sent) {
        long start = System.nanoTime();
        while (true) {
            try {
                sent.done().get(1, TimeUnit.SECONDS);
                return;
            } catch (TimeoutException e) {
                waiting.check();
                if (System.nanoTime() - start > stallNanos) {
                    throw new IllegalStateException("member " + member + " waited for " + describe(sent.to(), true) + " to take its message for "
                            + TimeUnit.NANOSECONDS.toSeconds(stallNanos) + " s");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                waiting.check();
                throw new IllegalStateException("member " + member + " was interrupted while sending to " + describe(sent.to(), true), e);
            } catch (ExecutionException e) {
                throw new IllegalStateException("member " + member + "'s " + describe(sent.to(), true).substring(4) + " refused its message: "
                        + e.getCause().getMessage(), e.getCause());
            }
        }
    }

    @Override
    public void close() {
        peers.values().forEach(Transport.Connection::close);
        if (server != null) server.close();
    }
}

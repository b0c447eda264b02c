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
 * A task's place in the ring: it listens for its left neighbour and sends to its right, and runs
 * the two halves of an all-reduce over them (Patarasuk and Yuan's bandwidth-optimal ring, as in
 * Horovod and Gloo): {@link #allReduce}. Each of its 2(members - 1) rounds moves one chunk per
 * link at once, so every link carries about twice the vector per step whatever the member count.
 * <ul>
 * <li>Reduce-scatter: in round r member m sends its running sums of chunk m - r to the right and
 *     adds what the left sends (chunk m - r - 1) into its own; after the last round it holds the
 *     exact total of chunk {@link Chunks#owned}(m). The sums are whole numbers, so the order of the
 *     additions never changes a bit.</li>
 * <li>All-gather: member m starts with the total of chunk owned(m); in round r it sends chunk
 *     m + 1 - r to the right and keeps what the left sends (chunk m - r), which it sends on in the
 *     next round.</li>
 * </ul>
 * Every read is bounded: {@link Waiting#check} runs each second (a Spark task gives up there when
 * killed), and a neighbour silent for {@code stallNanos} fails the step naming it.
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
    private final BlockingQueue<Message> fromLeft = new LinkedBlockingQueue<>();
    private final Transport.Server server;
    private Transport.Connection right;

    /**
     * Starts listening on {@code host} (a free port) for the left neighbour's messages of this run and launch.
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
            fromLeft.add(m);
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

    private static final java.util.regex.Pattern SILENT = java.util.regex.Pattern.compile("(?:heard nothing from its left|its right) neighbour \\(member (\\d+)\\)");

    /** The member a ring member's failure message names as silent (it stopped answering), or -1 if the failure is another. */
    public static int silentMember(String failure) {
        java.util.regex.Matcher m = failure == null ? null : SILENT.matcher(failure);
        return m != null && m.find() ? Integer.parseInt(m.group(1)) : -1;
    }

    /** Where the left neighbour sends ("" in a ring of one). */
    public String address() {
        return server == null ? "" : server.host() + ":" + server.port();
    }

    /** Connects to the right neighbour at {@code address} (host:port; "" in a ring of one). */
    public void connect(String address) {
        if (address.isEmpty()) return;
        int colon = address.lastIndexOf(':');
        try {
            right = transport.connect(address.substring(0, colon), Integer.parseInt(address.substring(colon + 1)));
        } catch (IOException e) {
            throw new UncheckedIOException("member " + member + " of the ring cannot reach its right neighbour at " + address
                    + " (executors must reach each other, as for Spark's shuffle)", e);
        }
    }

    /**
     * Adds every member's {@code values} of step {@code step} (exact whole numbers, the same length everywhere): on
     * return {@code values} holds the totals, the same on every member.
     */
    public void allReduce(long step, long[] values) {
        int n = chunks.members();
        if (n == 1) return;
        // The right neighbour's acknowledgements are awaited once, after the last round, not in each: a connection
        // delivers in order, and a round then costs one transfer, not a transfer and a round trip.
        java.util.List<CompletableFuture<Void>> sent = new java.util.ArrayList<>(2 * (n - 1));
        for (int round = 0; round < n - 1; round++) {
            int send = Math.floorMod(member - round, n), receive = Math.floorMod(member - round - 1, n);
            sent.add(send(new Message.Partial(token, launch, step, round, PackedLongs.encode(values, chunks.from(send), chunks.to(send)))));
            Message.Partial in = (Message.Partial) await(step, round, Message.Partial.class);
            PackedLongs.addInto(in.packed(), 0, chunks.size(receive), values, chunks.from(receive));
        }
        // Each total is packed once, by its owner, and passed on as it came.
        int own = chunks.owned(member);
        byte[] pass = PackedLongs.encode(values, chunks.from(own), chunks.to(own));
        for (int round = 0; round < n - 1; round++) {
            int receive = Math.floorMod(member - round, n);
            sent.add(send(new Message.Gathered(token, launch, step, round, pass)));
            Message.Gathered in = (Message.Gathered) await(step, round, Message.Gathered.class);
            java.util.Arrays.fill(values, chunks.from(receive), chunks.to(receive), 0L);
            PackedLongs.addInto(in.packed(), 0, chunks.size(receive), values, chunks.from(receive));
            pass = in.packed();
        }
        for (CompletableFuture<Void> s : sent) awaitSent(s);
    }

    private CompletableFuture<Void> send(Message message) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        right.request(message.encode(), new Transport.ReplyHandler() {
            @Override
            public void onReply(ByteBuffer reply) {
                done.complete(null);
            }

            @Override
            public void onFailure(Throwable cause) {
                done.completeExceptionally(cause);
            }
        });
        return done;
    }

    /** The left neighbour's next message, which must be of this step, round and kind. */
    private Message await(long step, int round, Class<? extends Message> kind) {
        long start = System.nanoTime();
        while (true) {
            Message m;
            try {
                m = fromLeft.poll(1, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                waiting.check();
                throw new IllegalStateException("member " + member + " was interrupted waiting for its left neighbour", e);
            }
            if (m != null) {
                long mStep = m instanceof Message.Partial p ? p.step() : ((Message.Gathered) m).step();
                int mRound = m instanceof Message.Partial p ? p.round() : ((Message.Gathered) m).round();
                if (!kind.isInstance(m) || mStep != step || mRound != round) {
                    throw new IllegalStateException("member " + member + " expected " + kind.getSimpleName() + " of step " + step + ", round " + round
                            + " from its left neighbour and got " + m.getClass().getSimpleName() + " of step " + mStep + ", round " + mRound);
                }
                return m;
            }
            waiting.check();
            if (System.nanoTime() - start > stallNanos) {
                throw new IllegalStateException("member " + member + " heard nothing from its left neighbour (member "
                        + Math.floorMod(member - 1, chunks.members()) + ") for " + TimeUnit.NANOSECONDS.toSeconds(stallNanos) + " s in step " + step);
            }
        }
    }

    private void awaitSent(CompletableFuture<Void> sent) {
        long start = System.nanoTime();
        while (true) {
            try {
                sent.get(1, TimeUnit.SECONDS);
                return;
            } catch (TimeoutException e) {
                waiting.check();
                if (System.nanoTime() - start > stallNanos) {
                    throw new IllegalStateException("member " + member + " waited for its right neighbour (member "
                            + (member + 1) % chunks.members() + ") to take its message for " + TimeUnit.NANOSECONDS.toSeconds(stallNanos) + " s");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                waiting.check();
                throw new IllegalStateException("member " + member + " was interrupted while sending to its right neighbour", e);
            } catch (ExecutionException e) {
                throw new IllegalStateException("member " + member + "'s right neighbour refused its message: " + e.getCause().getMessage(), e.getCause());
            }
        }
    }

    @Override
    public void close() {
        if (right != null) right.close();
        if (server != null) server.close();
    }
}

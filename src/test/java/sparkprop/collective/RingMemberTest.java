package sparkprop.collective;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import sparkprop.exchange.Transport;

/**
 * The ring's all-reduce with members on threads and an in-memory network: the totals are exact
 * and the same on every member for any member count, and a neighbour that is not of this run or
 * launch, or says nothing, fails the step instead of changing or hanging it.
 */
class RingMemberTest {
    static final Token TOKEN = MessageTest.TOKEN;
    static final long STALL = TimeUnit.SECONDS.toNanos(20);

    @Test
    void theAllReduceIsExactAndTheSameOnEveryMemberForAnyMemberCount() throws Exception {
        for (int n : new int[]{1, 2, 3, 5, 8}) {
            int length = 1000 + n; // chunks of different sizes
            Random random = new Random(n);
            long[][] values = new long[n][length];
            long[] total = new long[length];
            for (int m = 0; m < n; m++) {
                for (int i = 0; i < length; i++) {
                    // Wide and narrow, positive and negative, and runs of zeros, as gradient sums have.
                    values[m][i] = i % 97 < 20 ? 0 : random.nextLong() >> random.nextInt(60);
                    total[i] += values[m][i];
                }
            }
            List<long[]> totals = run(n, new Chunks(length, n), (member, ring) -> {
                long[] mine = values[member].clone();
                ring.allReduce(3, mine);
                // Two steps in a row: the second's messages must not be taken for the first's.
                long[] again = values[member].clone();
                ring.allReduce(4, again);
                assertArrayEquals(mine, again);
                return mine;
            });
            for (int m = 0; m < n; m++) assertArrayEquals(total, totals.get(m), "member " + m + " of " + n);
        }
    }

    @Test
    void aMessageFromAnotherLaunchOrRunIsRefusedAndNeverAdded() throws Exception {
        InMemoryTransport network = new InMemoryTransport();
        Chunks chunks = new Chunks(8, 2);
        try (RingMember member = new RingMember(network, "h", TOKEN, 4, 1, chunks, () -> { }, STALL)) {
            String[] address = member.address().split(":");
            Transport.Connection intruder = network.connect(address[0], Integer.parseInt(address[1]));
            assertEquals("refused: not a member of this run's launch 4",
                    requestFailure(intruder, new Message.Partial(TOKEN, 3, 0, 0, PackedLongs.encode(new long[4], 0, 4))));
            assertEquals("refused: not a member of this run's launch 4",
                    requestFailure(intruder, new Message.Partial(new Token(9, 9), 4, 0, 0, PackedLongs.encode(new long[4], 0, 4))));
            assertEquals("not a step-exchange message: type 77", requestFailure(intruder, null));
        }
    }

    @Test
    void aSilentNeighbourFailsTheStepNamingIt() {
        InMemoryTransport network = new InMemoryTransport();
        Chunks chunks = new Chunks(8, 2);
        try (RingMember lonely = new RingMember(network, "h", TOKEN, 0, 0, chunks, () -> { }, TimeUnit.MILLISECONDS.toNanos(1500));
             RingMember silent = new RingMember(network, "h", TOKEN, 0, 1, chunks, () -> { }, STALL)) {
            lonely.connect(silent.address());
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> lonely.allReduce(0, new long[8]));
            assertEquals("member 0 heard nothing from its left neighbour (member 1) for 1 s in step 0", e.getMessage());
        }
        // A killed task stops waiting at the next check.
        try (RingMember killed = new RingMember(network, "h", TOKEN, 0, 0, chunks, () -> {
            throw new IllegalStateException("killed");
        }, STALL); RingMember other = new RingMember(network, "h", TOKEN, 0, 1, chunks, () -> { }, STALL)) {
            killed.connect(other.address());
            assertEquals("killed", assertThrows(IllegalStateException.class, () -> killed.allReduce(0, new long[8])).getMessage());
        }
    }

    interface MemberWork<T> {
        T run(int member, RingMember ring) throws Exception;
    }

    /** Runs {@code n} members, each on its own thread, joined into a ring; returns each one's result. */
    static <T> List<T> run(int n, Chunks chunks, MemberWork<T> work) throws Exception {
        InMemoryTransport network = new InMemoryTransport();
        List<RingMember> ring = new ArrayList<>();
        for (int m = 0; m < n; m++) ring.add(new RingMember(network, "host-" + m, TOKEN, 0, m, chunks, () -> { }, STALL));
        for (int m = 0; m < n; m++) ring.get(m).connect(n == 1 ? "" : ring.get((m + 1) % n).address());
        List<CompletableFuture<T>> results = new ArrayList<>();
        for (int m = 0; m < n; m++) {
            int member = m;
            results.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return work.run(member, ring.get(member));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, r -> new Thread(r, "member-" + member).start()));
        }
        List<T> out = new ArrayList<>();
        try {
            for (CompletableFuture<T> r : results) out.add(r.get(60, TimeUnit.SECONDS));
        } finally {
            ring.forEach(RingMember::close);
        }
        return out;
    }

    /** Sends {@code message} (null: a byte that is no message) and returns the failure's text. */
    static String requestFailure(Transport.Connection connection, Message message) throws Exception {
        CompletableFuture<String> reply = new CompletableFuture<>();
        connection.request(message == null ? ByteBuffer.wrap(new byte[]{77}) : message.encode(), new Transport.ReplyHandler() {
            @Override
            public void onReply(ByteBuffer r) {
                reply.complete("accepted");
            }

            @Override
            public void onFailure(Throwable cause) {
                reply.complete(cause.getMessage());
            }
        });
        String result = reply.get(10, TimeUnit.SECONDS);
        assertTrue(!result.equals("accepted"), "the message was accepted");
        return result;
    }
}

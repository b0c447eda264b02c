package sparkprop.collective;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
        for (int n : new int[]{1, 2, 3, 5, 8}) exactAndTheSame(n, AllReduce.RING);
    }

    @Test
    void halvingDoublingGivesTheRingsTotalsForEveryPowerOfTwo() throws Exception {
        for (int n : new int[]{2, 4, 8, 16}) exactAndTheSame(n, AllReduce.HALVING_DOUBLING);
    }

    @Test
    void directGivesTheRingsTotalsForAnyMemberCount() throws Exception {
        for (int n : new int[]{2, 3, 5, 8, 16}) exactAndTheSame(n, AllReduce.DIRECT);
    }

    /**
     * In a direct all-reduce every member hears from every other at once, in any order: member 0 awaits member 3 first
     * (its sums come last here, member 3 starting only once member 0 has heard two others), so the others' sums must be
     * kept until then, and the totals are still exact.
     */
    @Test
    void directKeepsTheSumsThatComeBeforeTheOnesAwaited() throws Exception {
        exactWithALateMember(AllReduce.DIRECT, 3, 2, "members 1 and 2's sums never reached member 0");
    }

    @Test
    void aSilentPeerOfADirectAllReduceIsNamed() {
        InMemoryTransport network = new InMemoryTransport();
        Chunks chunks = new Chunks(9, 3);
        try (RingMember lonely = new RingMember(network, "h", TOKEN, 0, 0, chunks, () -> { }, TimeUnit.MILLISECONDS.toNanos(1500));
             RingMember silent = new RingMember(network, "h", TOKEN, 0, 1, chunks, () -> { }, STALL);
             RingMember quiet = new RingMember(network, "h", TOKEN, 0, 2, chunks, () -> { }, STALL)) {
            lonely.connect(List.of(lonely.address(), silent.address(), quiet.address()), AllReduce.DIRECT);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> lonely.allReduce(0, new long[9]));
            assertEquals("member 0 heard nothing from its peer (member 2) for 1 s in step 0", e.getMessage());
            assertTrue(RingMember.reportsSilence(e.getMessage()));
        }
    }

    /**
     * A partner a round ahead sends before this member is ready for it: member 2 starts only once member 0 (whose first
     * partner is 2) has heard member 1's second-round sums, so member 0 must keep them, and still ends with the exact
     * totals.
     */
    @Test
    void sumsThatComeBeforeTheirRoundAreKeptUntilThen() throws Exception {
        exactWithALateMember(AllReduce.HALVING_DOUBLING, 2, 1, "member 1's second-round sums never reached member 0");
    }

    /**
     * Four members add 1, 2, 3 and 4 everywhere; member {@code late} starts only once member 0 has heard {@code heard}
     * messages (which {@code never} names if they do not come), and every member still ends with the exact totals.
     */
    private static void exactWithALateMember(AllReduce allReduce, int late, int heard, String never) throws Exception {
        int n = 4, length = 64;
        List<long[]> totals = runGroup(n, new Chunks(length, n), allReduce, (member, all) -> {
            long[] mine = new long[length];
            java.util.Arrays.fill(mine, member + 1);
            if (member == late) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (all.get(0).heard() < heard) {
                    assertTrue(System.nanoTime() < deadline, never);
                    Thread.onSpinWait();
                }
            }
            all.get(member).allReduce(0, mine);
            return mine;
        });
        for (long[] t : totals) for (long v : t) assertEquals(1 + 2 + 3 + 4, v);
    }

    @Test
    void aSecondMessageForTheSameRoundFailsTheStep() throws Exception {
        InMemoryTransport network = new InMemoryTransport();
        Chunks chunks = new Chunks(8, 2);
        try (RingMember member = new RingMember(network, "h", TOKEN, 0, 0, chunks, () -> { }, STALL);
             RingMember other = new RingMember(network, "h", TOKEN, 0, 1, chunks, () -> { }, STALL)) {
            member.connect(List.of(member.address(), other.address()), AllReduce.RING);
            String[] address = member.address().split(":");
            Transport.Connection duplicate = network.connect(address[0], Integer.parseInt(address[1]));
            byte[] packed = PackedLongs.encode(new long[4], 0, 4);
            for (int i = 0; i < 2; i++) requestAccepted(duplicate, new Message.Gathered(TOKEN, 0, 5, 0, packed));
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> member.allReduce(5, new long[8]));
            assertEquals("member 0 expected Partial of step 5, round 0 and got a second Gathered of step 5, round 0", e.getMessage());
        }
    }

    private static void exactAndTheSame(int n, AllReduce allReduce) throws Exception {
        {
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
            List<long[]> totals = run(n, new Chunks(length, n), allReduce, (member, ring) -> {
                long[] mine = values[member].clone();
                ring.allReduce(3, mine);
                // Two steps in a row: the second's messages must not be taken for the first's.
                long[] again = values[member].clone();
                ring.allReduce(4, again);
                assertArrayEquals(mine, again);
                return mine;
            });
            for (int m = 0; m < n; m++) assertArrayEquals(total, totals.get(m), "member " + m + " of " + n + ", " + allReduce);
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
            lonely.connect(List.of(lonely.address(), silent.address()), AllReduce.RING);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> lonely.allReduce(0, new long[8]));
            assertEquals("member 0 heard nothing from its left neighbour (member 1) for 1 s in step 0", e.getMessage());
            // The driver tells such a failure from others by its words.
            assertTrue(RingMember.reportsSilence(e.getMessage()));
            assertFalse(RingMember.reportsSilence("member 0 expected Partial of step 3, round 0 and got a second Partial of step 3, round 0"));
        }
        // A killed task stops waiting at the next check.
        try (RingMember killed = new RingMember(network, "h", TOKEN, 0, 0, chunks, () -> {
            throw new IllegalStateException("killed");
        }, STALL); RingMember other = new RingMember(network, "h", TOKEN, 0, 1, chunks, () -> { }, STALL)) {
            killed.connect(List.of(killed.address(), other.address()), AllReduce.RING);
            assertEquals("killed", assertThrows(IllegalStateException.class, () -> killed.allReduce(0, new long[8])).getMessage());
        }
    }

    interface MemberWork<T> {
        T run(int member, RingMember ring) throws Exception;
    }

    /** A member's work that may look at the other members (by member). */
    interface GroupWork<T> {
        T run(int member, List<RingMember> all) throws Exception;
    }

    /** Runs {@code n} members, each on its own thread, joined into a ring; returns each one's result. */
    static <T> List<T> run(int n, Chunks chunks, MemberWork<T> work) throws Exception {
        return run(n, chunks, AllReduce.RING, work);
    }

    /** The same, the members adding their sums by {@code allReduce}. */
    static <T> List<T> run(int n, Chunks chunks, AllReduce allReduce, MemberWork<T> work) throws Exception {
        return runGroup(n, chunks, allReduce, (member, all) -> work.run(member, all.get(member)));
    }

    /** The same, each member's work seeing every member. */
    static <T> List<T> runGroup(int n, Chunks chunks, AllReduce allReduce, GroupWork<T> work) throws Exception {
        InMemoryTransport network = new InMemoryTransport();
        List<RingMember> ring = new ArrayList<>();
        for (int m = 0; m < n; m++) ring.add(new RingMember(network, "host-" + m, TOKEN, 0, m, chunks, () -> { }, STALL));
        List<String> addresses = n == 1 ? List.of() : ring.stream().map(RingMember::address).toList();
        for (int m = 0; m < n; m++) ring.get(m).connect(addresses, allReduce);
        List<CompletableFuture<T>> results = new ArrayList<>();
        for (int m = 0; m < n; m++) {
            int member = m;
            results.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return work.run(member, ring);
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

    static void requestAccepted(Transport.Connection connection, Message message) throws Exception {
        assertEquals("accepted", answer(connection, message.encode()));
    }

    /** Sends {@code message} (null: a byte that is no message) and returns the failure's text. */
    static String requestFailure(Transport.Connection connection, Message message) throws Exception {
        String result = answer(connection, message == null ? ByteBuffer.wrap(new byte[]{77}) : message.encode());
        assertTrue(!result.equals("accepted"), "the message was accepted");
        return result;
    }

    /** "accepted", or the failure's text. */
    private static String answer(Transport.Connection connection, ByteBuffer request) throws Exception {
        CompletableFuture<String> reply = new CompletableFuture<>();
        connection.request(request, new Transport.ReplyHandler() {
            @Override
            public void onReply(ByteBuffer r) {
                reply.complete("accepted");
            }

            @Override
            public void onFailure(Throwable cause) {
                reply.complete(cause.getMessage());
            }
        });
        return reply.get(10, TimeUnit.SECONDS);
    }
}

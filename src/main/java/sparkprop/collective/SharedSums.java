package sparkprop.collective;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Phaser;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * The members of a stage that share one JVM (Spark's local mode, {@link Topology#SHARED}): they add
 * their sums in shared memory, with no encoding, copying or socket, and keep one state. Each step:
 * every member publishes its sums, each adds one chunk of them all into the shared totals and
 * updates the same chunk of the state, and once all are done all go on. The sums are
 * exact whole numbers, so the order of the additions never changes a bit: the totals are those of
 * the ring and the star.
 *
 * <p>A launch's members find each other by the run's token and the launch; every wait is bounded
 * like the ring's ({@link RingMember.Waiting} checked each second, and a member silent for the stall
 * bound fails the step).
 */
public final class SharedSums {
    private record Key(Token token, int launch) {
    }

    private static final Map<Key, SharedSums> GROUPS = new ConcurrentHashMap<>();

    private final Key key;
    private final Chunks chunks;
    private final Phaser phaser;
    private final long[][] published;
    private final long[] totals;
    private volatile Object shared;

    private SharedSums(Key key, Chunks chunks) {
        this.key = key;
        this.chunks = chunks;
        this.phaser = new Phaser(chunks.members());
        this.published = new long[chunks.members()][];
        this.totals = new long[chunks.length()];
    }

    /** The group of this run's launch, made by its first member. */
    public static SharedSums join(Token token, int launch, Chunks chunks) {
        // Groups of earlier launches are dropped: their members failed or finished.
        GROUPS.keySet().removeIf(k -> k.token().equals(token) && k.launch() < launch);
        return GROUPS.computeIfAbsent(new Key(token, launch), k -> new SharedSums(k, chunks));
    }

    /** The one object the members share (the state they train), made by the first member that asks. */
    @SuppressWarnings("unchecked")
    public synchronized <T> T shared(Supplier<T> make) {
        if (shared == null) shared = make.get();
        return (T) shared;
    }

    /**
     * Adds every member's {@code values} of a step, this member those of its own chunk ({@link Chunks}): returns the
     * totals, whose chunk of this member is complete on return and the rest once every member is at the next
     * {@link #await}. The others read {@code values} until then, so nobody changes them before it.
     */
    public long[] addChunk(int member, long[] values, RingMember.Waiting waiting, long stallNanos) {
        published[member] = values;
        await(waiting, stallNanos);
        int from = chunks.from(member), to = chunks.to(member);
        System.arraycopy(published[0], from, totals, from, to - from);
        for (int m = 1; m < published.length; m++) {
            long[] p = published[m];
            for (int i = from; i < to; i++) totals[i] += p[i];
        }
        return totals;
    }

    /**
     * The total of the value at {@code index}, added here from every member's values: for the few values each member
     * needs before the others' chunks are complete (a step's loss and counts). Between {@link #addChunk} and the next
     * {@link #await}.
     */
    public long total(int index) {
        long sum = 0;
        for (long[] p : published) sum += p[index];
        return sum;
    }

    /** Waits until every member arrives here, looking each second whether this member was killed; at most {@code stallNanos}. */
    public void await(RingMember.Waiting waiting, long stallNanos) {
        int phase = phaser.arrive();
        long start = System.nanoTime();
        while (true) {
            try {
                phaser.awaitAdvanceInterruptibly(phase, 1, TimeUnit.SECONDS);
                return;
            } catch (TimeoutException e) {
                waiting.check();
                if (System.nanoTime() - start > stallNanos) {
                    throw new IllegalStateException("a member of the stage's launch " + key.launch() + " did not arrive for "
                            + TimeUnit.NANOSECONDS.toSeconds(stallNanos) + " s");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                waiting.check();
                throw new IllegalStateException("interrupted while waiting for the stage's other members", e);
            }
        }
    }

    /** The launch is over (every member done): its group is forgotten. */
    public void leave() {
        GROUPS.remove(key, this);
    }
}

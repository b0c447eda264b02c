package sparkprop.collective;

/**
 * How a ring's members add their sums ({@link RingMember#allReduce}). Both move the same bytes,
 * 2(N - 1)/N of the vector over each member's link a step; they differ in rounds, each of which
 * waits on another member:
 * <ul>
 * <li>{@code RING}: Patarasuk and Yuan's ring (Horovod's, Gloo's): 2(N - 1) rounds, each to the
 *     right neighbour; any N.</li>
 * <li>{@code HALVING_DOUBLING}: recursive halving, then doubling (Thakur, Rabenseifner and Gropp
 *     2005): 2 log2 N rounds, each with a partner (the member whose number differs in one bit); N a
 *     power of two. The lab measured a round at a few milliseconds on its throttled hosts, so at 8
 *     members the 6 rounds against the ring's 14 are most of the difference.</li>
 * <li>{@code DIRECT}: 2 rounds whatever N. A reduce-scatter in one round (each member sends chunk c
 *     of its sums straight to member c, all at once), then an all-gather in one (each sends its
 *     chunk's total to every other). Each round waits on every other member at once, so a member
 *     waits once a round for the slowest rather than for a chain of partners that each waited; it
 *     takes N - 1 connections a member, and a link receives from N - 1 senders at once.</li>
 * </ul>
 * The sums are exact whole numbers, so each gives the same bits.
 */
public enum AllReduce {
    RING, HALVING_DOUBLING, DIRECT;

    /**
     * The all-reduce for {@code members} under {@code setting} ({@code auto}, {@code ring}, {@code
     * halving-doubling} or {@code direct}). {@code auto} and {@code halving-doubling}: halving-doubling
     * where the members are a power of two of at least 4 (at 2 all three are the same exchange), else the
     * ring; {@code ring} always; {@code direct} among any number of at least 2. Direct is not the default:
     * in the lab at 8 hosts it was ahead of halving-doubling in three paired runs of the compute-heavy net
     * by 2% to 29%, within the runs' noise, and the same for the default net; a member's N - 1
     * connections and a link's N - 1 senders at once are untried beyond 8.
     *
     * @throws IllegalArgumentException for another setting
     */
    public static AllReduce of(String setting, int members) {
        boolean halvable = members >= 4 && HALVING_DOUBLING.runsAmong(members);
        return switch (setting) {
            case "auto", "halving-doubling" -> halvable ? HALVING_DOUBLING : RING;
            case "ring" -> RING;
            case "direct" -> members >= 2 ? DIRECT : RING;
            default -> throw new IllegalArgumentException(setting + ": expected auto, ring, halving-doubling or direct");
        };
    }

    /** Whether this all-reduce can run among {@code members}: the ring and direct among any, halving-doubling among a power of two. */
    public boolean runsAmong(int members) {
        return this == HALVING_DOUBLING ? Integer.bitCount(members) == 1 : members >= 1;
    }
}

package sparkprop.collective;

/**
 * A vector of {@code length} values cut into one chunk per ring member: chunk c is
 * [c·length/members, (c+1)·length/members). After the ring's reduce-scatter member m holds the
 * total of chunk {@link #owned}(m), the chunk it sends first in the all-gather.
 */
public record Chunks(int length, int members) {
    public Chunks {
        if (members < 1 || length < members) throw new IllegalArgumentException(length + " values in " + members + " chunks");
    }

    public int from(int chunk) {
        return (int) ((long) chunk * length / members);
    }

    public int to(int chunk) {
        return from(chunk + 1);
    }

    public int size(int chunk) {
        return to(chunk) - from(chunk);
    }

    /** The chunk whose total member m holds after the reduce-scatter: the one it receives in the last of its members - 1 rounds. */
    public int owned(int member) {
        return (member + 1) % members;
    }
}

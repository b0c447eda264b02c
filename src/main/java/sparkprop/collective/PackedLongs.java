package sparkprop.collective;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Exact whole numbers on the wire in about as many bytes as they need: a range of values as
 * blocks of {@value #BLOCK}, each block
 * <pre>
 *   1 byte   w, the bit width of its largest zigzagged value (0..64)
 *   8w bytes the 64 zigzagged values, w bits each, packed from the low bit of the first int64 up
 *            (a value may straddle two words); a short last block is padded with zeros
 * </pre>
 * Little-endian. An all-zero block (blank pixels' weights) takes one byte. Branch-free, unlike
 * varints: on 1.9M values varints cost 14 ms to write and 11 ms to read, on a step's critical path.
 * Fixed-point gradient sums ({@code train.PackedSum}) and the partial sums the ring passes on are
 * written this way.
 */
public final class PackedLongs {
    public static final int BLOCK = 64;
    private static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private PackedLongs() {
    }

    /** The width byte of each block of values[from, to). */
    public static byte[] widths(long[] values, int from, int to) {
        int n = to - from, blocks = (n + BLOCK - 1) / BLOCK;
        byte[] widths = new byte[blocks];
        for (int b = 0; b < blocks; b++) {
            long bits = 0;
            for (int i = from + b * BLOCK, end = Math.min(to, i + BLOCK); i < end; i++) bits |= zigzag(values[i]);
            widths[b] = (byte) (64 - Long.numberOfLeadingZeros(bits));
        }
        return widths;
    }

    /** The bytes the blocks of these widths take. */
    public static long size(byte[] widths) {
        long size = widths.length;
        for (byte w : widths) size += 8L * w;
        return size;
    }

    /** Writes the blocks of values[from, to) (whose {@link #widths} are given) at {@code out[at]}; returns where they end. */
    public static int write(long[] values, int from, int to, byte[] widths, byte[] out, int at) {
        for (int b = 0; b < widths.length; b++) {
            int width = widths[b];
            out[at++] = (byte) width;
            if (width == 0) continue;
            // 64 values of `width` bits fill exactly `width` longs.
            long word = 0;
            int used = 0;
            for (int i = 0, first = from + b * BLOCK; i < BLOCK; i++) {
                long v = first + i < to ? zigzag(values[first + i]) : 0;
                word |= v << used;
                used += width;
                if (used >= 64) {
                    LONG_LE.set(out, at, word);
                    at += 8;
                    used -= 64;
                    word = used == 0 ? 0 : v >>> (width - used);
                }
            }
        }
        return at;
    }

    /** values[from, to) packed, with nothing around them. */
    public static byte[] encode(long[] values, int from, int to) {
        byte[] widths = widths(values, from, to);
        long size = size(widths);
        if (size > Integer.MAX_VALUE - 16) throw new IllegalStateException(size + " bytes of packed values are too many to send");
        byte[] out = new byte[(int) size];
        write(values, from, to, widths, out, 0);
        return out;
    }

    /**
     * Adds the {@code count} values packed at {@code bytes[at]} into {@code into[offset...]}; returns
     * where they end. Throws when the bytes end early or a width is impossible.
     */
    public static int addInto(byte[] bytes, int at, int count, long[] into, int offset) {
        long[] words = new long[BLOCK + 1];
        for (int done = 0; done < count; done += BLOCK) at = addBlock(bytes, at, Math.min(BLOCK, count - done), into, offset + done, words);
        return at;
    }

    /**
     * Adds the {@code count} values of the block at byte {@code at} into {@code into[offset...]};
     * returns where the next block starts. {@code words} is scratch space for BLOCK + 1 longs.
     */
    public static int addBlock(byte[] bytes, int at, int count, long[] into, int offset, long[] words) {
        int width = width(bytes, at);
        if (width == 0) return at + 1;
        if (at + 1 + 8 * width > bytes.length) throw new IllegalArgumentException("packed values end inside a block at byte " + at);
        for (int k = 0; k < width; k++) words[k] = (long) LONG_LE.get(bytes, at + 1 + 8 * k);
        words[width] = 0;
        long mask = width == 64 ? -1L : (1L << width) - 1;
        for (int i = 0; i < count; i++) {
            // Value i starts at bit i*width of the block's words; its high bits, if any, are the low
            // bits of the next word. Branch-free: the shift pair makes the high part 0 when the value
            // starts a word, and the mask drops it when the value fits in one.
            int bit = i * width, word = bit >>> 6, shift = bit & 63;
            long v = (words[word] >>> shift) | (words[word + 1] << 1 << (63 - shift));
            into[offset + i] += unzigzag(v & mask);
        }
        return at + 1 + 8 * width;
    }

    /** Takes the totals of one block: values [first, first + count) of the vector, in {@code totals[0, count)}. */
    public interface BlockTotals {
        void accept(int first, long[] totals, int count);
    }

    /**
     * Adds {@code parts} value by value ({@code n} values each, packed from byte {@code start})
     * and hands each block's totals to {@code sink}, without the whole total ever existing (8
     * bytes a value): ranges of blocks are added on all cores at once, each value from its own
     * block alone, so the split changes no bit. Throws if a part does not end where its blocks do.
     */
    public static void addEach(java.util.List<byte[]> parts, int start, int n, BlockTotals sink) {
        int count = parts.size(), blocks = (n + BLOCK - 1) / BLOCK;
        int ranges = Math.max(1, Math.min(Runtime.getRuntime().availableProcessors(), blocks / 1024));
        // begins[r][p]: where range r's first block is in part p, found by walking the width bytes.
        int[][] begins = new int[ranges][count];
        for (int p = 0; p < count; p++) {
            byte[] bytes = parts.get(p);
            int at = start;
            for (int b = 0, r = 0; b < blocks; b++) {
                if (r < ranges && b == rangeStart(r, ranges, blocks)) begins[r++][p] = at;
                at = skipBlock(bytes, at);
            }
            if (at != bytes.length) throw new IllegalArgumentException("packed values of " + bytes.length + " bytes where " + at + " were expected");
        }
        java.util.stream.IntStream.range(0, ranges).parallel().forEach(r -> {
            long[] totals = new long[BLOCK], words = new long[BLOCK + 1];
            int[] at = begins[r].clone();
            for (int b = rangeStart(r, ranges, blocks), end = rangeStart(r + 1, ranges, blocks); b < end; b++) {
                int first = b * BLOCK, size = Math.min(BLOCK, n - first);
                java.util.Arrays.fill(totals, 0);
                for (int p = 0; p < count; p++) at[p] = addBlock(parts.get(p), at[p], size, totals, 0, words);
                sink.accept(first, totals, size);
            }
        });
    }

    private static int rangeStart(int r, int ranges, int blocks) {
        return (int) ((long) r * blocks / ranges);
    }

    /** Where the block at {@code at} ends, unread. */
    public static int skipBlock(byte[] bytes, int at) {
        return at + 1 + 8 * width(bytes, at);
    }

    /** The width byte of the block at {@code at}, checked. */
    public static int width(byte[] bytes, int at) {
        if (at >= bytes.length) throw new IllegalArgumentException("packed values end inside block data at byte " + at);
        int width = bytes[at];
        if (width < 0 || width > 64) throw new IllegalArgumentException("packed values with a block " + width + " bits wide");
        return width;
    }

    private static long zigzag(long v) {
        return (v << 1) ^ (v >> 63);
    }

    private static long unzigzag(long v) {
        return (v >>> 1) ^ -(v & 1);
    }
}

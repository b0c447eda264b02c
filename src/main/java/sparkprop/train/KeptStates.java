package sparkprop.train;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import sparkprop.collective.Token;

/**
 * Per executor (JVM): the state a run's stage members here ended their last launch with ({@link Replica}'s wire form),
 * and the step it is before. The run's next launch starts from it instead of fetching the driver's broadcast, and the
 * driver's scoring jobs take the model they score from it (its parameters, or the moving average) when it is that
 * model, found by its digest: the driver's link then carries each epoch's model to no executor that holds it already,
 * so its traffic does not grow with the executors.
 */
final class KeptStates {
    private record Kept(long step, byte[] state) {
    }

    /** The digests of the two models a kept state holds (the average's null without --ema), worked out once per state. */
    private record Digests(byte[] state, byte[] params, byte[] average) {
    }

    private static final ConcurrentHashMap<Token, Kept> LAST = new ConcurrentHashMap<>();
    private static Digests digests; // of the newest state asked about; guarded by the class
    private static byte[] lastDigest; // and the last model found, decoded once for the tasks that score with it
    private static float[] lastModel;

    private KeptStates() {
    }

    /** Keeps a run's state before {@code step}; one run's per executor, not every run's. */
    static synchronized void keep(Token token, long step, byte[] state) {
        LAST.keySet().removeIf(other -> !other.equals(token));
        LAST.put(token, new Kept(step, state));
        lastDigest = null; // a model is found only while its state is kept
        lastModel = null;
    }

    /** The run's state kept here before {@code step}, or null. */
    static byte[] stateBefore(Token token, long step) {
        Kept kept = LAST.get(token);
        return kept != null && kept.step() == step ? kept.state() : null;
    }

    /** What the driver sends instead of a model an executor may hold: SHA-256 of its float32 values, little-endian. */
    static byte[] digest(float[] model) {
        ByteBuffer bytes = ByteBuffer.allocate(4 * model.length).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(model);
        return sha256().digest(bytes.array());
    }

    /** The model kept here whose {@link #digest} this is (a kept state's parameters or moving average), or null. */
    static synchronized float[] model(byte[] digest) {
        if (lastModel != null && Arrays.equals(digest, lastDigest)) return lastModel;
        for (Kept kept : LAST.values()) {
            byte[] state = kept.state();
            if (digests == null || digests.state() != state) {
                int last = lastArray(state);
                digests = new Digests(state, arrayDigest(state, 0), length(state, last) == 0 ? null : arrayDigest(state, last));
            }
            int at = Arrays.equals(digest, digests.params()) ? 0
                    : digests.average() != null && Arrays.equals(digest, digests.average()) ? lastArray(state) : -1;
            if (at >= 0) {
                lastDigest = digest;
                lastModel = floats(state, at);
                return lastModel;
            }
        }
        return null;
    }

    /** The digest of the array at {@code at} in a state: {@link #digest} of its values, read from their bytes as they are. */
    private static byte[] arrayDigest(byte[] state, int at) {
        MessageDigest sha = sha256();
        sha.update(state, at + 4, 4 * length(state, at));
        return sha.digest();
    }

    private static int length(byte[] state, int at) {
        return ByteBuffer.wrap(state).order(ByteOrder.LITTLE_ENDIAN).getInt(at);
    }

    /** Where the last of a state's length-prefixed arrays begins. */
    private static int lastArray(byte[] state) {
        ByteBuffer b = ByteBuffer.wrap(state).order(ByteOrder.LITTLE_ENDIAN);
        int at = 0;
        while (true) {
            int next = at + 4 + 4 * b.getInt(at);
            if (next >= state.length) return at;
            at = next;
        }
    }

    private static float[] floats(byte[] state, int at) {
        ByteBuffer b = ByteBuffer.wrap(state).order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[b.getInt(at)];
        b.position(at + 4);
        b.asFloatBuffer().get(out);
        return out;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        }
    }
}

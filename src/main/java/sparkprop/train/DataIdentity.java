package sparkprop.train;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What identifies a run's data, so a checkpoint is not continued on other data by mistake: the
 * training and test example counts and a fingerprint of every cached example (its pixels or
 * values and its label, shard by shard: the same for the same data wherever it is read from and
 * however it is partitioned, and different when an example, the split or the shard count differs).
 * Checkpoints record it ({@link Checkpoint}); {@code train --resume} compares it.
 */
public record DataIdentity(long trainExamples, long testExamples, String fingerprint) {
    /** The differences from {@code recorded}, for a message ("60000 train examples, not 30000"); empty if none. */
    public List<String> differencesFrom(DataIdentity recorded) {
        List<String> out = new ArrayList<>();
        if (trainExamples != recorded.trainExamples) out.add(trainExamples + " training examples, not " + recorded.trainExamples);
        if (testExamples != recorded.testExamples) out.add(testExamples + " test examples, not " + recorded.testExamples);
        if (out.isEmpty() && !fingerprint.equals(recorded.fingerprint)) {
            out.add("the same counts but other examples (fingerprint " + fingerprint + ", not " + recorded.fingerprint + ")");
        }
        return out;
    }

    Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("train_examples", trainExamples);
        m.put("test_examples", testExamples);
        m.put("fingerprint", fingerprint);
        return m;
    }

    /** What {@link #toMap} wrote; null for a checkpoint from before identities were recorded. */
    static DataIdentity fromMap(Object header) {
        if (!(header instanceof Map<?, ?> m)) return null;
        return new DataIdentity(((Number) m.get("train_examples")).longValue(), ((Number) m.get("test_examples")).longValue(),
                (String) m.get("fingerprint"));
    }
}

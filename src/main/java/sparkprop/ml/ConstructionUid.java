package sparkprop.ml;

import org.apache.spark.ml.util.Identifiable;

/**
 * spark.ml's Scala constructors call {@code uid()} before a Java subclass's constructor body runs,
 * and the params they create keep the uid it returned; a uid stored in a field afterwards would not
 * be theirs. So a constructor given a uid hands it over here (in its {@code this(...)} call, which
 * runs before the Scala constructors) and {@code uid()} takes it on its first call.
 */
final class ConstructionUid {
    private static final ThreadLocal<String> GIVEN = new ThreadLocal<>();

    private ConstructionUid() {
    }

    /** Hands {@code uid} to the object about to be constructed on this thread. */
    static Void give(String uid) {
        GIVEN.set(uid);
        return null;
    }

    /** The uid handed over for the object under construction, or a fresh one with {@code prefix}. */
    static String take(String prefix) {
        String given = GIVEN.get();
        GIVEN.remove();
        return given != null ? given : Identifiable.randomUID(prefix);
    }
}

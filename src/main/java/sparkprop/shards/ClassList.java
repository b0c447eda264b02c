package sparkprop.shards;

import java.util.Arrays;
import org.apache.spark.SparkConf;

/** A Spark setting that lists class names, comma-separated (spark.plugins, spark.kryo.registrator): ours joins the user's. */
final class ClassList {
    private ClassList() {
    }

    static boolean contains(SparkConf conf, String key, Class<?> type) {
        return Arrays.stream(conf.get(key, "").split(",")).map(String::trim).anyMatch(type.getName()::equals);
    }

    /** Adds {@code type} to the list under {@code key} unless it is there, keeping what the user listed. */
    static void add(SparkConf conf, String key, Class<?> type) {
        if (contains(conf, key, type)) return;
        String listed = conf.get(key, "").trim();
        conf.set(key, listed.isEmpty() ? type.getName() : listed + "," + type.getName());
    }
}

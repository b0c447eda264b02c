package sparkprop.shards;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.serializers.JavaSerializer;
import org.apache.spark.SparkConf;
import org.apache.spark.serializer.KryoRegistrator;

/**
 * Lets Spark's Kryo serializer carry our records. Many deployments set
 * {@code spark.serializer=org.apache.spark.serializer.KryoSerializer}; the Kryo that Spark ships
 * (4.x) cannot build records (it writes final fields in place), so shards, tables and scores
 * would fail in the first shuffle or collect. Records go through Java serialization inside Kryo
 * instead: they are few and large (a shard's arrays), so this costs nothing measurable.
 */
public final class KryoRecords implements KryoRegistrator {
    static final String REGISTRATOR = "spark.kryo.registrator";

    @Override
    public void registerClasses(Kryo kryo) {
        kryo.addDefaultSerializer(Record.class, JavaSerializer.class);
    }

    /** Adds this registrator to {@code spark.kryo.registrator}, keeping any the user listed. */
    public static void register(SparkConf conf) {
        ClassList.add(conf, REGISTRATOR, KryoRecords.class);
    }

    /**
     * Refuses a context that would fail mid-job: Kryo chosen as Spark's serializer without this
     * registrator (a running context's settings cannot be changed, so the user must add it).
     */
    public static void check(SparkConf conf) {
        if (conf.get("spark.serializer", "").contains("Kryo") && !ClassList.contains(conf, REGISTRATOR, KryoRecords.class)) {
            throw new IllegalArgumentException("spark.serializer is Kryo, which cannot carry sparkprop's records: add "
                    + KryoRecords.class.getName() + " to " + REGISTRATOR + " (e.g. --conf " + REGISTRATOR + "=" + KryoRecords.class.getName() + ")");
        }
    }
}

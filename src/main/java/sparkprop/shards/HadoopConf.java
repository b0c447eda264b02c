package sparkprop.shards;

import java.io.Serializable;
import java.util.HashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;

/**
 * The driver's Hadoop settings (s3a credentials, hdfs addresses, spark.hadoop.* values) carried
 * to executors as plain strings, since a Configuration itself is not serializable.
 */
public record HadoopConf(Map<String, String> values) implements Serializable {
    public static HadoopConf of(Configuration conf) {
        Map<String, String> values = new HashMap<>();
        for (Map.Entry<String, String> e : conf) values.put(e.getKey(), e.getValue());
        return new HadoopConf(values);
    }

    public Configuration toConfiguration() {
        Configuration conf = new Configuration(false);
        values.forEach(conf::set);
        return conf;
    }
}

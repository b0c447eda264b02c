package sparkprop.shards;

import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.api.plugin.DriverPlugin;
import org.apache.spark.api.plugin.ExecutorPlugin;
import org.apache.spark.api.plugin.PluginContext;
import org.apache.spark.api.plugin.SparkPlugin;
import sparkprop.core.Blas;

/**
 * Sets up our sgemm when each executor starts, before any task runs. netlib looks for a native
 * library once per JVM and keeps the answer: if another library's code (an MLlib stage earlier in
 * a Pipeline, say) asked first, before the bundled OpenBLAS was unpacked and named to it, every
 * task on that executor would run plain-Java sgemm, 5-10x slower. {@code blas_executors} in
 * summary.json shows what each executor got.
 */
public final class NativeBlasPlugin implements SparkPlugin {
    static final String PLUGINS = "spark.plugins";
    /** The backend the plugin found when this JVM's executor started (null before); for tests. */
    static volatile String startedWith;

    @Override
    public DriverPlugin driverPlugin() {
        return null;
    }

    @Override
    public ExecutorPlugin executorPlugin() {
        return new ExecutorPlugin() {
            @Override
            public void init(PluginContext context, Map<String, String> extraConf) {
                startedWith = Blas.describe();
            }
        };
    }

    /** Adds this plugin to {@code spark.plugins}, keeping any the user listed. */
    public static void register(SparkConf conf) {
        ClassList.add(conf, PLUGINS, NativeBlasPlugin.class);
    }
}

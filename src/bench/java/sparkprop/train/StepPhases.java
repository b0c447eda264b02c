package sparkprop.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.LinkedHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.TaskInfo;
import org.apache.spark.executor.TaskMetrics;
import sparkprop.core.Dropout;
import sparkprop.core.NetworkSpec;

/**
 * Where a step's time goes, for the benchmark: the step of {@link Trainer#stepGradient} taken
 * apart on the driver (broadcast, the job, decoding, destroying the broadcast) and, from Spark's
 * own task metrics, inside the job (task deserialization, run, result serialization, and the
 * scheduler's share: launch and result delivery). Medians over the steps, in milliseconds.
 */
public final class StepPhases {
    private StepPhases() {
    }

    public static Map<String, Double> measure(JavaSparkContext sc, Trainer trainer, int steps) {
        return measure(sc, trainer, steps, false);
    }

    /** @param inClosure send the parameters inside the task closure instead of their own broadcast */
    public static Map<String, Double> measure(JavaSparkContext sc, Trainer trainer, int steps, boolean inClosure) {
        ConcurrentLinkedQueue<double[]> tasks = new ConcurrentLinkedQueue<>();
        SparkListener listener = new SparkListener() {
            @Override
            public void onTaskEnd(SparkListenerTaskEnd end) {
                TaskInfo info = end.taskInfo();
                TaskMetrics m = end.taskMetrics();
                if (m == null) return;
                double total = info.finishTime() - info.launchTime();
                double deserialize = m.executorDeserializeTime(), run = m.executorRunTime(), serialize = m.resultSerializationTime();
                tasks.add(new double[]{total, deserialize, run, serialize, total - deserialize - run - serialize, info.gettingResultTime()});
            }
        };
        sc.sc().addSparkListener(listener);
        NetworkSpec network = trainer.spec();
        Dropout dropout = Dropout.NONE;
        float[] params = trainer.initialState().params();
        float[] gradient = new float[params.length];
        double[][] phases = new double[5][steps];
        try {
            for (int i = 0; i < steps + 10; i++) {
                StepPlan plan = new StepPlan(1, 0, 0, i % trainer.stepsPerEpoch(), 512, trainer.layout());
                long t0 = System.nanoTime();
                Broadcast<float[]> shared = inClosure ? null : sc.broadcast(params);
                long t1 = System.nanoTime();
                float[] copy = inClosure ? params.clone() : null;
                JavaRDD<byte[]> sums = inClosure
                        ? trainer.train().mapPartitions(blocks -> List.of(ShardWork.encodedStepGradient(network, copy, blocks, plan, dropout, sparkprop.core.Augment.NONE)).iterator())
                        : trainer.train().mapPartitions(blocks -> List.of(ShardWork.encodedStepGradient(network, shared.value(), blocks, plan, dropout, sparkprop.core.Augment.NONE)).iterator());
                List<byte[]> parts = sums.collect();
                long t2 = System.nanoTime();
                PackedSum.meanOf(parts, gradient, plan.batch());
                long t3 = System.nanoTime();
                if (shared != null) shared.destroy();
                long t4 = System.nanoTime();
                if (i == 9) tasks.clear();
                if (i >= 10) {
                    double[] row = {t1 - t0, t2 - t1, t3 - t2, t4 - t3, t4 - t0};
                    for (int k = 0; k < 5; k++) phases[k][i - 10] = row[k] / 1e6;
                }
            }
        } finally {
            sc.sc().removeSparkListener(listener);
        }
        Map<String, Double> out = new LinkedHashMap<>();
        String[] names = {"broadcast_ms", "job_ms", "decode_ms", "destroy_ms", "step_ms"};
        for (int k = 0; k < 5; k++) out.put(names[k], median(phases[k]));
        List<double[]> rows = new ArrayList<>(tasks);
        String[] taskNames = {"task_total_ms", "task_deserialize_ms", "task_run_ms", "task_result_serialize_ms", "task_outside_ms"};
        for (int k = 0; k < 5; k++) {
            final int c = k;
            out.put(taskNames[k], median(rows.stream().mapToDouble(r -> r[c]).toArray()));
        }
        return out;
    }

    /**
     * The same step with broadcast compression on and off, interleaved step by step in one context
     * so that warm-up and the machine's drift fall on both alike; medians of step time in ms.
     * Flips the running context's setting, which each new broadcast reads.
     */
    public static double[] compressionOnOff(JavaSparkContext sc, Trainer trainer, int steps) {
        org.apache.spark.SparkConf live = org.apache.spark.SparkEnv.get().conf();
        String before = live.get("spark.broadcast.compress", "true");
        float[] params = trainer.initialState().params();
        float[] gradient = new float[params.length];
        double[][] t = new double[2][steps];
        try {
            for (int i = 0; i < 2 * (steps + 10); i++) {
                int variant = i % 2;
                live.set("spark.broadcast.compress", variant == 0 ? "true" : "false");
                StepPlan plan = new StepPlan(1, 0, 0, (i / 2) % trainer.stepsPerEpoch(), 512, trainer.layout());
                long t0 = System.nanoTime();
                trainer.stepGradient(params, plan, gradient, false);
                if (i / 2 >= 10) t[variant][i / 2 - 10] = (System.nanoTime() - t0) / 1e6;
            }
        } finally {
            live.set("spark.broadcast.compress", before);
        }
        return new double[]{median(t[0]), median(t[1])};
    }

    /** Medians (ms) of an empty job over {@code parts} partitions and of its tasks' launch-to-finish time. */
    public static double[] emptyJob(JavaSparkContext sc, int parts, int jobs) {
        ConcurrentLinkedQueue<Double> tasks = new ConcurrentLinkedQueue<>();
        SparkListener listener = new SparkListener() {
            @Override
            public void onTaskEnd(SparkListenerTaskEnd end) {
                tasks.add((double) (end.taskInfo().finishTime() - end.taskInfo().launchTime()));
            }
        };
        List<Integer> ids = new ArrayList<>();
        for (int p = 0; p < parts; p++) ids.add(p);
        double[] job = new double[jobs];
        sc.sc().addSparkListener(listener);
        try {
            for (int i = 0; i < jobs + 10; i++) {
                if (i == 10) tasks.clear();
                long t0 = System.nanoTime();
                sc.parallelize(ids, parts).foreachPartition(it -> { });
                if (i >= 10) job[i - 10] = (System.nanoTime() - t0) / 1e6;
            }
        } finally {
            sc.sc().removeSparkListener(listener);
        }
        return new double[]{median(job), median(tasks.stream().mapToDouble(Double::doubleValue).toArray())};
    }

    static double median(double[] v) {
        if (v.length == 0) return Double.NaN;
        double[] c = v.clone();
        Arrays.sort(c);
        return c[c.length / 2];
    }
}

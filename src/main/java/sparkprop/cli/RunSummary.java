package sparkprop.cli;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Map;

/**
 * What {@code summary.json} says about a finished (or stopped) run, written with snake_case keys.
 * The accuracy, loss and hash are those of the saved model: the kept epoch.
 *
 * @param valLoss the kept epoch's validation loss; null (left out) without --validation
 * @param blas          the driver's sgemm backend ("native", "vector", "java")
 * @param blasKernel    the driver's OpenBLAS kernel: pinned by OPENBLAS_CORETYPE, or the per-CPU default
 * @param blasExecutors each executor's backend, library and kernel (what decides the bits)
 * @param taskSlots     the task slots the application had when the data was laid out (what --partitions 0 and --shards auto follow)
 * @param partitions    the Spark partitions that held the shards (config's shards is the number of shards trained on)
 * @param sync          how the steps reached the executors: "stage" or "jobs" (config's sync is what was asked, e.g. "auto")
 * @param exchange      in the stage, how the tasks' sums met: "ring" or "star" (spark.sparkprop.exchange); null for jobs
 * @param config        every setting of the run: the hyperparameters and the run settings
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
record RunSummary(double testAccuracy, double testLoss, int epochs, int bestEpoch, Double valLoss, boolean complete,
                  boolean stoppedEarly, double trainSeconds, String modelFile, String modelSha256, String network, int parameters,
                  String master, int defaultParallelism, String blas, String blasKernel, java.util.List<String> blasExecutors,
                  int taskSlots, int partitions, String sync, String exchange, Map<String, String> config) {

    /** Where and how the run ran: the Spark side of the summary. */
    record Where(String master, int defaultParallelism, java.util.List<String> blasExecutors, int taskSlots, int partitions, String sync,
                 String exchange) {
    }

    /**
     * The summary of {@code result}, whose kept epoch's scores it reports, for the model saved as
     * {@code modelFile} with that hash, trained by {@code spec} {@code where}, with every setting.
     */
    static RunSummary of(sparkprop.train.TrainingResult result, boolean complete, boolean stoppedEarly, String modelFile, String modelSha256,
                         sparkprop.core.NetworkSpec spec, Where where, Map<String, String> config) {
        sparkprop.train.EpochMetrics kept = result.history().get(result.bestEpoch() - 1);
        return new RunSummary(kept.testAccuracy(), kept.testLoss(), result.history().size(), result.bestEpoch(),
                Double.isNaN(kept.valLoss()) ? null : kept.valLoss(), complete, stoppedEarly,
                result.history().stream().mapToDouble(sparkprop.train.EpochMetrics::epochSeconds).sum(), modelFile, modelSha256,
                spec.toString(), spec.parameterCount(), where.master(), where.defaultParallelism(), sparkprop.core.Blas.backend(),
                sparkprop.core.Blas.kernel(), where.blasExecutors(), where.taskSlots(), where.partitions(), where.sync(), where.exchange(), config);
    }
}

package sparkprop.train;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import org.apache.spark.api.java.JavaFutureAction;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.rdd.RDD;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;
import sparkprop.core.NetworkSpec;
import sparkprop.exchange.SparkTransport;
import sparkprop.exchange.Transport;
import sparkprop.shards.ShardBlock;
import sparkprop.shards.SparkJobs;
import sparkprop.shards.ShardLayout;

/**
 * A run's steps in one gang-scheduled (barrier) Spark stage per epoch, so a step costs the compute
 * and two messages, not a Spark job. The driver serves the step exchange ({@link StepMessages}):
 * each task of the stage ({@link StageTask}) sends its sums of a step, which asks for the next;
 * when every partition's sums are in, the loop adds them exactly ({@link PackedSum#meanOf}, as a
 * job per step does), updates, and the next step's parameters answer every waiting task.
 *
 * <p>Faults: Spark never retries a failed barrier result stage, so the driver does. When the stage
 * ends before a step is complete (an executor lost, a task killed), the step's sums so far are
 * dropped, a new stage is launched (requests still arriving from the old one are refused by their
 * launch number) and it computes the same step again: the same bits as an undisturbed run. After
 * {@code spark.stage.maxConsecutiveAttempts} failures of one step the run fails with Spark's cause.
 */
final class StageGradients implements TrainingLoop.StepGradients, Transport.Handler {
    private static final Logger LOG = LoggerFactory.getLogger(StageGradients.class);
    /** The exchange port; 0 (the default) picks a free one. Set it where a firewall must allow the executors in. */
    static final String PORT = "spark.sparkprop.exchange.port";
    /**
     * Above this many partitions the sums travel up a binary tree of the tasks instead of each to the
     * driver. On one link the driver's share of a star grows with the partitions, a tree's with their
     * logarithm: by scripts/bench 6c-6d (measured exchange costs, projected), past about 16 one-core
     * executors the star stops paying at every net size measured.
     */
    static final String TREE_ABOVE = "spark.sparkprop.exchange.treeAbove";
    private static final long NONE = Long.MIN_VALUE;
    private static final long ENDED = Long.MAX_VALUE;

    private final JavaSparkContext sc;
    private final JavaRDD<ShardBlock> train;
    private final NetworkSpec spec;
    private final TrainConfig config;
    private final ShardLayout layout;
    private final int stepsPerEpoch;
    private final int partitions;
    private final int maxAttempts;
    private final StepMessages.Token token = StepMessages.Token.random();
    private final Transport.Server server;
    private final boolean tree;
    /** Nanoseconds the tasks spent computing sums, added as each task of a stage ends (at the epoch's end). */
    private final org.apache.spark.util.LongAccumulator computeNanos;
    private long computeNanosBefore;

    // The exchange's state, guarded by this.
    private int launch;
    private JavaFutureAction<List<Object>> stage;
    private ByteBuffer current;
    private long currentStep = NONE;
    /** The step last sent to each partition's task in this launch. */
    private final long[] delivered;
    /** Each partition's task waiting for its next step, or null. */
    private final Transport.Reply[] waiting;
    private final byte[][] sums;
    private int received;
    /** In a tree: where each task of this launch takes its children's sums, and the tasks waiting to hear their parent's. */
    private final String[] addresses;
    private final Transport.Reply[] waitingForTree;
    private int placed;
    private long slowestCompute;

    StageGradients(JavaSparkContext sc, JavaRDD<ShardBlock> train, NetworkSpec spec, TrainConfig config, ShardLayout layout, int stepsPerEpoch) {
        this.sc = sc;
        this.train = train;
        this.spec = spec;
        this.config = config;
        this.layout = layout;
        this.stepsPerEpoch = stepsPerEpoch;
        this.partitions = layout.partitions();
        this.maxAttempts = sc.getConf().getInt("spark.stage.maxConsecutiveAttempts", 4);
        this.delivered = new long[partitions];
        this.waiting = new Transport.Reply[partitions];
        this.sums = new byte[partitions][];
        this.tree = partitions > sc.getConf().getInt(TREE_ABOVE, 16);
        this.addresses = new String[partitions];
        this.waitingForTree = new Transport.Reply[partitions];
        String host = sc.getConf().get("spark.driver.host");
        String bind = sc.getConf().get("spark.driver.bindAddress", host);
        this.server = SparkTransport.here().serve(bind, host, sc.getConf().getInt(PORT, 0), this);
        this.computeNanos = sc.sc().longAccumulator("sparkprop: task compute nanoseconds");
    }

    @Override
    public double epochComputeSeconds() {
        long now = computeNanos.value();
        double seconds = (now - computeNanosBefore) / 1e9 / partitions;
        computeNanosBefore = now;
        return seconds;
    }

    @Override
    public GradientSum.Totals compute(float[] params, StepPlan plan, float[] gradient) {
        long global = (long) plan.epoch() * stepsPerEpoch + plan.step();
        ByteBuffer message = StepMessages.step(global, plan.epoch(), plan.step(), params);
        byte[][] parts;
        synchronized (this) {
            if (stage == null) launch(plan.epoch());
            Arrays.fill(sums, null);
            received = 0;
            slowestCompute = 0;
            current = message;
            currentStep = global;
            deliver();
            int failures = 0;
            while (received < partitions) {
                try {
                    wait(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for the sums of step " + (plan.step() + 1), e);
                }
                if (received < partitions && stage.isDone()) {
                    Throwable cause = failure(stage);
                    if (TrainingCancelledException.isCancellation(cause)) {
                        throw new TrainingCancelledException("training was cancelled at epoch " + (plan.epoch() + 1) + ", step " + (plan.step() + 1)
                                + ": its Spark stage was cancelled (" + cause.getMessage() + ")", cause);
                    }
                    if (++failures >= maxAttempts) {
                        throw new IllegalStateException("the training stage failed " + failures + " times at epoch " + (plan.epoch() + 1)
                                + ", step " + (plan.step() + 1) + " (spark.stage.maxConsecutiveAttempts=" + maxAttempts + "): "
                                + cause.getMessage(), cause);
                    }
                    LOG.warn("the training stage ended at epoch {}, step {} before every partition's sums were in ({}); starting it again"
                            + " (attempt {} of {})", plan.epoch() + 1, plan.step() + 1, cause.getMessage(), failures + 1, maxAttempts);
                    launch(plan.epoch());
                }
            }
            parts = Arrays.stream(sums).filter(java.util.Objects::nonNull).toArray(byte[][]::new);
        }
        return PackedSum.meanOf(Arrays.asList(parts), gradient, plan.batch());
    }

    /** Whether the sums travel up a tree of the tasks. */
    boolean tree() {
        return tree;
    }

    /** The run's token, which every task's request must carry. */
    StepMessages.Token token() {
        return token;
    }

    /** The longest any task took to compute its sums of the last step (the rest of the step is overhead). */
    synchronized long slowestComputeNanos() {
        return slowestCompute;
    }

    @Override
    public void epochDone() {
        JavaFutureAction<List<Object>> ending;
        synchronized (this) {
            if (stage == null) return;
            current = StepMessages.end();
            currentStep = ENDED;
            deliver();
            ending = stage;
            stage = null;
        }
        try {
            ending.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            ending.cancel(true);
        } catch (ExecutionException e) {
            // Every step of the epoch is done and summed; a task lost while leaving changes nothing.
            LOG.warn("the training stage failed after its last step: {}", e.getCause().getMessage());
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            if (stage != null && !stage.isDone()) stage.cancel(true);
            stage = null;
            for (int p = 0; p < partitions; p++) {
                if (waiting[p] != null) waiting[p].fail("the run ended");
                if (waitingForTree[p] != null) waitingForTree[p].fail("the run ended");
                waiting[p] = null;
                waitingForTree[p] = null;
            }
        }
        server.close();
    }

    @Override
    public void receive(ByteBuffer message, Transport.Reply reply) {
        StepMessages.Request request;
        try {
            request = StepMessages.readRequest(message);
        } catch (IllegalArgumentException e) {
            reply.fail(e.getMessage());
            return;
        }
        if (!request.token().equals(token)) {
            LOG.warn("refused a step request without this run's token");
            reply.fail("refused: not a task of this run");
            return;
        }
        synchronized (this) {
            int p = request.partition();
            if (request.launch() != launch) {
                reply.fail("the stage of launch " + request.launch() + " was replaced by launch " + launch);
                return;
            }
            if (p < 0 || p >= partitions) {
                reply.fail("no partition " + p + " in " + partitions);
                return;
            }
            if (request.step() == StepMessages.READY && request.sums().length > 0) {
                place(p, new String(request.sums(), java.nio.charset.StandardCharsets.UTF_8), reply);
                return;
            }
            // In a tree a task whose sums went to its parent asks for the next step with none; the root's total may already
            // have closed the step it did, so it is judged against the step it was given, not the open one.
            boolean sentUpTheTree = tree && request.sums().length == 0 && request.step() != StepMessages.READY;
            if (sentUpTheTree && request.step() != delivered[p]) {
                reply.fail("partition " + p + " reports step " + request.step() + " but was given step " + delivered[p]);
                return;
            }
            if (request.step() != StepMessages.READY && !sentUpTheTree) {
                if (request.step() != currentStep || sums[p] != null || (tree && p != 0) || request.sums().length == 0) {
                    reply.fail("sums of step " + request.step() + " from partition " + p + " while step " + currentStep + " is open");
                    return;
                }
                slowestCompute = Math.max(slowestCompute, request.computeNanos());
                if (request.sums().length > 0) {
                    sums[p] = request.sums();
                    // In a tree the root's sums are everyone's.
                    received += tree ? partitions : 1;
                    if (received >= partitions) notifyAll();
                }
            }
            waiting[p] = reply;
            deliver();
        }
    }

    /** A task of a tree said where it takes its children's sums; once all have, each hears its parent's. Called holding the lock. */
    private void place(int p, String address, Transport.Reply reply) {
        if (!tree || addresses[p] != null) {
            reply.fail("partition " + p + " placed twice, or not in a tree");
            return;
        }
        addresses[p] = address;
        waitingForTree[p] = reply;
        if (++placed < partitions) return;
        for (int q = 0; q < partitions; q++) {
            waitingForTree[q].send(StepMessages.topology(q == 0 ? "" : addresses[(q - 1) / 2]));
            waitingForTree[q] = null;
        }
    }

    /** Sends the current message to every waiting task that has not had it. Called holding the lock. */
    private void deliver() {
        if (current == null) return;
        for (int p = 0; p < partitions; p++) {
            if (waiting[p] != null && delivered[p] != currentStep) {
                waiting[p].send(current.duplicate());
                waiting[p] = null;
                delivered[p] = currentStep;
            }
        }
    }

    /** Starts the stage's tasks; any earlier launch's tasks are refused from now on. Called holding the lock. */
    private void launch(int epoch) {
        launch++;
        for (int p = 0; p < partitions; p++) {
            if (waiting[p] != null) waiting[p].fail("the stage was replaced");
            if (waitingForTree[p] != null) waitingForTree[p].fail("the stage was replaced");
            waiting[p] = null;
            waitingForTree[p] = null;
            addresses[p] = null;
            delivered[p] = NONE;
            sums[p] = null;
        }
        received = 0;
        placed = 0;
        StageTask task = new StageTask(spec, config, layout, server.host(), server.port(), token, launch, tree, computeNanos);
        String interrupt = sc.getLocalProperty("spark.job.interruptOnCancel");
        // A task waiting for its next step must stop when the stage is cancelled.
        sc.setLocalProperty("spark.job.interruptOnCancel", "true");
        try {
            ClassTag<Object> any = ClassTag$.MODULE$.apply(Object.class);
            RDD<Object> steps = train.rdd().barrier().mapPartitions(task, false, any);
            stage = SparkJobs.described(sc.sc(), "sparkprop train: epoch " + (epoch + 1) + "/" + config.epochs() + ", its steps in one stage",
                    () -> JavaRDD.fromRDD(steps, any).collectAsync());
        } finally {
            sc.setLocalProperty("spark.job.interruptOnCancel", interrupt);
        }
    }

    static Throwable failure(JavaFutureAction<?> stage) {
        try {
            stage.get();
            return new IllegalStateException("the stage's tasks ended before the driver ended the span");
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (InterruptedException | RuntimeException e) {
            return e;
        }
    }
}

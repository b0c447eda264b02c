package sparkprop.train;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import org.apache.spark.api.java.JavaFutureAction;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.rdd.RDD;
import org.apache.spark.util.LongAccumulator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;
import sparkprop.collective.Chunks;
import sparkprop.collective.Message;
import sparkprop.collective.PackedLongs;
import sparkprop.collective.StepExchange;
import sparkprop.collective.Token;
import sparkprop.core.NetworkSpec;
import sparkprop.exchange.SparkTransport;
import sparkprop.exchange.Transport;
import sparkprop.shards.ShardBlock;
import sparkprop.shards.ShardLayout;
import sparkprop.shards.SparkJobs;

/**
 * A run's steps in one gang-scheduled (barrier) stage per epoch, so a step costs the compute and
 * the exchange, not a Spark job. Its tasks ({@link StageTask}) add their sums around a ring (the
 * default, {@link StepExchange.Topology#RING}): the driver's link carries one vector of sums in and
 * one of parameters out per step, whatever the number of tasks, and every task's link about twice
 * that. In a star each task sends the driver its whole sums and is sent the whole parameters. The
 * protocol is {@link StepExchange}'s; this class launches the stage, carries out the exchange's
 * actions on the network, and turns a complete step's sums into the mean gradient the loop updates
 * with.
 *
 * <p>Faults: Spark never retries a failed barrier result stage, so the driver does. When the stage ends before a step is complete
 * (an executor lost, a task killed), its sums so far are dropped, a new launch of the stage computes
 * the same step again (messages of the old launch are refused by the exchange and by the ring's
 * members), and after {@code spark.stage.maxConsecutiveAttempts} failures of one step the run fails
 * with Spark's cause: the same bits as an undisturbed run.
 */
final class StageGradients implements TrainingLoop.StepGradients, Transport.Handler {
    private static final Logger LOG = LoggerFactory.getLogger(StageGradients.class);
    /** How long a task waits for its neighbour or the driver before failing the step, in seconds. */
    static final String STALL = "spark.sparkprop.exchange.stallSeconds";
    /** The exchange port; 0 (the default) picks a free one. Set it where a firewall must allow the executors in. */
    static final String PORT = "spark.sparkprop.exchange.port";

    private final JavaSparkContext sc;
    private final JavaRDD<ShardBlock> train;
    private final NetworkSpec spec;
    private final TrainConfig config;
    private final ShardLayout layout;
    private final int stepsPerEpoch;
    private final int maxAttempts;
    private final long stallNanos;
    private final Token token = Token.random();
    private final Chunks chunks;
    private final StepExchange.Topology topology;
    private final Transport.Server server;
    private final LongAccumulator computeNanos;
    private long computeNanosBefore;

    // Guarded by this.
    private final StepExchange<Transport.Reply> exchange;
    private JavaFutureAction<List<Object>> stage;
    private byte[][] completed;
    private Message lastSent;
    private ByteBuffer lastEncoded;

    StageGradients(JavaSparkContext sc, JavaRDD<ShardBlock> train, NetworkSpec spec, TrainConfig config, ShardLayout layout, int stepsPerEpoch,
                   StepExchange.Topology topology) {
        this.sc = sc;
        this.train = train;
        this.spec = spec;
        this.config = config;
        this.layout = layout;
        this.stepsPerEpoch = stepsPerEpoch;
        this.maxAttempts = sc.getConf().getInt("spark.stage.maxConsecutiveAttempts", 4);
        this.stallNanos = sc.getConf().getTimeAsSeconds(STALL, "600s") * 1_000_000_000L;
        this.chunks = new Chunks(spec.parameterCount() + GradientSum.VECTOR_EXTRA, layout.partitions());
        this.exchange = new StepExchange<>(token, chunks, topology);
        this.topology = topology;
        String host = sc.getConf().get("spark.driver.host");
        String bind = sc.getConf().get("spark.driver.bindAddress", host);
        this.server = SparkTransport.here().serve(bind, host, sc.getConf().getInt(PORT, 0), this);
        this.computeNanos = sc.sc().longAccumulator("sparkprop: task compute nanoseconds");
    }

    @Override
    public GradientSum.Totals compute(float[] params, StepPlan plan, float[] gradient) {
        long global = (long) plan.epoch() * stepsPerEpoch + plan.step();
        byte[][] sums;
        synchronized (this) {
            if (stage == null) launch(plan.epoch());
            completed = null;
            perform(exchange.open(global, plan.epoch(), plan.step(), params));
            int failures = 0;
            while (completed == null) {
                try {
                    wait(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for the sums of step " + (plan.step() + 1), e);
                }
                if (completed == null && stage.isDone()) {
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
                    LOG.warn("the training stage ended at epoch {}, step {} before every task's sums were in ({}); starting it again"
                            + " (attempt {} of {})", plan.epoch() + 1, plan.step() + 1, cause.getMessage(), failures + 1, maxAttempts);
                    launch(plan.epoch());
                }
            }
            sums = completed;
        }
        return meanOf(sums, gradient, plan.batch());
    }

    /**
     * The mean gradient of a complete step, written into {@code gradient}: in a ring each member's chunk total in its
     * place, in a star every member's whole sums added (exactly, so in any order). Each total is divided as it is
     * decoded, the same floats as a job per step's {@link PackedSum#meanOf}; the values past the gradient are the
     * loss, the example count and the overflow count ({@link GradientSum#writeVector}).
     */
    private GradientSum.Totals meanOf(byte[][] sums, float[] gradient, int batch) {
        double f = FixedPoint.perExample(batch);
        int parameters = gradient.length;
        long[] tail = new long[GradientSum.VECTOR_EXTRA];
        java.util.function.IntFunction<PackedLongs.BlockTotals> into = offset -> (first, totals, count) -> {
            for (int i = 0; i < count; i++) {
                int at = offset + first + i;
                if (at < parameters) gradient[at] = (float) (totals[i] * f); else tail[at - parameters] = totals[i];
            }
        };
        if (topology == StepExchange.Topology.STAR) {
            PackedLongs.addEach(Arrays.asList(sums), 0, chunks.length(), into.apply(0));
        } else {
            for (int m = 0; m < sums.length; m++) PackedLongs.addEach(List.of(sums[m]), 0, exchange.to(m) - exchange.from(m), into.apply(exchange.from(m)));
        }
        return new GradientSum.Totals(FixedPoint.lossValue(tail[0]), (int) tail[1], tail[2] != 0);
    }

    /** The run's token, which every task's message must carry. */
    Token token() {
        return token;
    }

    @Override
    public double epochComputeSeconds() {
        long now = computeNanos.value();
        double seconds = (now - computeNanosBefore) / 1e9 / layout.partitions();
        computeNanosBefore = now;
        return seconds;
    }

    @Override
    public void receive(ByteBuffer request, Transport.Reply reply) {
        Message message;
        try {
            message = Message.decode(request);
        } catch (IllegalArgumentException e) {
            reply.fail(e.getMessage());
            return;
        }
        synchronized (this) {
            perform(exchange.receive(message, reply));
        }
    }

    /** Carries out the exchange's actions. Called holding the lock. */
    private void perform(List<StepExchange.Action<Transport.Reply>> actions) {
        for (StepExchange.Action<Transport.Reply> action : actions) {
            if (action instanceof StepExchange.Action.Send<Transport.Reply> send) {
                // A star sends every member the same message: it is encoded once a step and the bytes shared.
                if (send.message() != lastSent) {
                    lastSent = send.message();
                    lastEncoded = lastSent.encode();
                }
                send.to().send(lastEncoded.duplicate());
            } else if (action instanceof StepExchange.Action.Refuse<Transport.Reply> refuse) {
                if (refuse.why().startsWith("refused")) LOG.warn("the step exchange {}", refuse.why());
                refuse.to().fail(refuse.why());
            } else if (action instanceof StepExchange.Action.Complete<Transport.Reply> complete) {
                completed = complete.sums();
                notifyAll();
            }
        }
    }

    @Override
    public void epochDone() {
        JavaFutureAction<List<Object>> ending;
        synchronized (this) {
            if (stage == null) return;
            perform(exchange.end());
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
            perform(exchange.close());
        }
        server.close();
    }

    /** Starts the stage's tasks as a new launch; the exchange refuses every earlier launch from now on. Called holding the lock. */
    private void launch(int epoch) {
        perform(exchange.relaunch()); // the first launch has nothing to refuse
        StageTask task = new StageTask(spec, config, layout, server.host(), server.port(), token, exchange.launch(), topology, stallNanos,
                computeNanos);
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

    private static Throwable failure(JavaFutureAction<?> stage) {
        try {
            stage.get();
            return new IllegalStateException("the stage's tasks ended before the driver ended the epoch");
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (InterruptedException | RuntimeException e) {
            return e;
        }
    }
}

package sparkprop.train;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.spark.api.java.JavaFutureAction;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.rdd.RDD;
import org.apache.spark.util.LongAccumulator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;
import sparkprop.collective.Action;
import sparkprop.collective.Message;
import sparkprop.collective.PackedLongs;
import sparkprop.collective.RingExchange;
import sparkprop.collective.StepExchange;
import sparkprop.collective.Token;
import sparkprop.collective.Topology;
import sparkprop.core.NetworkSpec;
import sparkprop.exchange.SparkTransport;
import sparkprop.exchange.Transport;
import sparkprop.shards.ShardBlock;
import sparkprop.shards.ShardLayout;
import sparkprop.shards.SparkJobs;
import sparkprop.shards.TaskSlots;

/**
 * A run's steps in one gang-scheduled (barrier) stage per epoch, so a step costs the compute and
 * the exchange, not a Spark job. This class launches the stage, carries out the exchange's actions
 * ({@link sparkprop.collective.Action}) on the network, and relaunches the stage when it fails.
 * Its tasks ({@link StageTask}) combine their sums one of two ways ({@link Topology}):
 * <ul>
 * <li>a ring (the default on a cluster): the tasks add their sums among themselves and update
 *     replicas of the state, so the steps of a launch run without the driver; it hears each step's
 *     loss from one task, and gets the state every {@code stateEvery} steps (the run's checkpoints)
 *     and after the epoch's last. Protocol: {@link RingExchange}.</li>
 * <li>a star: each step the driver sends every task the parameters and adds their sums into the
 *     mean gradient the loop updates with. Protocol: {@link StepExchange}.</li>
 * </ul>
 *
 * <p>Faults: Spark never retries a failed barrier result stage, so the driver does. When the stage
 * ends before a step is in (an executor lost, a task killed), a new launch of the stage starts from
 * the last state the driver has (in a star the open step; in a ring the last state a task sent, or
 * the epoch's start) and computes the same steps again: messages of the old launch are refused by
 * the exchange and by the ring's members, and after {@code spark.stage.maxConsecutiveAttempts}
 * failures in a row the run fails with Spark's cause. Every step is a function of the state before
 * it, so the bits are those of an undisturbed run.
 */
final class StageGradients implements TrainingLoop.StepGradients, Transport.Handler {
    private static final Logger LOG = LoggerFactory.getLogger(StageGradients.class);
    /**
     * How long a task waits for its neighbour or the driver before failing the step, in seconds (at least ten times its
     * own slowest step). The driver then asks Spark to replace the executor of a member that stopped answering.
     */
    static final String STALL = "spark.sparkprop.exchange.stallSeconds";
    /** How often the console says that a step is still awaited, in seconds. */
    private static final long WAITING_NOTE_NANOS = 30_000_000_000L;
    /** The exchange port; 0 (the default) picks a free one. Set it where a firewall must allow the executors in. */
    static final String PORT = "spark.sparkprop.exchange.port";
    /**
     * How long a stage that lost task slots waits for them to come back (an executor replaced) before it goes on with
     * the slots left, in seconds.
     */
    static final String ELASTIC_WAIT = "spark.sparkprop.elastic.waitSeconds";
    /**
     * How a ring's members add their sums ({@link sparkprop.collective.AllReduce}): {@code auto} (the default:
     * halving-doubling where a launch's members are a power of two of at least 4, else the ring), {@code ring}, {@code halving-doubling} (where it applies; the ring elsewhere) or {@code direct}. The same
     * bits every way.
     */
    static final String ALL_REDUCE = "spark.sparkprop.exchange.allReduce";

    private final JavaSparkContext sc;
    private final JavaRDD<ShardBlock> train;
    private final NetworkSpec spec;
    private final TrainConfig config;
    private final ShardLayout layout;
    private final int stepsPerEpoch;
    private final int maxAttempts;
    private final long stallNanos;
    private final Token token = Token.random();
    private final Topology topology;
    private final int stateEvery;
    private final Transport.Server server;
    private final LongAccumulator computeNanos;
    private long computeNanosBefore;
    private final long elasticWaitNanos;
    private final java.util.function.Consumer<String> notes;

    // Guarded by this.
    private JavaFutureAction<List<Object>> stage;
    private int failures;
    /** The launch's members and the partitions they run: the cached training data, coalesced when task slots were lost for good. */
    private int members;
    private JavaRDD<ShardBlock> stageData;
    /** The executor each member of the current launch runs on (from Spark's task events), to replace one that stops answering. */
    private final Map<Integer, String> executorOfMember = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.Set<Integer> launchStages = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** The members of the current launch whose tasks have ended (failed, killed or done). */
    private final java.util.Set<Integer> endedMembers = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final org.apache.spark.scheduler.SparkListener tasks;
    private long waitingSince;
    private long lastWaitingNote;
    /** Time the driver itself did not run (stopped, paused), told apart from tasks that did not answer. */
    private final DriverPauses pauses;
    private long launchedAt;
    private boolean replacedMissing;
    /** When the executor of a member that never joined the current launch was replaced (0: none was). */
    private long replacedAt;
    private final UnplacedLaunch unplaced;
    // The star's: its exchange, the sums of the step just completed, the last message sent and its bytes.
    private final StepExchange<Transport.Reply> star;
    private byte[][] completed;
    private Message lastSent;
    private ByteBuffer lastEncoded;
    // The ring's: its exchange, the reports not yet taken by the loop (by step), the state a launch starts from and its step.
    private final RingExchange<Transport.Reply> ring;
    private final Map<Long, Action.Reported<Transport.Reply>> reports = new HashMap<>();
    private byte[] startState;
    private long startStep;
    private Broadcast<byte[]> started;
    private boolean stateCurrent = true;

    StageGradients(JavaSparkContext sc, JavaRDD<ShardBlock> train, NetworkSpec spec, TrainConfig config, ShardLayout layout, int stepsPerEpoch,
                   Topology topology, int stateEvery, java.util.function.Consumer<String> notes) {
        this.sc = sc;
        this.train = train;
        this.spec = spec;
        this.config = config;
        this.layout = layout;
        this.stepsPerEpoch = stepsPerEpoch;
        this.maxAttempts = sc.getConf().getInt("spark.stage.maxConsecutiveAttempts", 4);
        this.stallNanos = sc.getConf().getTimeAsSeconds(STALL, "60s") * 1_000_000_000L;
        this.topology = topology;
        this.stateEvery = stateEvery;
        this.notes = notes;
        this.members = layout.partitions();
        this.stageData = train;
        this.elasticWaitNanos = sc.getConf().getTimeAsSeconds(ELASTIC_WAIT, "30s") * 1_000_000_000L;
        this.unplaced = new UnplacedLaunch(elasticWaitNanos);
        this.star = topology == Topology.STAR ? new StepExchange<>(token, spec.parameterCount() + GradientSum.VECTOR_EXTRA, layout.partitions()) : null;
        this.ring = topology != Topology.STAR ? new RingExchange<>(token, layout.partitions(), sc.getConf().get(ALL_REDUCE, "auto")) : null;
        String host = sc.getConf().get("spark.driver.host");
        String bind = sc.getConf().get("spark.driver.bindAddress", host);
        this.server = SparkTransport.here().serve(bind, host, sc.getConf().getInt(PORT, 0), this);
        this.computeNanos = sc.sc().longAccumulator("sparkprop: task compute nanoseconds");
        String launchKey = runKey;
        this.tasks = new org.apache.spark.scheduler.SparkListener() {
            @Override
            public void onJobStart(org.apache.spark.scheduler.SparkListenerJobStart job) {
                if (job.properties() != null && job.properties().getProperty(LAUNCH_PROPERTY, "").startsWith(launchKey)) {
                    launchStages.clear();
                    executorOfMember.clear();
                    endedMembers.clear();
                    for (Object id : scala.jdk.javaapi.CollectionConverters.asJava(job.stageIds())) launchStages.add((Integer) id);
                }
            }

            @Override
            public void onTaskStart(org.apache.spark.scheduler.SparkListenerTaskStart start) {
                if (launchStages.contains(start.stageId())) executorOfMember.put(start.taskInfo().index(), start.taskInfo().executorId());
            }

            @Override
            public void onTaskEnd(org.apache.spark.scheduler.SparkListenerTaskEnd end) {
                if (launchStages.contains(end.stageId())) endedMembers.add(end.taskInfo().index());
            }
        };
        sc.sc().addSparkListener(tasks);
        this.pauses = DriverPauses.watching(stallNanos); // last: a constructor that failed earlier leaves no thread behind
    }

    /** The local property that marks a launch's job, so its tasks' executors can be told apart (not the token, which is secret). */
    private static final String LAUNCH_PROPERTY = "sparkprop.launch";
    private final String runKey = java.util.UUID.randomUUID().toString();

    @Override
    public boolean replicated() {
        return topology != Topology.STAR;
    }

    @Override
    public synchronized boolean stateCurrent() {
        return stateCurrent;
    }

    /** A ring's step: waits for the reporter's word on it, and brings {@code state} up to it when the report carries the state. */
    @Override
    public GradientSum.Totals step(TrainingState state, StepPlan plan, long globalStep) {
        Action.Reported<Transport.Reply> report;
        synchronized (this) {
            if (stage == null) {
                // A launch starts from the driver's state, which is current at an epoch's start and after a resume.
                startState = Replica.of(state).encode();
                startStep = globalStep;
                launch(plan);
            }
            failures = 0;
            waitingSince = System.nanoTime();
            while (!reports.containsKey(globalStep)) awaitOrRelaunch(plan);
            report = reports.remove(globalStep);
            stateCurrent = report.state().length > 0;
        }
        if (stateCurrent) Replica.of(state).load(report.state());
        return GradientSum.decodeTotals(report.totals());
    }

    /** A star's step: sends the parameters, waits for every task's sums, returns their mean. */
    @Override
    public GradientSum.Totals compute(float[] params, StepPlan plan, float[] gradient) {
        if (topology != Topology.STAR) throw new IllegalStateException("a ring's tasks take their steps themselves");
        long global = (long) plan.epoch() * stepsPerEpoch + plan.step();
        byte[][] sums;
        synchronized (this) {
            if (stage == null) launch(plan);
            completed = null;
            perform(star.open(global, plan.epoch(), plan.step(), params));
            failures = 0;
            waitingSince = System.nanoTime();
            while (completed == null) awaitOrRelaunch(plan);
            sums = completed;
        }
        return meanOf(sums, gradient, plan.batch());
    }

    /**
     * When the stage failed because a member stopped answering (a stopped JVM, a partitioned host, a pause beyond the
     * stall bound), asks Spark to remove that member's executor, so the next launch does not wait for its slot until
     * Spark's heartbeat timeout: a cluster manager replaces it, or the run goes on without it (elastic membership).
     */
    private void replaceSilentMember(Throwable cause, StepPlan plan) {
        if (pauses.paused()) {
            // Its tasks gave up on the driver, or on a member that waited for the driver: none of them is to blame.
            notes.accept(String.format("epoch %d, step %d: the driver itself did not run for a while (its JVM stopped or paused), so the "
                    + "training stage's tasks gave up on it; launching the stage again", plan.epoch() + 1, plan.step() + 1));
            return;
        }
        boolean silence = false;
        for (Throwable t = cause; t != null && !silence; t = t.getCause() == t ? null : t.getCause()) {
            silence = sparkprop.collective.RingMember.reportsSilence(t.getMessage());
        }
        if (!silence || sc.isLocal()) return;
        // The member a failure names may itself have been waiting for another (a ring's neighbour, a partner a round
        // behind): the silent ones are those whose tasks never ended, as every task that runs ends once Spark kills the
        // stage's others.
        for (int silent : membersThatNeverEnded(Math.min(stallNanos, ENDS_GRACE_NANOS))) {
            String executor = executorOfMember.get(silent);
            if (executor == null) continue;
            notes.accept(String.format("epoch %d, step %d: member %d of the training stage (executor %s) stopped answering for %d s; asking Spark "
                    + "to replace that executor", plan.epoch() + 1, plan.step() + 1, silent, executor, stallNanos / 1_000_000_000L));
            replace(executor);
        }
    }

    /** How long a failed launch's other tasks are given to end (Spark kills them; a task looks each second). */
    private static final long ENDS_GRACE_NANOS = TimeUnit.SECONDS.toNanos(5);

    /** The members of the failed launch whose tasks have not ended after {@code graceNanos}, waiting no longer once all have. */
    private List<Integer> membersThatNeverEnded(long graceNanos) {
        long until = System.nanoTime() + graceNanos;
        while (endedMembers.size() < members && System.nanoTime() < until) {
            try {
                wait(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        List<Integer> never = new ArrayList<>();
        for (int m = 0; m < members; m++) if (!endedMembers.contains(m)) never.add(m);
        return never;
    }

    /**
     * Gives up on an executor: Spark's own kill-and-replace (not killExecutor, which lowers the executors the application
     * asks for; private[spark] in Scala), and its cached blocks forgotten at once. Until Spark learns that the executor is
     * gone (its heartbeat timeout, or a lost worker's) it lists them, and a launch that needs one fetches it from a host
     * that may not answer (cut off from the network: 2.5 minutes in the lab) before computing it from the source. An
     * executor that was only paused registers its blocks again with its next heartbeat.
     */
    private void replace(String executor) {
        sc.sc().killAndReplaceExecutor(executor);
        org.apache.spark.SparkEnv.get().blockManager().master().removeExecutor(executor);
    }

    /**
     * Members of a launch join before they read their data, so one that has not joined within the stall bound never
     * started (its executor stopped or unreachable): its executor is replaced, which fails the stage, and the next launch
     * goes on without waiting for Spark's heartbeat timeout. Once per launch.
     */
    private void replaceMissingMembers(StepPlan plan) {
        replacedMissing = true;
        for (int member : star != null ? star.missing() : ring.missing()) {
            String executor = executorOfMember.get(member);
            if (executor == null || sc.isLocal()) continue;
            replacedAt = System.nanoTime();
            notes.accept(String.format("epoch %d, step %d: member %d of the training stage (executor %s) did not join its launch for %d s; "
                    + "asking Spark to replace that executor", plan.epoch() + 1, plan.step() + 1, member, executor, stallNanos / 1_000_000_000L));
            replace(executor);
        }
    }

    /** Waits a little for what the loop waits for; if the stage ended meanwhile, launches it again or fails. Called holding the lock. */
    private void awaitOrRelaunch(StepPlan plan) {
        try {
            wait(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for step " + (plan.step() + 1), e);
        }
        long now = System.nanoTime();
        // Time the driver did not run does not count against the tasks.
        long paused = pauses.newlyPaused(now);
        launchedAt += paused;
        waitingSince += paused;
        if (!stage.isDone()) {
            if (!sc.isLocal() && unplaced.giveUp(now, !executorOfMember.isEmpty(), () -> TaskSlots.available(sc.sc()), members)) {
                launchAgainWithTheSlotsThere(plan);
                return;
            }
            if (!replacedMissing && now - launchedAt > stallNanos) replaceMissingMembers(plan);
            else if (replacedAt != 0 && now - replacedAt > REPLACED_GRACE_NANOS) launchAgainWithoutTheReplaced(plan);
            if (now - waitingSince > WAITING_NOTE_NANOS && now - lastWaitingNote > WAITING_NOTE_NANOS) {
                lastWaitingNote = now;
                notes.accept(String.format("epoch %d, step %d: no word from the training stage's tasks for %d s; waiting (a member that "
                        + "stops answering is given up after %s=%d s)", plan.epoch() + 1, plan.step() + 1, (now - waitingSince) / 1_000_000_000L,
                        STALL, stallNanos / 1_000_000_000L));
            }
            return;
        }
        boolean waiting = topology == Topology.STAR ? completed == null : !reports.containsKey((long) plan.epoch() * stepsPerEpoch + plan.step());
        if (!waiting) return;
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
        replaceSilentMember(cause, plan);
        LOG.warn("the training stage ended at epoch {}, step {} before the step was done ({}); starting it again{} (attempt {} of {})",
                plan.epoch() + 1, plan.step() + 1, cause.getMessage(),
                topology != Topology.STAR ? " from step " + (startStep - (long) plan.epoch() * stepsPerEpoch + 1) : "", failures + 1, maxAttempts);
        launch(plan);
    }

    /**
     * The mean gradient of a star's step, written into {@code gradient}: every member's whole sums added (exactly, so
     * in any order), each total divided as it is decoded, the same floats as a job per step's {@link PackedSum#meanOf}
     * and a ring's members'; the values past the gradient are the loss, the example count and the overflow count
     * ({@link GradientSum#endVector}).
     */
    private GradientSum.Totals meanOf(byte[][] sums, float[] gradient, int batch) {
        double f = FixedPoint.perExample(batch);
        int parameters = gradient.length;
        long[] tail = new long[GradientSum.VECTOR_EXTRA];
        PackedLongs.addEach(Arrays.asList(sums), 0, parameters + GradientSum.VECTOR_EXTRA, (first, totals, count) -> {
            for (int i = 0; i < count; i++) {
                int at = first + i;
                if (at < parameters) gradient[at] = (float) (totals[i] * f); else tail[at - parameters] = totals[i];
            }
        });
        return new GradientSum.Totals(FixedPoint.lossValue(tail[0]), (int) tail[1], tail[2] != 0);
    }

    /** The run's token, which every task's message must carry. */
    Token token() {
        return token;
    }

    @Override
    public double epochComputeSeconds() {
        long now = computeNanos.value();
        double seconds = (now - computeNanosBefore) / 1e9 / members;
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
            perform(star != null ? star.receive(message, reply) : ring.receive(message, reply));
        }
    }

    /** Carries out the exchange's actions. Called holding the lock. */
    private void perform(List<Action<Transport.Reply>> actions) {
        for (Action<Transport.Reply> action : actions) {
            if (action instanceof Action.Send<Transport.Reply> send) {
                // A star sends every member the same message: it is encoded once a step and the bytes shared.
                if (send.message() != lastSent) {
                    lastSent = send.message();
                    lastEncoded = lastSent.encode();
                }
                send.to().send(lastEncoded.duplicate());
            } else if (action instanceof Action.Refuse<Transport.Reply> refuse) {
                if (refuse.why().startsWith("refused")) LOG.warn("the step exchange {}", refuse.why());
                refuse.to().fail(refuse.why());
            } else if (action instanceof Action.Complete<Transport.Reply> complete) {
                completed = complete.sums();
                notifyAll();
            } else if (action instanceof Action.Reported<Transport.Reply> report) {
                reports.put(report.step(), report);
                // A relaunch starts from the latest state a task sent.
                if (report.state().length > 0) {
                    startState = report.state();
                    startStep = report.step() + 1;
                }
                notifyAll();
            }
        }
    }

    @Override
    public void epochDone() {
        JavaFutureAction<List<Object>> ending;
        synchronized (this) {
            if (stage == null) return;
            if (star != null) perform(star.end());
            ending = stage;
            stage = null;
            reports.clear();
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
        dropStart();
    }

    @Override
    public void close() {
        synchronized (this) {
            if (stage != null && !stage.isDone()) stage.cancel(true);
            stage = null;
            perform(star != null ? star.close() : ring.close());
        }
        dropStart();
        sc.sc().removeSparkListener(tasks);
        server.close();
        pauses.close();
    }

    /**
     * How long a launch may go on after the executor of a member that never joined was replaced. Spark fails the stage
     * once the executor is gone, but one cut off from the network never says so: its task stays "running" until Spark's
     * heartbeat timeout (120 s), unless the launch is given up.
     */
    private static final long REPLACED_GRACE_NANOS = TimeUnit.SECONDS.toNanos(10);

    /** Gives up a launch whose missing member's executor was replaced but never went, and launches again with the slots there are. */
    private void launchAgainWithoutTheReplaced(StepPlan plan) {
        notes.accept(String.format("epoch %d, step %d: the training stage still waits for the replaced executor %d s later (cut off from the "
                + "network?); launching it again without it", plan.epoch() + 1, plan.step() + 1, REPLACED_GRACE_NANOS / 1_000_000_000L));
        launchAgain(plan, false);
    }

    /** Gives up a launch Spark cannot place ({@link UnplacedLaunch}) and launches the stage again with the slots there are. */
    private void launchAgainWithTheSlotsThere(StepPlan plan) {
        LOG.warn("epoch {}, step {}: the training stage's {} tasks could not start for {} s (Spark has {} task slots: an executor was lost as "
                + "the stage was submitted); launching it again with the slots there are", plan.epoch() + 1, plan.step() + 1, members,
                elasticWaitNanos / 1_000_000_000L, TaskSlots.available(sc.sc()));
        launchAgain(plan, true);
    }

    /** Cancels the current launch, which has not ended, and launches the stage again ({@code waited}: see {@link #launch(StepPlan, boolean)}). */
    private void launchAgain(StepPlan plan, boolean waited) {
        JavaFutureAction<List<Object>> givenUp = stage;
        stage = null;
        givenUp.cancel(true);
        launch(plan, waited);
    }

    /**
     * How many members the next launch has: every partition while the task slots hold them all; else, once the slots
     * lost have not come back within {@link #ELASTIC_WAIT}, as many as the slots left, each coalescing several cached
     * partitions (recomputed from the source where their blocks were lost). The sums are exact and order-free, so the
     * bits do not change. When slots come back, the next launch uses them again. Only a new loss (fewer slots than the
     * last launch's members) is waited for: a run that went on with fewer does not wait again at every epoch's launch.
     * Local mode keeps its slots.
     */
    private void chooseMembers(StepPlan plan, boolean waited) {
        int partitions = layout.partitions();
        int slots = sc.isLocal() ? partitions : TaskSlots.available(sc.sc());
        if (slots < members && !waited) {
            long deadline = System.nanoTime() + elasticWaitNanos;
            while (slots < members && System.nanoTime() < deadline) {
                try {
                    wait(200);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for task slots", e);
                }
                slots = TaskSlots.available(sc.sc());
            }
        }
        int chosen = Math.max(1, Math.min(partitions, slots));
        if (chosen == members) return;
        String where = "epoch " + (plan.epoch() + 1) + ", step " + (plan.step() + 1);
        notes.accept(chosen < members
                ? String.format("task slots lost: %d of the %d this run uses are left after waiting %d s (%s); going on at %s with %d partitions "
                        + "of the same %d shards: the same bits", slots, partitions, elasticWaitNanos / 1_000_000_000L, ELASTIC_WAIT, where, chosen,
                        config.shards())
                : String.format("task slots back: going on at %s with %d partitions (of %d)", where, chosen, partitions));
        members = chosen;
        if (stageData != train) stageData.unpersist(false);
        if (chosen == partitions) {
            stageData = train;
        } else {
            // Spark refuses a barrier stage over a coalesce (SPARK-24820): the regrouped partitions are made in a job of
            // their own and their lineage cut (a local checkpoint), so the stage sees plain partitions.
            JavaRDD<ShardBlock> regrouped = train.coalesce(chosen, false);
            regrouped.rdd().localCheckpoint();
            SparkJobs.described(sc.sc(), "sparkprop train: regrouping the cached shards into " + chosen + " partitions", regrouped::count);
            stageData = regrouped;
        }
    }

    /** Starts the stage's tasks as a new launch; the exchange refuses every earlier launch from now on. Called holding the lock. */
    private void launch(StepPlan plan) {
        launch(plan, false);
    }

    /** The same; {@code waited}: the lost slots were already waited for, so the launch takes the slots there are at once. */
    private void launch(StepPlan plan, boolean waited) {
        chooseMembers(plan, waited);
        perform(star != null ? star.relaunch(members) : ring.relaunch(members)); // the first launch has nothing to refuse
        replacedMissing = false;
        replacedAt = 0;
        unplaced.reset();
        int launch = star != null ? star.launch() : ring.launch();
        if (ring != null) {
            dropStart();
            started = sc.broadcast(startState);
        }
        StageTask task = new StageTask(spec, config, layout, members, stepsPerEpoch, server.host(), server.port(), token, launch, topology,
                stallNanos, computeNanos, startStep, started, stateEvery);
        String interrupt = sc.getLocalProperty("spark.job.interruptOnCancel");
        // A task waiting for its next step must stop when the stage is cancelled.
        sc.setLocalProperty("spark.job.interruptOnCancel", "true");
        sc.setLocalProperty(LAUNCH_PROPERTY, runKey + "." + launch);
        try {
            ClassTag<Object> any = ClassTag$.MODULE$.apply(Object.class);
            RDD<Object> steps = stageData.rdd().barrier().mapPartitions(task, false, any);
            stage = SparkJobs.described(sc.sc(), "sparkprop train: epoch " + (plan.epoch() + 1) + "/" + config.epochs() + ", its steps in one stage"
                    + (topology == Topology.RING ? " (a ring)" : topology == Topology.SHARED ? " (shared memory)" : ""),
                    () -> JavaRDD.fromRDD(steps, any).collectAsync());
        } finally {
            sc.setLocalProperty("spark.job.interruptOnCancel", interrupt);
            sc.setLocalProperty(LAUNCH_PROPERTY, null);
        }
        // Its members can join from now; a pause of the driver before (even within this method) is not this launch's.
        launchedAt = System.nanoTime();
        pauses.launched(launchedAt);
    }

    /** Lets go of the state the last launch started from (a broadcast). */
    private synchronized void dropStart() {
        if (started != null) started.destroy();
        started = null;
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

package sparkprop.train;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.spark.TaskContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.LongAccumulator;
import scala.jdk.javaapi.CollectionConverters;
import scala.runtime.AbstractFunction1;
import sparkprop.collective.Chunks;
import sparkprop.collective.Message;
import sparkprop.collective.RingMember;
import sparkprop.collective.SharedSums;
import sparkprop.collective.PackedLongs;
import sparkprop.collective.RingExchange;
import sparkprop.collective.Topology;
import sparkprop.collective.Token;
import sparkprop.core.NetworkSpec;
import sparkprop.exchange.SparkTransport;
import sparkprop.exchange.Transport;
import sparkprop.shards.ShardBlock;
import sparkprop.shards.ShardLayout;

/**
 * What each task of a training stage runs ({@link StageGradients} on the driver): it keeps its
 * partition's cached shards, joins the exchange and takes the epoch's steps.
 * <ul>
 * <li>In a ring ({@link Topology#RING}) the members run the steps on their own: each starts from
 *     the launch's state (a Spark broadcast, or, at an epoch's start, the replica this executor's
 *     members ended the last epoch with, which is the same state), computes its shards' exact sums ({@link ShardWork}),
 *     adds them with the others' around the ring ({@link RingMember#allReduce}) and updates its
 *     replica of the state with the totals ({@link DriverStep}); the reporter tells the driver each
 *     step's loss and sends the state where asked (every {@code stateEvery} steps and after the
 *     epoch's last).</li>
 * <li>In a star each asks the driver for a step, is sent the whole parameters, and sends back its
 *     whole sums, until the driver ends the epoch.</li>
 * </ul>
 * A task blocked waiting wakes every second to see whether Spark killed it, and gives up after the
 * stall bound.
 */
final class StageTask extends AbstractFunction1<scala.collection.Iterator<ShardBlock>, scala.collection.Iterator<Object>> implements Serializable {
    private final NetworkSpec spec;
    private final TrainConfig config;
    private final StepPlan.Run run;
    private final ShardLayout layout;
    /** The launch's member count: the partitions, or fewer after task slots were lost (each then holds several). */
    private final int members;
    private final int stepsPerEpoch;
    private final String driverHost;
    private final int driverPort;
    private final Token token;
    private final int launch;
    private final Topology topology;
    private final long stallNanos;
    private final LongAccumulator computeNanos;
    /** A ring's launch: the step it starts at (over the run), the state it starts from ({@link Replica}), every how many steps the driver wants the state. */
    private final long firstStep;
    private final Broadcast<byte[]> start;
    private final int stateEvery;
    /** How long a member waits for the others at a launch (to join, and for the first step), which may read their data first. */
    static final long LAUNCH_WAIT_NANOS = TimeUnit.MINUTES.toNanos(10);

    StageTask(NetworkSpec spec, TrainConfig config, ShardLayout layout, int members, int stepsPerEpoch, String driverHost, int driverPort, Token token,
              int launch, Topology topology, long stallNanos, LongAccumulator computeNanos, long firstStep, Broadcast<byte[]> start,
              int stateEvery) {
        this.spec = spec;
        this.config = config;
        this.run = StepPlan.Run.of(config, layout);
        this.layout = layout;
        this.members = members;
        this.stepsPerEpoch = stepsPerEpoch;
        this.driverHost = driverHost;
        this.driverPort = driverPort;
        this.token = token;
        this.launch = launch;
        this.topology = topology;
        this.stallNanos = stallNanos;
        this.computeNanos = computeNanos;
        this.firstStep = firstStep;
        this.start = start;
        this.stateEvery = stateEvery;
    }

    @Override
    public scala.collection.Iterator<Object> apply(scala.collection.Iterator<ShardBlock> input) {
        TaskContext context = TaskContext.get();
        int member = context.partitionId();
        boolean ring = topology == Topology.RING;
        // In a star each member is a ring of one.
        Chunks chunks = new Chunks(spec.parameterCount() + GradientSum.VECTOR_EXTRA, ring ? members : 1);
        Transport transport = SparkTransport.here();
        Transport.Connection driver;
        try {
            driver = transport.connect(driverHost, driverPort);
        } catch (IOException e) {
            throw new UncheckedIOException("a training task cannot reach the driver's step exchange at " + driverHost + ":" + driverPort
                    + " (a firewall between executors and driver? the port is fixed with spark.sparkprop.exchange.port)", e);
        }
        String here = org.apache.spark.SparkEnv.get().blockManager().blockManagerId().host();
        try (driver; RingMember around = new RingMember(transport, here, token, launch, ring ? member : 0, chunks, context::killTaskIfInterrupted,
                stallNanos)) {
            // Joined first, then the partition read (from the cache, or the source after a loss, which may take long): the driver
            // tells a member that is slow to read from one that never started.
            Message.Ring everyone = (Message.Ring) await(request(driver, new Message.Join(token, launch, member, around.address())), "Join", context,
                    Math.max(stallNanos, LAUNCH_WAIT_NANOS));
            List<ShardBlock> blocks = new ArrayList<>();
            CollectionConverters.asJava(input).forEachRemaining(blocks::add);
            around.connect(everyone);
            if (ring) ringSteps(member, blocks, around, driver, context);
            else if (topology == Topology.SHARED) sharedSteps(member, blocks, driver, context);
            else starSteps(member, blocks, driver, context);
        }
        return CollectionConverters.asScala(Collections.emptyIterator());
    }

    /** The launch's steps, from {@link #firstStep} to the epoch's end, each summed around the ring and applied to this member's replica. */
    private void ringSteps(int member, List<ShardBlock> blocks, RingMember around, Transport.Connection driver, TaskContext context) {
        int parameters = spec.parameterCount();
        Replica replica = startingReplica(parameters);
        DriverStep update = new DriverStep(config, spec, stepsPerEpoch);
        int epoch = (int) (firstStep / stepsPerEpoch);
        long end = (long) (epoch + 1) * stepsPerEpoch;
        double perExample = FixedPoint.perExample(run.batch());
        long[] values = new long[parameters + GradientSum.VECTOR_EXTRA];
        float[] gradient = new float[parameters];
        CompletableFuture<Message> reported = null;
        long slowest = 0;
        for (long step = firstStep; step < end; step++) {
            long computed = computeSums(step, epoch, replica.params(), blocks, values);
            // A neighbour's message comes after its own compute: never give up on it sooner than ten of our slowest.
            slowest = Math.max(slowest, computed);
            // The launch's first step may wait for a member still reading its partition (recomputed from the source after a
            // loss): a longer bound there.
            around.waitAtLeast(step == firstStep ? Math.max(LAUNCH_WAIT_NANOS, 10 * slowest) : 10 * slowest);
            around.allReduce(step, values);
            // The same mean as the driver's in a star (StageGradients.meanOf) and a job per step's (PackedSum.meanOf).
            for (int i = 0; i < parameters; i++) gradient[i] = (float) (values[i] * perExample);
            long loss = values[parameters], overflow = values[parameters + 2];
            boolean diverged = overflow != 0 || !Double.isFinite(FixedPoint.lossValue(loss));
            if (!diverged) update.apply(replica.params(), replica.optimizer(), replica.average(), step, gradient);
            if (member == RingExchange.REPORTER) {
                boolean wanted = step + 1 == end || (stateEvery > 0 && (step + 1) % stateEvery == 0);
                // One report in flight: the driver's answer to the last is awaited only when the next is ready.
                if (reported != null) await(reported, "Report", context);
                reported = request(driver, new Message.Report(token, launch, member, step,
                        GradientSum.encodeTotals(loss, values[parameters + 1], overflow), wanted ? replica.encode() : new byte[0]));
            }
            if (diverged) return; // every member sees the same totals and stops; the driver fails the run
        }
        if (reported != null) await(reported, "Report", context);
        keepForNextLaunch(end, replica);
    }

    /**
     * The launch's steps where the members share this JVM ({@link SharedSums}): the same steps as {@link #ringSteps}, the
     * sums added in shared memory and one state, each member updating the chunk of it whose totals it added; the
     * reporter then ends the step ({@link DriverStep#finish}) and reports it.
     */
    private void sharedSteps(int member, List<ShardBlock> blocks, Transport.Connection driver, TaskContext context) {
        int parameters = spec.parameterCount();
        Chunks chunks = new Chunks(parameters + GradientSum.VECTOR_EXTRA, members);
        SharedSums group = SharedSums.join(token, launch, chunks);
        RingMember.Waiting waiting = context::killTaskIfInterrupted;
        SharedState state = group.shared(() -> new SharedState(startingReplica(parameters), new float[parameters]));
        Replica replica = state.replica();
        float[] gradient = state.gradient();
        boolean reporter = member == RingExchange.REPORTER;
        DriverStep update = new DriverStep(config, spec, stepsPerEpoch);
        int epoch = (int) (firstStep / stepsPerEpoch);
        long end = (long) (epoch + 1) * stepsPerEpoch;
        double perExample = FixedPoint.perExample(run.batch());
        int from = Math.min(chunks.from(member), parameters), to = Math.min(chunks.to(member), parameters); // this member's parameters
        long[] values = new long[parameters + GradientSum.VECTOR_EXTRA];
        CompletableFuture<Message> reported = null;
        long slowest = 0;
        for (long step = firstStep; step < end; step++) {
            long computed = computeSums(step, epoch, replica.params(), blocks, values);
            slowest = Math.max(slowest, computed);
            long bound = step == firstStep ? Math.max(LAUNCH_WAIT_NANOS, Math.max(stallNanos, 10 * slowest)) : Math.max(stallNanos, 10 * slowest);
            long[] totals = group.addChunk(member, values, waiting, bound);
            long loss = group.total(parameters), examples = group.total(parameters + 1), overflow = group.total(parameters + 2);
            boolean diverged = overflow != 0 || !Double.isFinite(FixedPoint.lossValue(loss));
            if (!diverged) {
                // The same mean as the ring's members' and the star's driver's.
                for (int i = from; i < to; i++) gradient[i] = (float) (totals[i] * perExample);
                update.applyRange(replica.params(), replica.optimizer(), replica.average(), step, gradient, from, to);
            }
            group.await(waiting, bound); // every chunk updated
            if (reporter) {
                if (!diverged) update.finish(replica.params(), replica.optimizer(), replica.average(), step);
                boolean wanted = step + 1 == end || (stateEvery > 0 && (step + 1) % stateEvery == 0);
                if (reported != null) await(reported, "Report", context);
                reported = request(driver, new Message.Report(token, launch, member, step, GradientSum.encodeTotals(loss, examples, overflow),
                        wanted ? replica.encode() : new byte[0]));
            }
            // Nobody computes the next step on parameters the reporter is still changing. Without that, the others may go
            // on: they only read the state, and nobody changes it again before the reporter has reached the next addChunk.
            if (update.finishChangesParameters()) group.await(waiting, bound);
            if (diverged) return;
        }
        if (reported != null) await(reported, "Report", context);
        if (reporter) {
            keepForNextLaunch(end, replica);
            group.leave();
        }
    }

    /** What the members of a shared stage share: the state they train and the step's mean gradient, each member writing its chunk. */
    private record SharedState(Replica replica, float[] gradient) {
    }

    /** This member's exact sums of {@code step} at {@code params}, written into {@code values}; returns the compute time. */
    private long computeSums(long step, int epoch, float[] params, List<ShardBlock> blocks, long[] values) {
        long began = System.nanoTime();
        ShardWork.stepVector(spec, params, blocks.iterator(), run.plan(epoch, (int) (step - (long) epoch * stepsPerEpoch)),
                config.dropoutRates(), config.augment(), values);
        long computed = System.nanoTime() - began;
        computeNanos.add(computed);
        return computed;
    }

    /**
     * The state the launch starts from. Where this executor's members ended the run's previous launch at this launch's
     * first step (the epoch before), their replica is the state the driver broadcast: taken from here, the broadcast is
     * never fetched.
     */
    private Replica startingReplica(int parameters) {
        Replica replica = Replica.empty(config, parameters);
        byte[] kept = KeptStates.stateBefore(token, firstStep);
        replica.load(kept != null ? kept : start.value());
        return replica;
    }

    /** Keeps the state at the epoch's end ({@code end}, the next launch's first step) for this executor's next launch. */
    private void keepForNextLaunch(long end, Replica replica) {
        KeptStates.keep(token, end, replica.encode());
    }

    /** Asks the driver for each step, computes this member's whole sums at its parameters and sends them, until it ends the epoch. */
    private void starSteps(int member, List<ShardBlock> blocks, Transport.Connection driver, TaskContext context) {
        long[] values = new long[spec.parameterCount() + GradientSum.VECTOR_EXTRA];
        Message next = await(request(driver, new Message.Ready(token, launch, member)), "Ready", context);
        while (next instanceof Message.Step step) {
            long began = System.nanoTime();
            ShardWork.stepVector(spec, step.chunk(), blocks.iterator(), run.plan(step.epoch(), step.stepInEpoch()), config.dropoutRates(),
                    config.augment(), values);
            computeNanos.add(System.nanoTime() - began);
            byte[] sums = PackedLongs.encode(values, 0, values.length);
            next = await(request(driver, new Message.ChunkSum(token, launch, member, step.step(), sums)), "ChunkSum", context);
        }
        if (!(next instanceof Message.End)) throw new IllegalStateException("the driver answered with " + next.getClass().getSimpleName());
    }

    /** Sends {@code message} to the driver; the future holds its answer. */
    private static CompletableFuture<Message> request(Transport.Connection driver, Message message) {
        CompletableFuture<Message> reply = new CompletableFuture<>();
        driver.request(message.encode(), new Transport.ReplyHandler() {
            @Override
            public void onReply(ByteBuffer answer) {
                try {
                    reply.complete(Message.decode(answer));
                } catch (RuntimeException e) {
                    reply.completeExceptionally(e);
                }
            }

            @Override
            public void onFailure(Throwable cause) {
                reply.completeExceptionally(cause);
            }
        });
        return reply;
    }

    /** The driver's answer to a {@code what}, waited for a second at a time so a killed task stops, at most the stall bound. */
    private Message await(CompletableFuture<Message> reply, String what, TaskContext context) {
        return await(reply, what, context, stallNanos);
    }

    /** The same, waiting at most {@code boundNanos}. */
    private Message await(CompletableFuture<Message> reply, String what, TaskContext context, long boundNanos) {
        long began = System.nanoTime();
        while (true) {
            try {
                return reply.get(1, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                context.killTaskIfInterrupted();
                if (System.nanoTime() - began > boundNanos) {
                    throw new IllegalStateException("the driver did not answer " + what + " of member " + context.partitionId() + " for "
                            + TimeUnit.NANOSECONDS.toSeconds(boundNanos) + " s");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                context.killTaskIfInterrupted();
                throw new IllegalStateException("interrupted while waiting for the driver's answer to " + what, e);
            } catch (ExecutionException e) {
                throw new IllegalStateException("the driver's step exchange answered " + what + " with a failure: " + e.getCause().getMessage(),
                        e.getCause());
            }
        }
    }
}

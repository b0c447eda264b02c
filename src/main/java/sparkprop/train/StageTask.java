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
import org.apache.spark.util.LongAccumulator;
import scala.jdk.javaapi.CollectionConverters;
import scala.runtime.AbstractFunction1;
import sparkprop.collective.Chunks;
import sparkprop.collective.Message;
import sparkprop.collective.RingMember;
import sparkprop.collective.StepExchange;
import sparkprop.collective.Token;
import sparkprop.core.Augment;
import sparkprop.core.Dropout;
import sparkprop.core.NetworkSpec;
import sparkprop.exchange.SparkTransport;
import sparkprop.exchange.Transport;
import sparkprop.shards.ShardBlock;
import sparkprop.shards.ShardLayout;

/**
 * What each task of a training stage runs ({@link StageGradients} on the driver): it keeps its
 * partition's cached shards, joins the exchange, and loops until the driver ends the epoch: take
 * its chunk of the step's parameters from the driver, gather the rest from the ring, compute its
 * shards' exact sums ({@link ShardWork}), reduce-scatter them over the ring and send the driver the
 * total of its chunk, which asks for the next step. In a star the driver sends the whole parameters
 * and takes the whole sums. A task blocked waiting wakes every second to see whether Spark killed it.
 */
final class StageTask extends AbstractFunction1<scala.collection.Iterator<ShardBlock>, scala.collection.Iterator<Object>> implements Serializable {
    private final NetworkSpec spec;
    private final StepPlan.Run run;
    private final ShardLayout layout;
    private final Dropout dropout;
    private final Augment augment;
    private final String driverHost;
    private final int driverPort;
    private final Token token;
    private final int launch;
    private final StepExchange.Topology topology;
    private final long stallNanos;
    private final LongAccumulator computeNanos;

    StageTask(NetworkSpec spec, TrainConfig config, ShardLayout layout, String driverHost, int driverPort, Token token, int launch,
              StepExchange.Topology topology, long stallNanos, LongAccumulator computeNanos) {
        this.spec = spec;
        this.run = StepPlan.Run.of(config, layout);
        this.layout = layout;
        this.dropout = config.dropoutRates();
        this.augment = config.augment();
        this.driverHost = driverHost;
        this.driverPort = driverPort;
        this.token = token;
        this.launch = launch;
        this.topology = topology;
        this.stallNanos = stallNanos;
        this.computeNanos = computeNanos;
    }

    @Override
    public scala.collection.Iterator<Object> apply(scala.collection.Iterator<ShardBlock> input) {
        TaskContext context = TaskContext.get();
        int member = context.partitionId();
        List<ShardBlock> blocks = new ArrayList<>();
        CollectionConverters.asJava(input).forEachRemaining(blocks::add);
        // In a star each member is a ring of one: its own chunk is the whole vector.
        boolean ring = topology == StepExchange.Topology.RING;
        Chunks chunks = new Chunks(spec.parameterCount() + GradientSum.VECTOR_EXTRA, ring ? layout.partitions() : 1);
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
            around.connect(((Message.Ring) ask(driver, new Message.Join(token, launch, member, around.address()), context)).right());
            // The parameters and the sums, each padded to the vector the ring moves (the sums' loss, count and overflow at its end).
            float[] params = new float[chunks.length()];
            long[] values = new long[chunks.length()];
            int own = chunks.owned(ring ? member : 0);
            Message next = ask(driver, new Message.Ready(token, launch, member), context);
            while (next instanceof Message.Step step) {
                System.arraycopy(step.chunk(), 0, params, chunks.from(own), step.chunk().length);
                around.allGather(step.step(), params);
                long start = System.nanoTime();
                ShardWork.reusedStepGradient(spec, params, blocks.iterator(), run.plan(step.epoch(), step.stepInEpoch()), dropout, augment)
                        .writeVector(values);
                computeNanos.add(System.nanoTime() - start);
                byte[] total = around.reduceScatter(step.step(), values);
                next = ask(driver, new Message.ChunkSum(token, launch, member, step.step(), total), context);
            }
            if (!(next instanceof Message.End)) throw new IllegalStateException("the driver answered with " + next.getClass().getSimpleName());
        }
        return CollectionConverters.asScala(Collections.emptyIterator());
    }

    /** Sends {@code message} to the driver and waits for its answer, a second at a time so a killed task stops, at most the stall bound. */
    private Message ask(Transport.Connection driver, Message message, TaskContext context) {
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
        long start = System.nanoTime();
        while (true) {
            try {
                return reply.get(1, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                context.killTaskIfInterrupted();
                if (System.nanoTime() - start > stallNanos) {
                    throw new IllegalStateException("the driver did not answer " + message.getClass().getSimpleName() + " of member "
                            + context.partitionId() + " for " + TimeUnit.NANOSECONDS.toSeconds(stallNanos) + " s");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                context.killTaskIfInterrupted();
                throw new IllegalStateException("interrupted while waiting for the driver's next step", e);
            } catch (ExecutionException e) {
                throw new IllegalStateException("the driver's step exchange answered with a failure: " + e.getCause().getMessage(), e.getCause());
            }
        }
    }
}

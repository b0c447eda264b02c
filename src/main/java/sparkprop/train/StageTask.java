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
import scala.jdk.javaapi.CollectionConverters;
import scala.runtime.AbstractFunction1;
import sparkprop.core.Augment;
import sparkprop.core.Dropout;
import sparkprop.core.NetworkSpec;
import sparkprop.exchange.SparkTransport;
import sparkprop.exchange.Transport;
import sparkprop.shards.ShardBlock;
import sparkprop.shards.ShardLayout;

/**
 * What each task of a training stage runs: it keeps its partition's cached shards and loops
 * (receive a step's parameters from the driver, compute the exact sums of its shards with
 * {@link ShardWork}, send them, which asks for the next step) until the driver ends the span.
 * A task blocked waiting for the driver wakes every second to see whether Spark killed it.
 */
final class StageTask extends AbstractFunction1<scala.collection.Iterator<ShardBlock>, scala.collection.Iterator<Object>>
        implements Serializable {
    private final NetworkSpec spec;
    private final long seed;
    private final int holdout;
    private final int batch;
    private final ShardLayout layout;
    private final Dropout dropout;
    private final Augment augment;
    private final String host;
    private final int port;
    private final StepMessages.Token token;
    private final int launch;

    StageTask(NetworkSpec spec, TrainConfig config, ShardLayout layout, String host, int port, StepMessages.Token token, int launch) {
        this.spec = spec;
        this.seed = config.seed();
        this.holdout = config.validation();
        this.batch = config.batchSize();
        this.dropout = config.dropoutRates();
        this.augment = config.augment();
        this.layout = layout;
        this.host = host;
        this.port = port;
        this.token = token;
        this.launch = launch;
    }

    @Override
    public scala.collection.Iterator<Object> apply(scala.collection.Iterator<ShardBlock> input) {
        TaskContext context = TaskContext.get();
        int partition = context.partitionId();
        List<ShardBlock> blocks = new ArrayList<>();
        CollectionConverters.asJava(input).forEachRemaining(blocks::add);
        float[] params = new float[spec.parameterCount()];
        Transport.Connection driver;
        try {
            driver = SparkTransport.here().connect(host, port);
        } catch (IOException e) {
            throw new UncheckedIOException("a training task cannot reach the driver's step exchange at " + host + ":" + port
                    + " (a firewall between executors and driver? the port is fixed with spark.sparkprop.exchange.port)", e);
        }
        try (driver) {
            ByteBuffer request = StepMessages.request(token, launch, partition, StepMessages.READY, 0, null);
            while (true) {
                StepMessages.Next next = exchange(driver, request, params, context);
                if (next.end()) break;
                long start = System.nanoTime();
                StepPlan plan = new StepPlan(seed, holdout, next.epoch(), next.step(), batch, layout);
                byte[] sums = ShardWork.encodedStepGradient(spec, params, blocks.iterator(), plan, dropout, augment);
                request = StepMessages.request(token, launch, partition, next.globalStep(), System.nanoTime() - start, sums);
            }
        }
        return CollectionConverters.asScala(Collections.emptyIterator());
    }

    /** Sends {@code request} and waits for the driver's answer, reading its parameters into {@code params}. */
    private static StepMessages.Next exchange(Transport.Connection driver, ByteBuffer request, float[] params, TaskContext context) {
        CompletableFuture<StepMessages.Next> reply = new CompletableFuture<>();
        driver.request(request, new Transport.ReplyHandler() {
            @Override
            public void onReply(ByteBuffer message) {
                try {
                    reply.complete(StepMessages.readReply(message, params));
                } catch (RuntimeException e) {
                    reply.completeExceptionally(e);
                }
            }

            @Override
            public void onFailure(Throwable cause) {
                reply.completeExceptionally(cause);
            }
        });
        while (true) {
            try {
                return reply.get(1, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                context.killTaskIfInterrupted();
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

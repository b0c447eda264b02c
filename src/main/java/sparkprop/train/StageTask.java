package sparkprop.train;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
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
    /** Whether sums travel up a binary tree of the tasks (partition p's parent is (p-1)/2; 0 reports to the driver). */
    private final boolean tree;
    private final org.apache.spark.util.LongAccumulator computeNanos;

    StageTask(NetworkSpec spec, TrainConfig config, ShardLayout layout, String host, int port, StepMessages.Token token, int launch,
              boolean tree, org.apache.spark.util.LongAccumulator computeNanos) {
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
        this.tree = tree;
        this.computeNanos = computeNanos;
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
        try (driver; TreeNode node = tree ? new TreeNode(partition, context) : null) {
            Transport.Connection parent = null;
            if (node != null) {
                // Say where this task takes its children's sums; the driver answers, once all have, with the parent's address.
                ByteBuffer here = StepMessages.request(token, launch, partition, StepMessages.READY, 0, node.address().getBytes(StandardCharsets.UTF_8));
                parent = node.connectToParent(exchange(driver, here, params, context).parent());
            }
            ByteBuffer request = StepMessages.request(token, launch, partition, StepMessages.READY, 0, null);
            while (true) {
                StepMessages.Next next = exchange(driver, request, params, context);
                if (next.end()) break;
                long start = System.nanoTime();
                StepPlan plan = new StepPlan(seed, holdout, next.epoch(), next.step(), batch, layout);
                byte[] sums = ShardWork.encodedStepGradient(spec, params, blocks.iterator(), plan, dropout, augment);
                long computed = System.nanoTime() - start;
                computeNanos.add(computed);
                if (node != null) sums = node.withChildren(sums, next.globalStep());
                if (parent != null) {
                    exchange(parent, StepMessages.request(token, launch, partition, next.globalStep(), computed, sums), null, context);
                    sums = null; // they went up the tree; the driver is only asked for the next step
                }
                request = StepMessages.request(token, launch, partition, next.globalStep(), computed, sums);
            }
        }
        return CollectionConverters.asScala(Collections.emptyIterator());
    }

    /**
     * A task's place in the tree: a server where its children (partitions 2p+1 and 2p+2) send their
     * subtrees' sums, which it adds to its own before sending the total on.
     */
    private final class TreeNode implements AutoCloseable {
        private final int children;
        private final TaskContext context;
        private final java.util.concurrent.BlockingQueue<StepMessages.Request> fromChildren = new java.util.concurrent.LinkedBlockingQueue<>();
        private final Transport.Server server;
        private Transport.Connection parent;

        TreeNode(int partition, TaskContext context) {
            this.context = context;
            this.children = (int) java.util.stream.IntStream.of(2 * partition + 1, 2 * partition + 2).filter(c -> c < layout.partitions()).count();
            String executorHost = org.apache.spark.SparkEnv.get().blockManager().blockManagerId().host();
            this.server = SparkTransport.here().serve(executorHost, executorHost, 0, (message, reply) -> {
                StepMessages.Request child;
                try {
                    child = StepMessages.readRequest(message);
                } catch (IllegalArgumentException e) {
                    reply.fail(e.getMessage());
                    return;
                }
                if (!child.token().equals(token) || child.launch() != launch) {
                    reply.fail("refused: not a task of this stage");
                    return;
                }
                fromChildren.add(child);
                reply.send(ByteBuffer.allocate(0));
            });
        }

        String address() {
            return server.host() + ":" + server.port();
        }

        /** Connects to the parent's server; null for the root, which reports to the driver. */
        Transport.Connection connectToParent(String address) {
            if (address.isEmpty()) return null;
            int colon = address.lastIndexOf(':');
            try {
                parent = SparkTransport.here().connect(address.substring(0, colon), Integer.parseInt(address.substring(colon + 1)));
            } catch (IOException e) {
                throw new UncheckedIOException("a training task cannot reach its parent in the tree at " + address, e);
            }
            return parent;
        }

        /** This task's sums of {@code step} plus its children's (each their subtree's), packed. */
        byte[] withChildren(byte[] own, long step) {
            if (children == 0) return own;
            GradientSum total = PackedSum.decode(own);
            for (int c = 0; c < children; c++) {
                StepMessages.Request child = awaitChild();
                if (child.step() != step) throw new IllegalStateException("a child's sums of step " + child.step() + " while step " + step + " is open");
                PackedSum.addInto(child.sums(), total);
            }
            return PackedSum.encode(total);
        }

        private StepMessages.Request awaitChild() {
            try {
                while (true) {
                    StepMessages.Request child = fromChildren.poll(1, TimeUnit.SECONDS);
                    if (child != null) return child;
                    context.killTaskIfInterrupted();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                context.killTaskIfInterrupted();
                throw new IllegalStateException("interrupted while waiting for a child's sums", e);
            }
        }

        @Override
        public void close() {
            if (parent != null) parent.close();
            server.close();
        }
    }

    /**
     * Sends {@code request} and waits for the answer, reading its parameters into {@code params}
     * (null: an acknowledgement from a parent in the tree, which carries none).
     */
    private static StepMessages.Next exchange(Transport.Connection driver, ByteBuffer request, float[] params, TaskContext context) {
        CompletableFuture<StepMessages.Next> reply = new CompletableFuture<>();
        driver.request(request, new Transport.ReplyHandler() {
            @Override
            public void onReply(ByteBuffer message) {
                try {
                    reply.complete(params == null ? new StepMessages.Next(0, 0, 0, null) : StepMessages.readReply(message, params));
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

package sparkprop.train;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import sparkprop.exchange.SparkTransport;
import sparkprop.exchange.Transport;

/**
 * 6c. What one exchange costs, measured with the stage's own messages and transport over a
 * loopback socket (spark-network-common, as an executor in another JVM uses it): the round trip of
 * a tiny message, and of a star member's whole sums up and whole parameters down at each network
 * size; what the driver spends adding one partition's packed sums, and merging two packed sums.
 * Run inside a Spark application (the transport takes Spark's settings and security from it).
 */
public final class ExchangeCost {
    private ExchangeCost() {
    }

    public static Map<String, Object> measure(int[] parameterCounts) throws Exception {
        List<Map<String, Object>> rows = new ArrayList<>();
        ByteBuffer[] reply = new ByteBuffer[1];
        SparkTransport transport = SparkTransport.here();
        try (Transport.Server server = transport.serve("127.0.0.1", "127.0.0.1", 0, (request, answer) -> answer.send(reply[0].duplicate()))) {
            // The socket path even though the server is in this JVM: executors of a cluster use it.
            try (Transport.Connection connection = socket(server)) {
                reply[0] = ByteBuffer.allocate(16);
                double tinyMs = medianMs(() -> roundTrip(connection, ByteBuffer.allocate(48)), 200);
                System.out.printf("round trip of a tiny message: %.3f ms%n", tinyMs);
                for (int p : parameterCounts) {
                    float[] params = new float[p];
                    Random random = new Random(p);
                    for (int i = 0; i < p; i++) params[i] = (float) (random.nextGaussian() * 0.05);
                    GradientSum sum = new GradientSum(p);
                    float[] gradient = new float[p];
                    for (int i = 0; i < p; i++) gradient[i] = (float) (random.nextGaussian() * 1e-3);
                    sum.addShard(gradient, 1.0, 128);
                    byte[] packed = PackedSum.encode(sum);
                    reply[0] = new sparkprop.collective.Message.Step(1, 0, 1, params).encode();
                    ByteBuffer request = new sparkprop.collective.Message.ChunkSum(sparkprop.collective.Token.random(), 1, 0, 0, packed).encode();
                    double stepMs = medianMs(() -> roundTrip(connection, request.duplicate()), 60);
                    List<byte[]> one = List.of(packed);
                    float[] out = new float[p];
                    double addMs = medianMs(() -> PackedSum.meanOf(one, out, 512), 30);
                    double mergeMs = medianMs(() -> PackedSum.merge(packed, packed), 30);
                    System.out.printf("%,9d parameters: sums %,d bytes up, parameters %,d bytes down: round trip %.2f ms; the driver adds one"
                            + " partition's sums in %.2f ms; merging two takes %.2f ms%n", p, packed.length, reply[0].remaining(),
                            stepMs, addMs, mergeMs);
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("parameters", p);
                    row.put("sum_bytes", packed.length);
                    row.put("param_bytes", 4 * p);
                    row.put("round_trip_ms", stepMs);
                    row.put("driver_add_ms_per_part", addMs);
                    row.put("merge_ms", mergeMs);
                    rows.add(row);
                }
                return Map.of("tiny_round_trip_ms", tinyMs, "by_parameters", rows);
            }
        }
    }

    private static Transport.Connection socket(Transport.Server server) throws Exception {
        org.apache.spark.SparkConf conf = org.apache.spark.SparkEnv.get().conf();
        String before = conf.get("spark.sparkprop.exchange.inProcess", "true");
        conf.set("spark.sparkprop.exchange.inProcess", "false");
        try {
            return SparkTransport.here().connect(server.host(), server.port());
        } finally {
            conf.set("spark.sparkprop.exchange.inProcess", before);
        }
    }

    private static void roundTrip(Transport.Connection connection, ByteBuffer request) {
        CompletableFuture<Integer> done = new CompletableFuture<>();
        connection.request(request, new Transport.ReplyHandler() {
            @Override
            public void onReply(ByteBuffer reply) {
                done.complete(reply.remaining());
            }

            @Override
            public void onFailure(Throwable cause) {
                done.completeExceptionally(cause);
            }
        });
        try {
            done.get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static double medianMs(Runnable work, int times) {
        for (int i = 0; i < Math.max(3, times / 5); i++) work.run();
        double[] ms = new double[times];
        for (int i = 0; i < times; i++) {
            long t = System.nanoTime();
            work.run();
            ms[i] = (System.nanoTime() - t) / 1e6;
        }
        java.util.Arrays.sort(ms);
        return ms[times / 2];
    }
}

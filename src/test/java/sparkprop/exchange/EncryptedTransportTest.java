package sparkprop.exchange;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;

/**
 * The exchange with Spark's RPC encryption on ({@code spark.network.crypto.enabled}), for each cipher Spark
 * offers. Spark 4.1.0's AES/GCM channel dropped every message after the first (SPARK-56227); a task sends
 * one request per step over one connection, so a step exchange needs many messages on a channel.
 */
class EncryptedTransportTest {
    @Test
    void manyMessagesOnOneEncryptedChannelArriveWithEitherCipher() throws Exception {
        for (String cipher : new String[]{"AES/CTR/NoPadding", "AES/GCM/NoPadding"}) {
            JavaSparkContext sc = new JavaSparkContext(new SparkConf().setMaster("local[1]").setAppName("sparkprop-crypto-test")
                    .set("spark.ui.enabled", "false").set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1")
                    .set("spark.authenticate", "true").set("spark.authenticate.secret", "the-application-secret")
                    .set("spark.network.crypto.enabled", "true").set("spark.network.crypto.cipher", cipher)
                    .set(SparkTransport.IN_PROCESS, "false"));
            try (Transport.Server server = SparkTransport.here().serve("127.0.0.1", "127.0.0.1", 0,
                    (request, reply) -> reply.send(StandardCharsets.UTF_8.encode("echo " + StandardCharsets.UTF_8.decode(request))));
                 Transport.Connection connection = SparkTransport.here().connect("127.0.0.1", server.port())) {
                for (int i = 0; i < 20; i++) {
                    CompletableFuture<String> reply = new CompletableFuture<>();
                    connection.request(StandardCharsets.UTF_8.encode("step " + i + " " + "x".repeat(1000 * i)), new Transport.ReplyHandler() {
                        @Override
                        public void onReply(ByteBuffer message) {
                            reply.complete(StandardCharsets.UTF_8.decode(message).toString());
                        }

                        @Override
                        public void onFailure(Throwable cause) {
                            reply.completeExceptionally(cause);
                        }
                    });
                    assertEquals("echo step " + i + " " + "x".repeat(1000 * i), reply.get(10, TimeUnit.SECONDS), cipher + ", message " + i);
                }
            } finally {
                sc.stop();
            }
        }
    }
}

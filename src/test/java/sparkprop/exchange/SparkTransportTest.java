package sparkprop.exchange;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.network.TransportContext;
import org.apache.spark.network.client.TransportClient;
import org.apache.spark.network.client.TransportClientFactory;
import org.apache.spark.network.crypto.AuthClientBootstrap;
import org.apache.spark.network.netty.SparkTransportConf;
import org.apache.spark.network.sasl.SecretKeyHolder;
import org.apache.spark.network.server.NoOpRpcHandler;
import org.apache.spark.network.util.TransportConf;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import scala.Option;

/**
 * The exchange under {@code spark.authenticate}: a task of the application (which holds its secret)
 * is answered; a connection without the secret, or with another one, never reaches the handler.
 */
class SparkTransportTest {
    static JavaSparkContext sc;
    static Transport.Server server;
    static final List<String> received = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() {
        sc = new JavaSparkContext(new SparkConf().setMaster("local[1]").setAppName("sparkprop-auth-test")
                .set("spark.ui.enabled", "false").set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1")
                .set("spark.authenticate", "true").set("spark.authenticate.secret", "the-application-secret")
                // The task side below must cross the socket, as an executor in another JVM does.
                .set(SparkTransport.IN_PROCESS, "false"));
        sc.setLogLevel("ERROR");
        server = SparkTransport.here().serve("127.0.0.1", "127.0.0.1", 0, (request, reply) -> {
            String text = StandardCharsets.UTF_8.decode(request).toString();
            received.add(text);
            reply.send(StandardCharsets.UTF_8.encode("echo " + text));
        });
    }

    @AfterAll
    static void stop() {
        server.close();
        sc.stop();
    }

    @Test
    void aTaskOfTheApplicationIsAnswered() throws Exception {
        CompletableFuture<String> reply = new CompletableFuture<>();
        try (Transport.Connection connection = SparkTransport.here().connect("127.0.0.1", server.port())) {
            connection.request(StandardCharsets.UTF_8.encode("hello"), new Transport.ReplyHandler() {
                @Override
                public void onReply(ByteBuffer message) {
                    reply.complete(StandardCharsets.UTF_8.decode(message).toString());
                }

                @Override
                public void onFailure(Throwable cause) {
                    reply.completeExceptionally(cause);
                }
            });
            assertEquals("echo hello", reply.get(10, TimeUnit.SECONDS));
        }
        assertTrue(received.contains("hello"));
    }

    @Test
    void aConnectionWithoutTheSecretIsRefused() throws Exception {
        TransportConf plain = SparkTransportConf.fromSparkConf(new SparkConf(), "sparkprop", 1, Option.empty(), Option.empty());
        try (TransportContext context = new TransportContext(plain, new NoOpRpcHandler());
             TransportClientFactory factory = context.createClientFactory()) {
            TransportClient client = factory.createUnmanagedClient("127.0.0.1", server.port());
            assertThrows(RuntimeException.class, () -> client.sendRpcSync(StandardCharsets.UTF_8.encode("intruder"), 5000));
            client.close();
        }
        assertTrue(!received.contains("intruder"), "the handler heard an unauthenticated request: " + received);
    }

    @Test
    void aConnectionWithAnotherSecretIsRefused() throws Exception {
        SparkConf conf = new SparkConf().set("spark.authenticate", "true");
        TransportConf transport = SparkTransportConf.fromSparkConf(conf, "sparkprop", 1, Option.empty(), Option.empty());
        SecretKeyHolder wrong = new SecretKeyHolder() {
            @Override
            public String getSaslUser(String appId) {
                return "sparkSaslUser";
            }

            @Override
            public String getSecretKey(String appId) {
                return "not-the-secret";
            }
        };
        try (TransportContext context = new TransportContext(transport, new NoOpRpcHandler());
             TransportClientFactory factory = context.createClientFactory(List.of(new AuthClientBootstrap(transport, sc.sc().applicationId(), wrong)))) {
            Exception e = assertThrows(Exception.class, () -> {
                TransportClient client = factory.createUnmanagedClient("127.0.0.1", server.port());
                try {
                    client.sendRpcSync(StandardCharsets.UTF_8.encode("wrong secret"), 5000);
                } finally {
                    client.close();
                }
            });
            System.out.println("another secret: " + e);
        }
        assertTrue(!received.contains("wrong secret"), "the handler heard a request with another secret: " + received);
    }
}

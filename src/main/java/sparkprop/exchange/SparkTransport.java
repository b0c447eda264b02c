package sparkprop.exchange;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.SSLOptions;
import org.apache.spark.SecurityManager;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.apache.spark.network.TransportContext;
import org.apache.spark.network.client.RpcResponseCallback;
import org.apache.spark.network.client.TransportClient;
import org.apache.spark.network.client.TransportClientBootstrap;
import org.apache.spark.network.client.TransportClientFactory;
import org.apache.spark.network.crypto.AuthClientBootstrap;
import org.apache.spark.network.crypto.AuthServerBootstrap;
import org.apache.spark.network.netty.SparkTransportConf;
import org.apache.spark.network.server.NoOpRpcHandler;
import org.apache.spark.network.server.OneForOneStreamManager;
import org.apache.spark.network.server.RpcHandler;
import org.apache.spark.network.server.StreamManager;
import org.apache.spark.network.server.TransportServer;
import org.apache.spark.network.server.TransportServerBootstrap;
import org.apache.spark.network.util.TransportConf;
import scala.Option;

/**
 * {@link Transport} on {@code spark-network-common}, the library under Spark's block transfers and
 * RPC (pinned with Spark to 4.2.x; not Spark's published API). It brings Spark's security along:
 * with {@code spark.authenticate} a connection must prove the application's secret (Spark's
 * {@code SecurityManager} holds it on the driver and every executor) before any request reaches the
 * handler, and with {@code spark.ssl.rpc.enabled} the bytes travel over TLS. Settings under
 * {@code spark.sparkprop.io.*} tune it as {@code spark.rpc.io.*} tune Spark's RPC.
 */
public final class SparkTransport implements Transport {
    /** The settings namespace: {@code spark.sparkprop.io.connectionTimeout} and the like. */
    static final String MODULE = "sparkprop";
    /**
     * The task side's context, one per executor JVM and Spark environment (tests start several
     * contexts in one JVM): its client threads serve every task there.
     */
    private static TransportContext clients;
    private static TransportClientFactory clientFactory;
    private static SparkEnv clientsEnv;

    /**
     * Set to false to make a task in the driver's own JVM (local mode) talk to the driver's server
     * over a socket like any other, instead of directly.
     */
    static final String IN_PROCESS = "spark.sparkprop.exchange.inProcess";
    /** The servers of this JVM by host:port, for a task that runs in the same JVM as its driver. */
    private static final Map<String, Handler> SERVED_HERE = new ConcurrentHashMap<>();

    private final SparkEnv env;

    public SparkTransport(SparkEnv env) {
        this.env = env;
    }

    /** This JVM's Spark: the driver's, or the executor's a task runs in. */
    public static SparkTransport here() {
        SparkEnv env = SparkEnv.get();
        if (env == null) throw new IllegalStateException("no SparkEnv in this JVM: the step exchange runs inside a Spark application");
        return new SparkTransport(env);
    }

    private TransportConf transportConf() {
        SparkConf conf = env.conf().clone();
        // A task waits for its next step while the slowest task computes: never a reason to drop the connection.
        conf.setIfMissing("spark." + MODULE + ".io.connectionTimeout", "1h");
        SecurityManager security = env.securityManager();
        Option<SSLOptions> ssl = security.isSslRpcEnabled() ? Option.apply(security.getRpcSSLOptions()) : Option.empty();
        return SparkTransportConf.fromSparkConf(conf, MODULE, 2, Option.empty(), ssl);
    }

    @Override
    public Server serve(String bindHost, String advertisedHost, int port, Handler handler) {
        TransportConf conf = transportConf();
        TransportContext context = new TransportContext(conf, new Adapter(handler), true);
        List<TransportServerBootstrap> bootstraps = env.securityManager().isAuthenticationEnabled()
                ? List.of(new AuthServerBootstrap(conf, env.securityManager())) : List.of();
        TransportServer server = context.createServer(bindHost, port, bootstraps);
        String key = advertisedHost + ":" + server.getPort();
        SERVED_HERE.put(key, handler);
        return new Server() {
            @Override
            public String host() {
                return advertisedHost;
            }

            @Override
            public int port() {
                return server.getPort();
            }

            @Override
            public void close() {
                SERVED_HERE.remove(key, handler);
                server.close();
                context.close();
            }
        };
    }

    /**
     * A connection to the server at host:port. When that server runs in this JVM (local mode: the
     * tasks run inside the driver) requests go to its handler directly: nothing crosses a socket, so
     * there is nothing to authenticate, and the copies and the loopback round trip of the network
     * path are saved (scripts/bench, 6a).
     */
    @Override
    public Connection connect(String host, int port) throws IOException {
        Handler here = env.conf().getBoolean(IN_PROCESS, true) ? SERVED_HERE.get(host + ":" + port) : null;
        if (here != null) return direct(here);
        TransportClient client;
        try {
            client = factory().createUnmanagedClient(host, port);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while connecting to the step exchange at " + host + ":" + port, e);
        }
        return new Connection() {
            @Override
            public void request(ByteBuffer message, ReplyHandler handler) {
                client.sendRpc(message, new RpcResponseCallback() {
                    @Override
                    public void onSuccess(ByteBuffer response) {
                        handler.onReply(response);
                    }

                    @Override
                    public void onFailure(Throwable e) {
                        handler.onFailure(e);
                    }
                });
            }

            @Override
            public void close() {
                client.close();
            }
        };
    }

    /** A reply that hands the answer to {@code send}, or a failure as an exception to {@code fail}. */
    private static Reply reply(java.util.function.Consumer<ByteBuffer> send, java.util.function.Consumer<Throwable> fail) {
        return new Reply() {
            @Override
            public void send(ByteBuffer message) {
                send.accept(message);
            }

            @Override
            public void fail(String why) {
                fail.accept(new IllegalStateException(why));
            }
        };
    }

    private static Connection direct(Handler server) {
        return new Connection() {
            @Override
            public void request(ByteBuffer message, ReplyHandler handler) {
                server.receive(message, reply(handler::onReply, handler::onFailure));
            }

            @Override
            public void close() {
            }
        };
    }

    private TransportClientFactory factory() {
        synchronized (SparkTransport.class) {
            return clientFactory(env);
        }
    }

    private static TransportClientFactory clientFactory(SparkEnv env) {
        if (clientsEnv != env) {
            if (clientFactory != null) {
                clientFactory.close();
                clients.close();
            }
            clientsEnv = env;
            TransportConf conf = new SparkTransport(env).transportConf();
            clients = new TransportContext(conf, new NoOpRpcHandler(), false);
            List<TransportClientBootstrap> bootstraps = env.securityManager().isAuthenticationEnabled()
                    ? List.of(new AuthClientBootstrap(conf, env.conf().getAppId(), env.securityManager())) : List.of();
            clientFactory = clients.createClientFactory(bootstraps);
        }
        return clientFactory;
    }

    /** Spark's handler shape around ours. */
    private static final class Adapter extends RpcHandler {
        private final Handler handler;
        private final StreamManager streams = new OneForOneStreamManager();

        Adapter(Handler handler) {
            this.handler = handler;
        }

        @Override
        public void receive(TransportClient client, ByteBuffer message, RpcResponseCallback callback) {
            handler.receive(message, reply(callback::onSuccess, callback::onFailure));
        }

        @Override
        public StreamManager getStreamManager() {
            return streams;
        }
    }
}

package sparkprop.collective;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import sparkprop.exchange.Transport;

/** A Transport within one JVM for the collective's tests: each request is handled on another thread, as a network's would be. */
final class InMemoryTransport implements Transport {
    private final Map<Integer, Handler> servers = new ConcurrentHashMap<>();
    private final AtomicInteger ports = new AtomicInteger(1000);
    private final ExecutorService network = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "in-memory-network");
        t.setDaemon(true);
        return t;
    });

    @Override
    public Server serve(String bindHost, String advertisedHost, int port, Handler handler) {
        int p = ports.incrementAndGet();
        servers.put(p, handler);
        return new Server() {
            @Override
            public String host() {
                return advertisedHost;
            }

            @Override
            public int port() {
                return p;
            }

            @Override
            public void close() {
                servers.remove(p);
            }
        };
    }

    @Override
    public Connection connect(String host, int port) throws IOException {
        Handler handler = servers.get(port);
        if (handler == null) throw new IOException("nothing listens at " + host + ":" + port);
        // One thread per connection keeps a connection's requests in order, as a socket does.
        ExecutorService wire = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "in-memory-connection");
            t.setDaemon(true);
            return t;
        });
        return new Connection() {
            @Override
            public void request(ByteBuffer message, ReplyHandler replies) {
                ByteBuffer copy = ByteBuffer.allocate(message.remaining()).put(message.duplicate()).flip();
                wire.execute(() -> handler.receive(copy, new Reply() {
                    @Override
                    public void send(ByteBuffer reply) {
                        network.execute(() -> replies.onReply(reply));
                    }

                    @Override
                    public void fail(String why) {
                        network.execute(() -> replies.onFailure(new IllegalStateException(why)));
                    }
                }));
            }

            @Override
            public void close() {
                wire.shutdown();
            }
        };
    }
}

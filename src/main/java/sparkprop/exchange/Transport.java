package sparkprop.exchange;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * What the training stage needs of a network: a server on the driver that answers each request
 * when it chooses (a task asks for the next step's parameters and waits), and a connection from a
 * task that sends a request and hears the reply. {@link SparkTransport} is the one implementation;
 * it uses a package Spark does not publish as API, so nothing else in the project names it.
 */
public interface Transport {
    /** Receives requests on the server; may answer them later, from any thread. */
    interface Handler {
        /** {@code request} is valid only during this call. */
        void receive(ByteBuffer request, Reply reply);
    }

    /** The answer to one request: send or fail, once. */
    interface Reply {
        void send(ByteBuffer message);

        void fail(String why);
    }

    /** A listening server; closing it drops its connections. */
    interface Server extends Closeable {
        String host();

        int port();

        @Override
        void close();
    }

    /** Hears the reply to one request, on a network thread. */
    interface ReplyHandler {
        /** {@code reply} is valid only during this call. */
        void onReply(ByteBuffer reply);

        void onFailure(Throwable cause);
    }

    /** A task's connection to the server. */
    interface Connection extends Closeable {
        void request(ByteBuffer message, ReplyHandler handler);

        @Override
        void close();
    }

    Server serve(String bindHost, String advertisedHost, int port, Handler handler);

    Connection connect(String host, int port) throws IOException;
}

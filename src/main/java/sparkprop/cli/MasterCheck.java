package sparkprop.cli;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;

/**
 * Refuses a standalone master that cannot be reached before Spark starts, instead of letting
 * Spark retry for a minute and then print pages of stack traces.
 */
final class MasterCheck {
    private MasterCheck() {
    }

    static void reachable(String master) {
        if (master == null || !master.startsWith("spark://")) return;
        for (String hostPort : master.substring("spark://".length()).split(",")) {
            URI uri;
            try {
                uri = URI.create("spark://" + hostPort);
            } catch (IllegalArgumentException e) {
                uri = null;
            }
            if (uri == null || uri.getHost() == null || uri.getPort() < 0) {
                throw new sparkprop.core.BadInputException("--master " + master + ": expected spark://HOST:PORT");
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 5000);
                return;
            } catch (IOException e) {
                if (!master.contains(",")) {
                    throw new sparkprop.core.BadInputException("--master " + master + ": cannot connect (" + e.getMessage()
                            + "); is the cluster up? (scripts/cluster status)");
                }
            }
        }
        throw new sparkprop.core.BadInputException("--master " + master + ": none of the masters can be reached");
    }
}

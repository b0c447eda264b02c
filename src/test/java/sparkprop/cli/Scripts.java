package sparkprop.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the project's scripts as a user would, in a separate process, for the integration tests. */
final class Scripts {
    static final Path ROOT = Path.of("").toAbsolutePath();

    private Scripts() {
    }

    record Result(int code, String output) {
    }

    static Process start(Path logDir, String... command) throws IOException {
        return start(logDir, java.util.Map.of(), command);
    }

    /**
     * The checkout as the scripts are run from: through a link whose path holds a space, so that
     * every script run also checks that a checkout in such a folder works (unquoted paths broke
     * scripts/submit, cluster and bench there).
     */
    static Path spacedRoot() throws IOException {
        Path link = ROOT.resolve("target/checkout with space");
        if (!java.nio.file.Files.isSymbolicLink(link)) {
            java.nio.file.Files.createDirectories(link.getParent());
            java.nio.file.Files.createSymbolicLink(link, ROOT);
        }
        return link;
    }

    /** @param env variables added to the inherited environment */
    static Process start(Path logDir, java.util.Map<String, String> env, String... command) throws IOException {
        List<String> c = new ArrayList<>(List.of("bash"));
        c.addAll(List.of(command));
        if (command[0].startsWith("scripts/")) c.set(1, spacedRoot().resolve(command[0]).toString());
        ProcessBuilder pb = new ProcessBuilder(c).directory(ROOT.toFile()).redirectErrorStream(true);
        pb.environment().put("SPARKPROP_LOG_DIR", logDir.toString());
        pb.environment().putAll(env);
        return pb.start();
    }

    static Result run(Path logDir, int seconds, String... command) throws Exception {
        return run(logDir, seconds, java.util.Map.of(), command);
    }

    static Result run(Path logDir, int seconds, java.util.Map<String, String> env, String... command) throws Exception {
        Process p = start(logDir, env, command);
        byte[][] out = new byte[1][];
        Thread reader = new Thread(() -> {
            try {
                out[0] = p.getInputStream().readAllBytes();
            } catch (IOException e) {
                out[0] = e.toString().getBytes();
            }
        });
        reader.start();
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish in " + seconds + " s");
        }
        reader.join();
        String output = new String(out[0]);
        System.out.println(output);
        return new Result(p.exitValue(), output);
    }
}

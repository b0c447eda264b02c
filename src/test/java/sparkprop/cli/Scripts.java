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

    /**
     * Waits for a started script to end. If it does not within {@code seconds}, the test fails with what is needed to
     * tell why without running it again: the thread dump of every JVM the script started, what it printed, and the tail
     * of its log; then the script and its JVMs are killed.
     */
    static void awaitExit(Process p, Path logDir, int seconds, String what) throws Exception {
        if (p.waitFor(seconds, TimeUnit.SECONDS)) return;
        StringBuilder why = new StringBuilder(what + " did not finish in " + seconds + " s\n");
        for (ProcessHandle jvm : p.descendants().filter(h -> h.info().command().map(c -> c.endsWith("java")).orElse(false)).toList()) {
            Process dump = new ProcessBuilder("jstack", String.valueOf(jvm.pid())).redirectErrorStream(true).start();
            String threads = new String(dump.getInputStream().readAllBytes());
            dump.waitFor(30, TimeUnit.SECONDS);
            why.append("--- threads of JVM ").append(jvm.pid()).append(" ---\n").append(threads);
        }
        // What it printed so far, read before it is killed (killing it closes the pipe).
        java.io.InputStream printed = p.getInputStream();
        why.append("--- its output ---\n").append(new String(printed.readNBytes(printed.available())));
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
        Path log = logDir.resolve("sparkprop.log");
        if (java.nio.file.Files.exists(log)) {
            List<String> lines = java.nio.file.Files.readAllLines(log);
            why.append("--- the last lines of ").append(log).append(" ---\n")
                    .append(String.join("\n", lines.subList(Math.max(0, lines.size() - 200), lines.size())));
        }
        System.out.println(why);
        throw new AssertionError(why.toString());
    }
}

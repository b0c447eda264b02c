package sparkprop.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sparkprop.core.BadInputException;
import sparkprop.storage.Location;

/** A run folder belongs to one run: of several runs started on the same empty folder at once, one gets it. */
class RunFolderTest {
    @TempDir
    Path dir;

    @Test
    void ofRunsRacingForOneEmptyFolderExactlyOneClaimsIt() throws Exception {
        Path out = dir.resolve("sweep");
        Files.createDirectories(out); // empty, as a sweep's shared default folder would be
        int runs = 8;
        CyclicBarrier start = new CyclicBarrier(runs);
        ExecutorService pool = Executors.newFixedThreadPool(runs);
        List<Future<String>> outcomes = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            outcomes.add(pool.submit(() -> {
                start.await();
                try {
                    RunFolder.create(Location.of(out.toString(), Location.configuration(), "--out"));
                    return "claimed";
                } catch (BadInputException e) {
                    return e.getMessage();
                }
            }));
        }
        int claimed = 0;
        for (Future<String> outcome : outcomes) {
            String said = outcome.get();
            if (said.equals("claimed")) claimed++;
            else assertTrue(said.startsWith("--out " ) && (said.contains("another training run") || said.contains("not empty")), said);
        }
        pool.shutdown();
        assertEquals(1, claimed);
        assertTrue(Files.readString(out.resolve(RunFolder.CLAIM)).startsWith("pid "));
    }

    @Test
    void createIfAbsentWritesOnlyTheFirstTime() throws Exception {
        Location file = Location.of(dir.resolve("claim").toString(), Location.configuration(), "--out");
        assertTrue(file.createIfAbsent("first".getBytes()));
        assertFalse(file.createIfAbsent("second".getBytes()));
        assertEquals("first", Files.readString(dir.resolve("claim")));
    }
}

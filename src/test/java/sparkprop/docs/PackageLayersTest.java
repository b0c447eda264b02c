package sparkprop.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The package map docs/ARCHITECTURE.md draws, checked against the sources: which packages each
 * one uses (imports and fully qualified names), with no cycle among them and no Spark or Hadoop
 * in {@code core}.
 */
class PackageLayersTest {
    static final Path SOURCES = Path.of("src/main/java/sparkprop");
    static final Pattern USE = Pattern.compile("\\bsparkprop\\.([a-z]+)\\.[A-Z]");

    /** Each package and the packages of ours its sources name. */
    static Map<String, Set<String>> uses() throws IOException {
        Map<String, Set<String>> uses = new TreeMap<>();
        try (var packages = Files.list(SOURCES)) {
            for (Path dir : packages.filter(Files::isDirectory).toList()) {
                String name = dir.getFileName().toString();
                Set<String> used = uses.computeIfAbsent(name, k -> new TreeSet<>());
                try (var files = Files.list(dir)) {
                    for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                        Matcher m = USE.matcher(Files.readString(f));
                        while (m.find()) if (!m.group(1).equals(name)) used.add(m.group(1));
                    }
                }
            }
        }
        return uses;
    }

    @Test
    void thePackagesUseEachOtherWithoutCycles() throws IOException {
        Map<String, Set<String>> uses = uses();
        assertTrue(uses.keySet().containsAll(List.of("core", "data", "train", "cli")), uses.toString());
        // Kahn's order: repeatedly take the packages whose uses are all taken; what is left lies on a cycle.
        List<String> order = new ArrayList<>();
        Set<String> left = new TreeSet<>(uses.keySet());
        boolean progress = true;
        while (progress) {
            progress = false;
            for (String p : List.copyOf(left)) {
                if (order.containsAll(uses.get(p))) {
                    order.add(p);
                    left.remove(p);
                    progress = true;
                }
            }
        }
        Map<String, Set<String>> onCycles = new TreeMap<>(uses);
        onCycles.keySet().retainAll(left);
        assertEquals(Map.of(), onCycles, "packages that use each other, directly or around a loop");
        System.out.println("packages, each after those it uses: " + order);
    }

    /** The collective is read and tested without the engine: of ours it names only the Transport interface, and never Spark or Hadoop. */
    @Test
    void theCollectiveUsesOnlyTheTransportAndNoSparkOrHadoop() throws IOException {
        assertEquals(Set.of("exchange"), uses().get("collective"));
        try (var files = Files.list(SOURCES.resolve("collective"))) {
            for (Path f : files.toList()) {
                String text = Files.readString(f);
                assertTrue(!text.contains("org.apache.spark") && !text.contains("org.apache.hadoop"), f + " names Spark or Hadoop");
                assertTrue(!text.contains("SparkTransport"), f + " names the Spark implementation of the transport");
            }
        }
    }

    @Test
    void coreUsesNoOtherPackageOfOursAndNoSparkOrHadoop() throws IOException {
        assertEquals(Set.of(), uses().get("core"));
        try (var files = Files.list(SOURCES.resolve("core"))) {
            for (Path f : files.toList()) {
                String text = Files.readString(f);
                assertTrue(!text.contains("org.apache.spark") && !text.contains("org.apache.hadoop"), f + " names Spark or Hadoop");
            }
        }
    }
}

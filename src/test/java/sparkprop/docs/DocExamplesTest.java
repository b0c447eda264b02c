package sparkprop.docs;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Every Java block in the README and docs/ is, line for line, code that compiles: a method of {@link DocExamples}. */
class DocExamplesTest {
    @Test
    void everyJavaExampleInTheDocsIsCompiled() throws Exception {
        // Spark's Dataset is spelled out in DocExamples beside sparkprop.data.Dataset; the docs write it short.
        List<String> compiled = Files.readAllLines(Path.of("src/test/java/sparkprop/docs/DocExamples.java")).stream()
                .map(l -> l.strip().replace("org.apache.spark.sql.Dataset<", "Dataset<")).toList();
        List<Path> docs = new ArrayList<>(List.of(Path.of("README.md")));
        try (Stream<Path> files = Files.list(Path.of("docs"))) {
            files.filter(p -> p.toString().endsWith(".md")).sorted().forEach(docs::add);
        }
        int checked = 0;
        for (Path doc : docs) {
            for (List<String> block : javaBlocks(Files.readAllLines(doc))) {
                List<String> code = block.stream().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("import ")).toList();
                assertTrue(java.util.Collections.indexOfSubList(compiled, code) >= 0,
                        doc + ": this example is not, line for line, in DocExamples:\n" + String.join("\n", code));
                checked++;
            }
        }
        assertTrue(checked >= 7, checked + " examples");
    }

    static List<List<String>> javaBlocks(List<String> lines) {
        List<List<String>> blocks = new ArrayList<>();
        List<String> current = null;
        for (String line : lines) {
            if (current == null && line.strip().equals("```java")) {
                current = new ArrayList<>();
            } else if (current != null && line.strip().equals("```")) {
                blocks.add(current);
                current = null;
            } else if (current != null) {
                current.add(line);
            }
        }
        return blocks;
    }
}

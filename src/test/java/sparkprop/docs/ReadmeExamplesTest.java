package sparkprop.docs;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Each README Java block that starts with a line naming one of these examples compiles, as ReadmeExamples. */
class ReadmeExamplesTest {
    /** The first line of each README block held to {@link ReadmeExamples}. */
    static final List<String> HELD = List.of(
            "NeuralNetClassificationModel model = NeuralNetClassificationModel.load(\"hdfs:///models/mnist\");",
            "OrtEnvironment env = OrtEnvironment.getEnvironment();");

    @Test
    void theReadmesJavaExamplesAreTheCompiledOnes() throws Exception {
        List<List<String>> blocks = javaBlocks(Files.readAllLines(Path.of("README.md")));
        List<String> compiled = Files.readAllLines(Path.of("src/test/java/sparkprop/docs/ReadmeExamples.java")).stream().map(String::strip).toList();
        for (String first : HELD) {
            List<String> block = blocks.stream().filter(b -> !b.isEmpty() && b.get(0).strip().equals(first)).findFirst()
                    .orElseThrow(() -> new AssertionError("no README block starts with " + first));
            int at = compiled.indexOf(block.get(0).strip());
            assertTrue(at >= 0, first);
            for (int i = 0; i < block.size(); i++) {
                assertTrue(at + i < compiled.size() && compiled.get(at + i).equals(block.get(i).strip()),
                        "README line differs from the compiled example: " + block.get(i));
            }
        }
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

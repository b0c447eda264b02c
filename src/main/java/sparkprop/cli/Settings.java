package sparkprop.cli;

import java.io.IOException;
import java.io.ByteArrayInputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import sparkprop.core.BadInputException;
import sparkprop.storage.Location;
import sparkprop.train.Options;

/**
 * Where a run's settings come from, later ones winning: the defaults file
 * ({@code conf/train.properties}, carried in the jar), a {@code --config FILE}, the command line.
 */
final class Settings {
    private Settings() {
    }

    /** A --config file's settings, every key checked against the option table. */
    static Map<String, String> file(String file) {
        Location where = Location.of(file, Location.configuration(), "--config");
        try {
            if (!where.isFile()) throw new BadInputException("--config " + where + ": no such file");
            return Options.checkedMap(new ByteArrayInputStream(where.read()), "--config " + file);
        } catch (IOException | IllegalArgumentException e) {
            if (e instanceof BadInputException bad) throw bad;
            throw new BadInputException("--config " + file + ": cannot be read (" + e.getMessage() + ")");
        }
    }

    /** Defaults, then a --config file's settings, then the command line's. */
    static Map<String, String> merge(Map<String, String> fromFile, Map<String, String> overrides) {
        Map<String, String> merged = new LinkedHashMap<>(Options.defaults());
        merged.putAll(fromFile);
        merged.putAll(overrides);
        return merged;
    }
}

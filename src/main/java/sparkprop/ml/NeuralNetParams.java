package sparkprop.ml;

import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntArrayParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;
import sparkprop.core.BadInputException;
import sparkprop.train.Options;
import sparkprop.train.TrainConfig;

/**
 * The Estimator's Params, made from the option table: one per hyperparameter (scope MODEL), typed
 * by its {@link TrainConfig} component (int, long, double, int[]; names and enums as strings), with
 * the option's help as doc, the option's check as validator and the shipped default. Named as
 * MLlib's MultilayerPerceptronClassifier names the same thing ({@code stepSize}, {@code maxIter},
 * {@code seed}, {@code layers}), else the option's name in camelCase ({@code batch-size} →
 * {@code batchSize}).
 */
final class NeuralNetParams {
    /** Option key → MLlib's name where MLlib's MLP has the same setting. */
    static final Map<String, String> MLLIB_NAMES = Map.of("learning-rate", "stepSize", "epochs", "maxIter", "seed", "seed", "layers", "layers");

    /** Rows per sgemm when predicting, unless {@code blockSize} says otherwise. */
    static final int BLOCK_SIZE = 256;

    private final Map<String, Param<?>> byKey = new LinkedHashMap<>();
    private final Map<String, String> keyByName = new LinkedHashMap<>();

    NeuralNetParams(Params owner) {
        Map<String, Class<?>> types = Arrays.stream(TrainConfig.class.getRecordComponents())
                .collect(Collectors.toMap(RecordComponent::getName, RecordComponent::getType));
        for (Options.Option<?> o : Options.ALL) {
            if (o.scope() != Options.Scope.MODEL) continue;
            String name = paramName(o.key());
            String doc = o.help() + " (command line: --" + o.key() + ")";
            Class<?> type = types.get(o.field());
            Param<?> p;
            if (type == int.class) {
                p = new IntParam(owner, name, doc, check(v -> valid(o, String.valueOf(v))));
            } else if (type == long.class) {
                p = new LongParam(owner, name, doc, check(v -> valid(o, String.valueOf(v))));
            } else if (type == double.class || type == float.class) {
                p = new DoubleParam(owner, name, doc, check(v -> valid(o, String.valueOf(v))));
            } else if (type == int[].class) {
                p = new IntArrayParam(owner, name, doc, check((int[] v) -> valid(o, join(v))));
            } else {
                p = new Param<String>(owner, name, doc, check((String v) -> valid(o, v)));
            }
            byKey.put(o.key(), p);
            keyByName.put(name, o.key());
        }
    }

    /** A validator Spark can serialize with its Params (a plain Java lambda is not Serializable). */
    interface Check<T> extends scala.Function1<T, Object>, java.io.Serializable {
    }

    static <T> Check<T> check(Check<T> c) {
        return c;
    }

    /** For a Param naming a column or a path: any string but an empty or blank one. */
    static Check<String> nonBlank() {
        return v -> v != null && !v.isBlank();
    }

    /** {@code blockSize}, shared by the Estimator and the Model: rows stacked into one matrix when predicting (MLlib's meaning). */
    static IntParam blockSize(Params owner) {
        return new IntParam(owner, "blockSize", "rows per sgemm when predicting", check(v -> (Integer) v > 0));
    }

    static String paramName(String key) {
        String mllib = MLLIB_NAMES.get(key);
        if (mllib != null) return mllib;
        StringBuilder s = new StringBuilder();
        boolean up = false;
        for (char c : key.toCharArray()) {
            if (c == '-') up = true;
            else s.append(up ? Character.toUpperCase(c) : c);
            if (c != '-') up = false;
        }
        return s.toString();
    }

    private static Object valid(Options.Option<?> o, String raw) {
        try {
            o.read(raw);
            return true;
        } catch (BadInputException e) {
            return false;
        }
    }

    static String join(int[] values) {
        return Arrays.stream(values).mapToObj(Integer::toString).collect(Collectors.joining(","));
    }

    @SuppressWarnings("unchecked")
    <T> Param<T> get(String key) {
        return (Param<T>) byKey.get(key);
    }

    DoubleParam d(String key) {
        return (DoubleParam) byKey.get(key);
    }

    IntParam i(String key) {
        return (IntParam) byKey.get(key);
    }

    LongParam l(String key) {
        return (LongParam) byKey.get(key);
    }

    IntArrayParam ints(String key) {
        return (IntArrayParam) byKey.get(key);
    }

    Map<String, Param<?>> all() {
        return byKey;
    }

    /** The shipped default of a param, typed as the param holds it. */
    static Object typedDefault(Param<?> p, String raw) {
        if (p instanceof IntParam) return raw.trim().equals(Options.AUTO) ? 0 : Integer.parseInt(raw.trim());
        if (p instanceof LongParam) return Long.parseLong(raw.trim());
        if (p instanceof DoubleParam) return Double.parseDouble(raw.trim());
        if (p instanceof IntArrayParam) return Arrays.stream(raw.split(",")).mapToInt(x -> Integer.parseInt(x.trim())).toArray();
        return raw.trim();
    }

    /** The hyperparameters the params hold, checked by the same code as the command line's (messages name the param). */
    TrainConfig config(Params owner) {
        Map<String, String> values = new LinkedHashMap<>(Options.defaults());
        for (Map.Entry<String, Param<?>> e : byKey.entrySet()) {
            Object v = owner.getOrDefault(e.getValue());
            values.put(e.getKey(), v instanceof int[] a ? join(a) : String.valueOf(v));
        }
        try {
            return TrainConfig.fromMap(values);
        } catch (BadInputException e) {
            String message = e.getMessage();
            for (Map.Entry<String, String> n : keyByName.entrySet()) message = message.replace("--" + n.getValue() + ":", n.getKey() + ":");
            throw new BadInputException(message);
        }
    }

    /** The option keys whose params the user set (the others are defaults, which may be fitted to the data's size). */
    java.util.Set<String> chosen(Params owner) {
        java.util.Set<String> chosen = new java.util.HashSet<>();
        for (Map.Entry<String, Param<?>> e : byKey.entrySet()) if (owner.isSet(e.getValue())) chosen.add(e.getKey());
        return chosen;
    }
}

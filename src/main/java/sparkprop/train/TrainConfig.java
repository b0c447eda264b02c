package sparkprop.train;

import java.io.Serializable;
import java.util.Map;
import sparkprop.core.Activation;
import sparkprop.core.Augment;
import sparkprop.core.BadInputException;
import sparkprop.core.Dropout;
import sparkprop.core.Initializer;
import sparkprop.core.LearningRateSchedule;
import sparkprop.core.Loss;
import sparkprop.core.NetworkSpec;
import sparkprop.core.Optimizer;
import sparkprop.shards.ShardLayout;

/**
 * The hyperparameters of a training run: everything that, with the data, decides the model's
 * bits, and nothing else (where the data is, the master, the run folder and the partition count
 * are {@link RunSettings}). This is what a checkpoint records.
 *
 * <p>Built from option keys by {@link #fromMap}, {@link #defaults} and {@link #with}, which read
 * and check every value by its row in {@link Options} (a bad value fails with the option's name,
 * the value and what is allowed); the checks across options are here. Defaults are in
 * {@code conf/train.properties}.
 */
public record TrainConfig(
        int[] layers,
        Activation activation,
        Loss loss,
        Activation output,
        Initializer init,
        double initStd,
        Optimizer.Kind optimizer,
        double learningRate,
        double momentum,
        double adamBeta1,
        double adamBeta2,
        double adamEpsilon,
        double weightDecay,
        double inputDropout,
        double dropout,
        double maxNorm,
        double ema,
        Augment augment,
        LearningRateSchedule.Kind schedule,
        double warmupEpochs,
        double decayEpochs,
        double decayFactor,
        int batchSize,
        int epochs,
        long seed,
        int shards,
        int validation,
        int patience) implements Serializable {

    public TrainConfig {
        layers = layers.clone();
        if (output == null) output = loss.defaultOutput();
        if (!loss.accepts(output)) throw Options.bad("output", output.id(), loss.outputs() + " with --loss " + loss.id());
        if (shards > 0 && batchSize < shards) throw Options.bad("batch-size", Integer.toString(batchSize), "at least --shards (" + shards + "), so every shard gives an example per step");
    }

    /** The network for data of the given width; the first layer size must match it. */
    public NetworkSpec network(int inputWidth) {
        if (layers[0] != inputWidth) {
            String sizes = Options.join(layers);
            throw new BadInputException("--layers " + sizes + " expects " + layers[0] + " inputs but the data has "
                    + inputWidth + " pixels per example (use --layers " + inputWidth + sizes.substring(sizes.indexOf(',')) + ")");
        }
        return new NetworkSpec(layers, activation, output, loss);
    }

    /** How {@code other} (e.g. a checkpoint's) differs from this, one "key OTHER there, THIS here" per option; empty when equal. */
    public java.util.List<String> differencesFrom(TrainConfig other) {
        Map<String, String> had = other.toMap(), want = toMap();
        java.util.List<String> differences = new java.util.ArrayList<>();
        for (String key : want.keySet()) {
            if (!want.get(key).equals(had.get(key))) differences.add(key + " " + had.get(key) + " there, " + want.get(key) + " here");
        }
        return differences;
    }

    public TrainConfig withInputWidth(int width) {
        int[] l = layers.clone();
        l[0] = width;
        return with("layers", Options.join(l));
    }

    /** The dropout applied while training (prediction never drops). */
    public Dropout dropoutRates() {
        return new Dropout((float) inputDropout, (float) dropout);
    }

    /** The optimizer this config asks for, with zeroed state for {@code n} parameters. */
    public Optimizer newOptimizer(int n) {
        return Optimizer.create(optimizer, n,
                new Optimizer.Settings((float) momentum, (float) weightDecay, (float) adamBeta1, (float) adamBeta2, (float) adamEpsilon));
    }

    public LearningRateSchedule learningRateSchedule(int stepsPerEpoch) {
        long total = (long) stepsPerEpoch * epochs;
        return new LearningRateSchedule(schedule, learningRate, total, Math.round(warmupEpochs * stepsPerEpoch),
                Math.max(1, Math.round(decayEpochs * stepsPerEpoch)), decayFactor);
    }

    @Override
    public int[] layers() {
        return layers.clone();
    }

    /** The shipped defaults as a config; change values with {@link #with}. */
    public static TrainConfig defaults() {
        return fromMap(Options.defaults());
    }

    /**
     * A copy with one setting changed, by its option name: {@code with("learning-rate", "0.05")}.
     * The copy is validated like any other config.
     */
    /** Whether {@code --shards auto} is still to be resolved against the partitions ({@link #withShardsFor}). */
    public boolean shardsFollowPartitions() {
        return shards == 0;
    }

    /**
     * This config with {@code --shards auto} resolved for {@code partitions} ({@link ShardLayout#autoShards}); itself when
     * the shards were given.
     */
    public TrainConfig withShardsFor(int partitions) {
        if (!shardsFollowPartitions()) return this;
        return with("shards", String.valueOf(ShardLayout.autoShards(partitions, Math.min(batchSize, Options.MAX_SHARDS))));
    }

    public TrainConfig with(String option, String value) {
        Map<String, String> m = toMap();
        m.put(option, value);
        return fromMap(m);
    }

    /**
     * Builds a config from option keys. Keys of run settings (data, master, ...) are ignored,
     * unknown keys refused; a key missing takes the value the option had before it existed
     * (so old checkpoints load), or fails if it always existed.
     */
    public static TrainConfig fromMap(Map<String, String> values) {
        return Options.build(TrainConfig.class, values);
    }

    /** The config as option keys, the inverse of {@link #fromMap}; what summaries and checkpoints record. */
    public Map<String, String> toMap() {
        return Options.toMap(this);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TrainConfig c && toMap().equals(c.toMap());
    }

    @Override
    public int hashCode() {
        return toMap().hashCode();
    }
}

package sparkprop.train;

import java.util.Set;

/**
 * Defaults that fit the training set's size. The shipped batch (512) gives MNIST's 60 000
 * examples 117 steps an epoch; on a set of 2 000 it gives 3, and 8 epochs of 3 steps do not
 * train a network (93.7% on the 32x32 text-bitmap digits, against 98.1% with batch 32). So when
 * the batch was not chosen it is halved, down to {@value #MIN_BATCH} (or --shards), until an epoch has at least
 * {@value #MIN_STEPS_PER_EPOCH} steps, and the learning rate, when not chosen either, follows the
 * square-root rule: rate × sqrt(new batch / 512). MNIST keeps its defaults.
 *
 * <p>Square root rather than linear: on the text-bitmap digits at batch 32 (three seeds, 8
 * epochs) the linear rule's 0.025 gave 97.46-98.10% (median 97.57%) and the square root's 0.1
 * gave 97.89-98.20% (median 97.99%), the rate its dedicated config had found by hand.
 */
public final class DataSizeDefaults {
    public static final int MIN_STEPS_PER_EPOCH = 60;
    public static final int MIN_BATCH = 16;

    private DataSizeDefaults() {
    }

    /** A config fitted to its data, and the console line saying what was fitted (null if nothing). */
    public record Fitted(TrainConfig config, String note) {
    }

    /**
     * The one place a config meets its data: the input width from the data unless {@code layers}
     * was chosen, then batch and rate from the training set's size unless chosen ({@link #fit}).
     *
     * @param chosen option keys the user set (command line, --config file, or the Estimator's params); never changed
     */
    public static Fitted fitTo(TrainConfig config, int width, long examples, Set<String> chosen) {
        TrainConfig sized = chosen.contains("layers") ? config : config.withInputWidth(width);
        TrainConfig fitted = fit(sized, examples, chosen);
        return new Fitted(fitted, note(sized, fitted, examples));
    }

    /**
     * The config fitted to {@code examples} training examples (before the validation hold-out).
     *
     * @param chosen option keys the user set (command line or --config file); those are never changed
     */
    public static TrainConfig fit(TrainConfig config, long examples, Set<String> chosen) {
        if (chosen.contains("batch-size")) return config;
        long usable = examples - config.validation();
        int batch = config.batchSize();
        int floor = Math.max(MIN_BATCH, config.shards());
        while (batch / 2 >= floor && usable / batch < MIN_STEPS_PER_EPOCH) batch /= 2;
        if (batch == config.batchSize()) return config;
        TrainConfig fitted = config.with("batch-size", String.valueOf(batch));
        if (!chosen.contains("learning-rate")) {
            double rate = config.learningRate() * Math.sqrt((double) batch / config.batchSize());
            fitted = fitted.with("learning-rate", String.valueOf((float) rate));
        }
        return fitted;
    }

    /** What {@link #fit} changed, as one console line, or null if nothing. */
    public static String note(TrainConfig before, TrainConfig after, long examples) {
        if (before.batchSize() == after.batchSize()) return null;
        String line = "fitted to " + examples + " training examples: --batch-size " + after.batchSize() + " (not " + before.batchSize()
                + ", so an epoch has at least " + MIN_STEPS_PER_EPOCH + " steps)";
        if (before.learningRate() != after.learningRate()) {
            line += ", --learning-rate " + after.learningRate() + " (" + before.learningRate() + " x sqrt(" + after.batchSize() + "/" + before.batchSize() + "))";
        }
        return line + "; give either option to choose it yourself";
    }
}

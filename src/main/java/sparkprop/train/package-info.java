/**
 * The training loop and what feeds it: the option table and the configs, a partition's work on
 * its cached shards and the exact sums, the driver's step and model selection, the loop written
 * once ({@link sparkprop.train.TrainingLoop}) with the three ways it gets a step's gradient (in
 * this thread, a Spark job per step, or one gang-scheduled stage per epoch), the state and its
 * checkpoints. The shards themselves are cut and cached by {@code sparkprop.shards}.
 */
package sparkprop.train;

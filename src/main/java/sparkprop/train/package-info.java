/** The training loop and what feeds it: options and configs, per-shard work and exact sums, the driver's step, steps run in one gang-scheduled stage per epoch or as a Spark job each, checkpoints. */
package sparkprop.train;

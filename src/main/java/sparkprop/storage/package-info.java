/**
 * Where files live: every file the product reads or writes besides the training data itself (run
 * folders, checkpoints, --config files, models, evaluation output) goes through {@link
 * sparkprop.storage.Location}, one place that knows Hadoop's filesystems, their reachability and
 * which of them rename atomically.
 */
package sparkprop.storage;

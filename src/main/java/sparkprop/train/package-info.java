/** The Spark job: data cut into logical shards cached in partitions, and the synchronous step loop (broadcast, per-shard gradients, exact tree aggregation, update on the driver). */
package sparkprop.train;

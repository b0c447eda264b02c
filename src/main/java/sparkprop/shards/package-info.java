/** Examples cut into logical shards and cached in Spark partitions, read by the executors themselves; shared by training and evaluation, with the chunked forward pass over them. */
package sparkprop.shards;

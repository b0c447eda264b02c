/**
 * Tables as a source of examples beside {@code sparkprop.data}'s files: Parquet, ORC, CSV and
 * LIBSVM read with Spark SQL ({@link sparkprop.tables.TableReader}), numbered in file order with a
 * seeded test split, and cut into the same cached shards files give ({@link sparkprop.tables.TableShards}),
 * so the same rows in the same order train to the same bits.
 */
package sparkprop.tables;

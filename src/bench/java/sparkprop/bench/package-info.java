/** The benchmark (scripts/bench): core throughput per BLAS backend, Spark step overhead, cache size and time to accuracy against Spark MLlib; built only with the bench profile. */
package sparkprop.bench;

/** The engine-free backprop core: network spec, batched forward/backward on sgemm, initialisers, optimizers and the model file; no Spark here. */
package sparkprop.core;

/** The engine-free backprop core: network spec, batched forward/backward on sgemm, initialisers, optimizers, the model file and ONNX export, the confusion matrix; no Spark here. */
package sparkprop.core;

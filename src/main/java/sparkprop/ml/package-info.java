/**
 * The spark.ml face of the product: {@link sparkprop.ml.NeuralNetClassifier}, an Estimator that
 * trains with the same loop and bits as the command line on a DataFrame of label and features,
 * and {@link sparkprop.ml.NeuralNetClassificationModel}, which scores in blocks, keeps column
 * metadata (streams too), persists as spark.ml does with {@code model.bin} beside, and has the
 * fit's {@link sparkprop.ml.NeuralNetTrainingSummary} and an {@code evaluate}.
 */
package sparkprop.ml;

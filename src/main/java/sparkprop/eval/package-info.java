/** Judging a saved model: the confusion matrix and per-class metrics (engine-free), and the Spark batch job that computes them over any dataset. */
package sparkprop.eval;

/** Judging a saved model: the Spark batch job that fills a core.ConfusionMatrix over any dataset, the report page and curves, and batch prediction. */
package sparkprop.eval;

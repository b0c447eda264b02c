/** The channel between the driver's step loop and the tasks of a training stage: request and reply over Spark's own network library, authenticated as Spark's RPC is. A service beside the data flow, like {@code storage}. */
package sparkprop.exchange;

/**
 * The collective: how a synchronous step's exact sums are combined across the tasks of a training
 * stage and its parameters reach them all, readable and testable without Spark. {@link
 * sparkprop.collective.StepExchange} is the driver's side, a state machine over typed {@link
 * sparkprop.collective.Message}s that returns what to send; {@link sparkprop.collective.RingMember} is a
 * task's side of the ring (reduce-scatter of the sums, all-gather of the parameters). Both travel on
 * {@code sparkprop.exchange}'s {@code Transport}.
 */
package sparkprop.collective;

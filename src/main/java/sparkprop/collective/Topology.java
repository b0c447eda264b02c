package sparkprop.collective;

/**
 * How the members of a training stage combine their sums each step.
 * <ul>
 * <li>{@code RING}: an all-reduce among the members ({@link RingMember}), after which every member
 *     holds the step's exact totals and updates its own replica of the state, as data-parallel
 *     trainers such as PyTorch's DDP and Horovod do. No link carries more than about twice the
 *     vector per step whatever the member count; the driver hears one small report per step
 *     ({@link RingExchange}) and a copy of the state only where it asks for one.</li>
 * <li>{@code STAR}: each member sends the driver its whole sums and is sent the whole parameters
 *     ({@link StepExchange}); the driver updates. Its link carries the vector twice per member.</li>
 * <li>{@code SHARED}: the members share one JVM (Spark's local mode) and add their sums in shared
 *     memory ({@link SharedSums}); each updates its chunk of the one state all read. The driver hears
 *     them as in a ring.</li>
 * </ul>
 */
public enum Topology { RING, STAR, SHARED }

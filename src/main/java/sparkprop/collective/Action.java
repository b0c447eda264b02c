package sparkprop.collective;

/**
 * What the driver's side of an exchange ({@link StepExchange}, {@link RingExchange}) asks its caller
 * to do: the state machines send nothing themselves, so a test reads their answers.
 *
 * @param <R> how the caller answers a request (a network reply, or a name in a test)
 */
public sealed interface Action<R> {
    /** Answer {@code to} with {@code message}. */
    record Send<R>(R to, Message message) implements Action<R> {
    }

    /** Answer {@code to} with a failure. */
    record Refuse<R>(R to, String why) implements Action<R> {
    }

    /** A star's step is complete: {@code sums[m]} is member m's whole sums, packed ({@link PackedLongs}). */
    record Complete<R>(long step, byte[][] sums) implements Action<R> {
    }

    /**
     * A ring's reporter finished {@code step}: the step's {@code totals} (what the driver needs besides the gradient)
     * and, where asked for, the {@code state} the members hold after it (else empty).
     */
    record Reported<R>(long step, byte[] totals, byte[] state) implements Action<R> {
    }
}

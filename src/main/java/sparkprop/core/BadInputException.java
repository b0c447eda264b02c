package sparkprop.core;

/**
 * Input the user has to fix (an option, a setting, a file that does not fit): the commands print
 * the message alone and exit 2. Any other exception is an internal error (exit 1), so invariants
 * inside the code must not throw this type. It extends IllegalArgumentException so that library
 * callers who catch that keep working.
 */
public class BadInputException extends IllegalArgumentException {
    public BadInputException(String message) {
        super(message);
    }
}

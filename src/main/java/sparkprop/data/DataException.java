package sparkprop.data;

/** Input data that cannot be used: the message names the file and the bad value. */
public class DataException extends RuntimeException {
    public DataException(String message) {
        super(message);
    }

    public DataException(String message, Throwable cause) {
        super(message, cause);
    }
}

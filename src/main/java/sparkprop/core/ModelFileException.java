package sparkprop.core;

/** A model file that cannot be read: the message names the file and what is wrong with it. */
public class ModelFileException extends RuntimeException {
    public ModelFileException(String message) {
        super(message);
    }
}

package sparkprop.storage;

import java.io.IOException;

/**
 * A file could not be written for a reason in the user's environment: no space left, a folder
 * made read-only or removed, a file system's error. Says which file and why, in one line; the file
 * it would have replaced is untouched ({@link Location#write} writes beside it and renames).
 */
public final class CannotWriteException extends IOException {
    public CannotWriteException(String file, Throwable cause) {
        super("cannot write " + file + ": " + reason(cause), cause);
    }

    private static String reason(Throwable cause) {
        // Hadoop's local file system wraps the IOException of a failed write in an FSError, whose message is the cause's.
        Throwable root = cause instanceof org.apache.hadoop.fs.FSError && cause.getCause() != null ? cause.getCause() : cause;
        if (root instanceof java.nio.file.FileSystemException f && f.getReason() != null) return f.getReason();
        String message = root.getMessage();
        return message == null ? root.getClass().getSimpleName() : message.lines().findFirst().orElse("");
    }
}

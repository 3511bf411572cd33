package org.dmd.core.journal;

/**
 * The state directory cannot be used: it is damaged, of a newer format, in use by another dmd,
 * or its replay failed. The message says which, for the operator; dmd refuses to start.
 */
public final class StateDirException extends Exception {

    private static final long serialVersionUID = 1L;

    public StateDirException(String message) {
        super(message);
    }

    public StateDirException(String message, Throwable cause) {
        super(message, cause);
    }
}

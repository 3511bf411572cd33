package org.dmd.daemon;

/** The daemon cannot start; the message says why in words an operator can act on. */
public final class StartupException extends Exception {

    public StartupException(String message) {
        super(message);
    }

    public StartupException(String message, Throwable cause) {
        super(message, cause);
    }
}

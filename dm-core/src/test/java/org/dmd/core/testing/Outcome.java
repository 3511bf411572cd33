package org.dmd.core.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;

/**
 * What a dm command did: its value, or the {@link DmException} it failed with. Any other
 * exception is not an outcome but a bug, and propagates.
 *
 * @param <T> the command's reply type
 */
public final class Outcome<T> {

    /** A command under test. */
    @FunctionalInterface
    public interface Call<T> {
        T call() throws Exception;
    }

    private final T value;
    private final DmException failure;

    private Outcome(T value, DmException failure) {
        this.value = value;
        this.failure = failure;
    }

    /** Runs the call in this thread. */
    public static <T> Outcome<T> of(Call<T> call) {
        try {
            return new Outcome<>(call.call(), null);
        } catch (DmException e) {
            return new Outcome<>(null, e);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("command failed without a DmException", e);
        }
    }

    public static <T> Outcome<T> failed(DmException failure) {
        return new Outcome<>(null, failure);
    }

    public boolean ok() {
        return failure == null;
    }

    /** The reply; fails the test if the command failed. */
    public T value() {
        if (failure != null) {
            throw new AssertionError("expected success, got " + failure, failure);
        }
        return value;
    }

    /** The errno, or null on success. */
    public Errno errno() {
        return failure == null ? null : failure.errno();
    }

    /** The failure's message; fails the test if the command succeeded. */
    public String message() {
        if (failure == null) {
            throw new AssertionError("expected a failure, got " + value);
        }
        return failure.getMessage();
    }

    /** Fails the test unless the command failed with {@code expected} and a message containing {@code fragment}. */
    public void assertFailed(Errno expected, String fragment) {
        assertEquals(expected, errno(), this::toString);
        assertTrue(message().contains(fragment), this::message);
    }

    @Override
    public String toString() {
        return failure == null ? "OK " + value : failure.toString();
    }
}

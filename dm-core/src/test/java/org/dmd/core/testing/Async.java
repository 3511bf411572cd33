package org.dmd.core.testing;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.awaitility.Awaitility;

/**
 * A command running in its own thread, for race tests: start it, let it reach a step or block,
 * then {@link #await()} its {@link Outcome}. Every wait is bounded by {@link StepGate#TIMEOUT}.
 *
 * @param <T> the command's reply type
 */
public final class Async<T> {

    private static final EnumSet<Thread.State> BLOCKED =
            EnumSet.of(Thread.State.WAITING, Thread.State.TIMED_WAITING, Thread.State.BLOCKED);

    private final FutureTask<Outcome<T>> task;
    private final Thread thread;

    private Async(String name, Outcome.Call<T> call) {
        this.task = new FutureTask<>(() -> Outcome.of(call));
        this.thread = new Thread(task, name);
        thread.setDaemon(true);
    }

    /** Starts {@code call} in a new daemon thread called {@code name}. */
    public static <T> Async<T> start(String name, Outcome.Call<T> call) {
        Async<T> async = new Async<>(name, call);
        async.thread.start();
        return async;
    }

    public Thread thread() {
        return thread;
    }

    public boolean isDone() {
        return task.isDone();
    }

    /** The outcome; fails if the command does not finish within the timeout (with its stack). */
    public Outcome<T> await() {
        try {
            return task.get(StepGate.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError(thread.getName() + " did not finish within " + StepGate.TIMEOUT + "; it is at "
                    + Arrays.toString(thread.getStackTrace()));
        } catch (ExecutionException e) {
            throw new AssertionError(thread.getName() + " crashed", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /**
     * Waits until the thread is blocked (waiting, timed-waiting or blocked on a monitor) inside a
     * method called {@code method}: e.g. {@code "awaitRelease"} for a remover waiting for holders.
     */
    public void awaitBlockedIn(String method) {
        Awaitility.await().atMost(StepGate.TIMEOUT).pollInterval(1, TimeUnit.MILLISECONDS)
                .failFast(thread.getName() + " finished instead of blocking in " + method, this::isDone)
                .until(() -> isBlockedIn(method));
    }

    private boolean isBlockedIn(String method) {
        return BLOCKED.contains(thread.getState())
                && Arrays.stream(thread.getStackTrace()).anyMatch(frame -> frame.getMethodName().equals(method));
    }
}

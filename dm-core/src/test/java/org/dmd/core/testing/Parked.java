package org.dmd.core.testing;

/**
 * A command running in its own thread, parked at a step of a {@link StepGate}: the test races it,
 * then {@link #finish()}es it.
 *
 * <pre>{@code
 * Parked<DeviceInfo> rename = Parked.start(gate.park(Step.RENAME_CHECKED, "a"), "rename a",
 *         () -> dm.devRename(TestRequests.rename("a", "c")));
 * // ... the rename has checked its arguments but not taken the index lock: race it ...
 * assertEquals(Errno.EBUSY, rename.finish().errno());
 * }</pre>
 *
 * @param <T> the command's reply type
 */
public final class Parked<T> {

    private final StepGate.Parking parking;
    private final Async<T> command;

    private Parked(StepGate.Parking parking, Async<T> command) {
        this.parking = parking;
        this.command = command;
    }

    /**
     * Starts {@code call} in a new thread called {@code name} and returns once a thread is parked
     * at {@code parking} (armed by the caller for a step only this command reaches first).
     */
    public static <T> Parked<T> start(StepGate.Parking parking, String name, Outcome.Call<T> call) {
        Async<T> command = Async.start(name, call);
        parking.awaitArrival();
        return new Parked<>(parking, command);
    }

    /** The running command, e.g. to check that it has not finished. */
    public Async<T> command() {
        return command;
    }

    /** Releases the command and waits for its outcome. */
    public Outcome<T> finish() {
        parking.release();
        return command.await();
    }
}

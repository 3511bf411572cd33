package org.dmd.core.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.dmd.core.concurrent.LockRank;
import org.dmd.core.concurrent.Step;
import org.dmd.core.concurrent.StepHook;

/**
 * A {@link StepHook} that forces interleavings: a test arms a {@link Parking} for a step and a
 * subject, the first thread to reach that step with that subject parks there, the test waits for
 * it to arrive, lets other threads run, then releases it.
 *
 * <pre>{@code
 * try (StepGate gate = new StepGate()) {
 *     DeviceMapper dm = DeviceMapper.builder().steps(gate).build();
 *     StepGate.Parking published = gate.park(Step.CREATE_PUBLISHED, "a");
 *     Async<DeviceInfo> create = Async.start("create a", () -> dm.devCreate(TestRequests.create("a")));
 *     published.awaitArrival();
 *     // ... the device is in the MinorTable but not in the index: look it up, race it ...
 *     published.release();
 *     create.await().value();
 * }
 * }</pre>
 *
 * <p>A parking may also hold the first several arrivals ({@link #park(Step, Object, int)}), or
 * none and only count them ({@link #watch}); {@link #onReach} runs an action in every arriving
 * thread. An arrival is counted by every parking armed for its step and subject, and parks at the
 * first of them (in arming order) that is not released and has room left.
 *
 * <p>Every wait is bounded by {@link #TIMEOUT}: a test waiting for an arrival that never comes
 * fails with an {@link AssertionError}; a parked thread that is never released goes on after the
 * timeout and the failure is reported by {@link #close()}, so a broken test fails rather than
 * hangs. The gate also records every step reached (a trace) and checks that no lock known to
 * {@link LockRank} is held at a step (the checker runs under {@code -ea}).
 *
 * <p>Thread-safe.
 */
public final class StepGate implements StepHook, AutoCloseable {

    /** The bound on every wait of a race test. */
    public static final Duration TIMEOUT = Duration.ofSeconds(20);

    /** One step reached, by whom. */
    public record Reached(Step step, Object subject, String thread) {
    }

    /** Something to do in the thread that reaches a step. */
    @FunctionalInterface
    public interface Action {
        void run() throws Exception;
    }

    private record OnReach(Step step, Object subject, Action action) {
    }

    /** Every parking ever armed, in arming order. */
    private final List<Parking> parkings = new CopyOnWriteArrayList<>();
    private final List<OnReach> actions = new CopyOnWriteArrayList<>();
    private final Queue<Reached> trace = new ConcurrentLinkedQueue<>();
    private final Queue<String> failures = new ConcurrentLinkedQueue<>();

    /** Parks the next thread that reaches {@code step} with a subject equal to {@code subject}. */
    public Parking park(Step step, Object subject) {
        return park(step, subject, 1);
    }

    /** Parks the next {@code threads} threads that reach {@code step} with {@code subject}. */
    public Parking park(Step step, Object subject, int threads) {
        Parking parking = new Parking(step, subject, threads);
        parkings.add(parking);
        return parking;
    }

    /** Counts the threads that reach {@code step} with {@code subject}, parking none. */
    public Parking watch(Step step, Object subject) {
        return park(step, subject, 0);
    }

    /**
     * Runs {@code action} in every thread that reaches {@code step} with {@code subject}, before it
     * parks. An action that throws fails the arriving thread (an {@link IllegalStateException} for
     * an exception) and the test, at {@link #close()}.
     */
    public void onReach(Step step, Object subject, Action action) {
        actions.add(new OnReach(step, subject, action));
    }

    @Override
    public void reached(Step step, Object subject) {
        trace.add(new Reached(step, subject, Thread.currentThread().getName()));
        try {
            LockRank.noneHeld();
        } catch (AssertionError held) {
            failures.add(step + " reached while holding a lock: " + held.getMessage());
        }
        for (OnReach onReach : actions) {
            if (onReach.step() == step && Objects.equals(onReach.subject(), subject)) {
                run(onReach.action(), step, subject);
            }
        }
        Parking holder = null;
        for (Parking parking : parkings) {
            if (parking.matches(step, subject) && parking.arrive(holder == null)) {
                holder = parking;
            }
        }
        if (holder != null) {
            holder.hold();
        }
    }

    private void run(Action action, Step step, Object subject) {
        try {
            action.run();
        } catch (AssertionError e) {
            failures.add("step action at " + step + " for " + subject + " failed: " + e.getMessage());
            throw e;
        } catch (Exception e) {
            failures.add("step action at " + step + " for " + subject + " failed: " + e);
            throw new IllegalStateException("step action at " + step + " for " + subject + " failed", e);
        }
    }

    /** Every step reached so far, in order of arrival. */
    public List<Reached> trace() {
        return new ArrayList<>(trace);
    }

    /** How many times {@code step} was reached with {@code subject}. */
    public long count(Step step, Object subject) {
        return trace.stream().filter(r -> r.step() == step && Objects.equals(r.subject(), subject)).count();
    }

    /** Releases every parked thread, then fails if a parked thread timed out, a step was reached under a lock or an action failed. */
    @Override
    public void close() {
        parkings.forEach(Parking::release);
        if (!failures.isEmpty()) {
            throw new AssertionError("step gate: " + String.join("; ", failures));
        }
    }

    /** One armed parking place: it parks its first arrivals, up to its room, until released. */
    public final class Parking {
        private final Step step;
        private final Object subject;
        private final int room;
        private final CountDownLatch released = new CountDownLatch(1);
        /** Threads that reached the step since arming (parked or not). Guarded by this. */
        private int arrivals;
        /** Threads parked here so far. Guarded by this. */
        private int parked;
        /** The first thread parked here. Guarded by this. */
        private Thread firstParked;

        private Parking(Step step, Object subject, int room) {
            this.step = step;
            this.subject = subject;
            this.room = room;
        }

        private boolean matches(Step reachedStep, Object reachedSubject) {
            return step == reachedStep && Objects.equals(subject, reachedSubject);
        }

        /** Counts an arrival; if {@code mayPark}, claims it when there is room left. True if claimed. */
        private synchronized boolean arrive(boolean mayPark) {
            arrivals++;
            boolean claimed = mayPark && parked < room && released.getCount() > 0;
            if (claimed) {
                parked++;
                if (firstParked == null) {
                    firstParked = Thread.currentThread();
                }
            }
            notifyAll();
            return claimed;
        }

        /** Runs in the arriving thread: waits (bounded) for release. */
        private void hold() {
            try {
                if (!released.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                    failures.add(this + " was never released; the thread went on after " + TIMEOUT);
                }
            } catch (InterruptedException e) {
                failures.add(this + " was interrupted while parked");
                Thread.currentThread().interrupt();
            }
        }

        /** Waits until a thread has parked here and returns the first one; fails after {@link #TIMEOUT}. */
        public synchronized Thread awaitArrival() {
            awaitUntil(() -> parked > 0, () -> "no thread reached " + this + " within " + TIMEOUT + "; trace: "
                    + trace());
            return firstParked;
        }

        /**
         * Waits until {@code threads} threads have reached the step since this parking was armed,
         * parked here or not; fails after {@link #TIMEOUT}.
         */
        public synchronized void awaitArrivals(int threads) {
            awaitUntil(() -> arrivals >= threads, () -> "only " + arrivals + " of " + threads + " threads reached "
                    + this + " within " + TIMEOUT + "; trace: " + trace());
        }

        /** Waits on this parking's monitor, which the caller holds, until {@code done}. */
        private void awaitUntil(BooleanSupplier done, Supplier<String> failure) {
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            try {
                while (!done.getAsBoolean()) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        throw new AssertionError(failure.get());
                    }
                    TimeUnit.NANOSECONDS.timedWait(this, left);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for " + this, e);
            }
        }

        /** True once a thread has parked here (it may have been released since). */
        public synchronized boolean hasArrived() {
            return parked > 0;
        }

        /** Lets the parked threads go on; later arrivals pass straight through. */
        public void release() {
            released.countDown();
        }

        @Override
        public String toString() {
            return "parking at " + step + " for " + subject;
        }
    }
}

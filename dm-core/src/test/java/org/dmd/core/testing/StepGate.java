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
import java.util.concurrent.atomic.AtomicBoolean;
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
 * <p>Every wait is bounded by {@link #TIMEOUT}: a test waiting for an arrival that never comes
 * fails with an {@link AssertionError}; a parked thread that is never released goes on after the
 * timeout and the failure is reported by {@link #close()}, so a broken test fails rather than
 * hangs. The gate also records every step reached (a trace) and checks that no lock known to
 * {@link LockRank} is held at a step (the checker runs under {@code -ea}).
 *
 * <p>Thread-safe. A parking is one-shot: it parks one thread, once.
 */
public final class StepGate implements StepHook, AutoCloseable {

    /** The bound on every wait of a race test. */
    public static final Duration TIMEOUT = Duration.ofSeconds(20);

    /** One step reached, by whom. */
    public record Reached(Step step, Object subject, String thread) {
    }

    /** Parkings not yet claimed by an arriving thread. */
    private final List<Parking> armed = new CopyOnWriteArrayList<>();
    /** Every parking ever armed, so that close() can release them all. */
    private final List<Parking> all = new CopyOnWriteArrayList<>();
    private final Queue<Reached> trace = new ConcurrentLinkedQueue<>();
    private final Queue<String> failures = new ConcurrentLinkedQueue<>();

    /** Parks the next thread that reaches {@code step} with a subject equal to {@code subject}. */
    public Parking park(Step step, Object subject) {
        Parking parking = new Parking(step, subject);
        all.add(parking);
        armed.add(parking);
        return parking;
    }

    @Override
    public void reached(Step step, Object subject) {
        trace.add(new Reached(step, subject, Thread.currentThread().getName()));
        try {
            LockRank.noneHeld();
        } catch (AssertionError held) {
            failures.add(step + " reached while holding a lock: " + held.getMessage());
        }
        for (Parking parking : armed) {
            if (parking.matches(step, subject) && parking.claimed.compareAndSet(false, true)) {
                armed.remove(parking);
                parking.hold();
                return;
            }
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

    /** Releases every parked thread, then fails if a parked thread timed out or a step was reached under a lock. */
    @Override
    public void close() {
        all.forEach(Parking::release);
        if (!failures.isEmpty()) {
            throw new AssertionError("step gate: " + String.join("; ", failures));
        }
    }

    /** One armed parking place. */
    public final class Parking {
        private final Step step;
        private final Object subject;
        private final AtomicBoolean claimed = new AtomicBoolean();
        private final CountDownLatch arrived = new CountDownLatch(1);
        private final CountDownLatch released = new CountDownLatch(1);
        private volatile Thread parked;

        private Parking(Step step, Object subject) {
            this.step = step;
            this.subject = subject;
        }

        private boolean matches(Step reachedStep, Object reachedSubject) {
            return step == reachedStep && Objects.equals(subject, reachedSubject);
        }

        /** Runs in the arriving thread: signals arrival and waits (bounded) for release. */
        private void hold() {
            parked = Thread.currentThread();
            arrived.countDown();
            try {
                if (!released.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                    failures.add(this + " was never released; the thread went on after " + TIMEOUT);
                }
            } catch (InterruptedException e) {
                failures.add(this + " was interrupted while parked");
                Thread.currentThread().interrupt();
            }
        }

        /** Waits until a thread has parked here and returns it; fails after {@link #TIMEOUT}. */
        public Thread awaitArrival() {
            try {
                if (!arrived.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                    throw new AssertionError("no thread reached " + this + " within " + TIMEOUT + "; trace: "
                            + trace());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for " + this, e);
            }
            return parked;
        }

        /** True once a thread has parked here (it may have been released since). */
        public boolean hasArrived() {
            return arrived.getCount() == 0;
        }

        /** Lets the parked thread go on (or lets the next arrival pass straight through). */
        public void release() {
            armed.remove(this);
            released.countDown();
        }

        @Override
        public String toString() {
            return "parking at " + step + " for " + subject;
        }
    }
}

package org.dmd.core.module;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.dmd.core.concurrent.Step;
import org.dmd.core.concurrent.StepHook;

/**
 * A {@link StepHook} for race tests: records every step reached, parks the first arrivals at
 * armed (step, subject) gates until the test opens them, and runs armed actions in the arriving
 * thread. Thread-safe.
 */
public final class StepGates implements StepHook {

    /** Something to do in the thread that reaches a step. */
    public interface Action {
        void run() throws Exception;
    }

    private static final long SAFETY_TIMEOUT_SECONDS = 20;

    private final List<String> trace = Collections.synchronizedList(new ArrayList<>());
    private final Map<String, Gate> gates = new ConcurrentHashMap<>();
    private final Map<String, Action> actions = new ConcurrentHashMap<>();

    /** Parks the first thread that reaches {@code step} for {@code subject}. */
    public Gate park(Step step, Object subject) {
        return park(step, subject, 1);
    }

    /** Parks the first {@code count} threads that reach {@code step} for {@code subject}. */
    public Gate park(Step step, Object subject, int count) {
        Gate gate = new Gate(count);
        gates.put(key(step, subject), gate);
        return gate;
    }

    /** Runs {@code action} in the thread reaching {@code step} for {@code subject} (each time). */
    public void onReach(Step step, Object subject, Action action) {
        actions.put(key(step, subject), action);
    }

    /** How many times {@code step} was reached for {@code subject}. */
    public int count(Step step, Object subject) {
        String key = key(step, subject);
        synchronized (trace) {
            return (int) trace.stream().filter(key::equals).count();
        }
    }

    /** Every step reached, in order, as "STEP subject". */
    public List<String> trace() {
        synchronized (trace) {
            return List.copyOf(trace);
        }
    }

    /** Opens every gate (test tear-down). */
    public void openAll() {
        gates.values().forEach(Gate::open);
    }

    @Override
    public void reached(Step step, Object subject) {
        String key = key(step, subject);
        trace.add(key);
        Action action = actions.get(key);
        if (action != null) {
            try {
                action.run();
            } catch (Exception e) {
                throw new IllegalStateException("step action at " + key + " failed", e);
            }
        }
        Gate gate = gates.get(key);
        if (gate != null) {
            gate.arrive();
        }
    }

    private static String key(Step step, Object subject) {
        return step + " " + subject;
    }

    /** A gate at one step: parks its first arrivals until opened. */
    public static final class Gate {
        private final int toPark;
        private final CountDownLatch open = new CountDownLatch(1);
        /** Arrivals so far. Guarded by this. */
        private int arrived;

        Gate(int toPark) {
            this.toPark = toPark;
        }

        void arrive() {
            boolean park;
            synchronized (this) {
                park = arrived < toPark;
                arrived++;
                notifyAll();
            }
            if (park) {
                try {
                    if (!open.await(SAFETY_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                        throw new AssertionError("gate never opened");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        /** Waits until {@code n} threads have arrived (parked ones included). */
        public synchronized void awaitArrivals(int n) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(SAFETY_TIMEOUT_SECONDS);
            while (arrived < n) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("only " + arrived + " of " + n + " threads arrived");
                }
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
        }

        /** Waits until the first thread is parked. */
        public void awaitParked() throws InterruptedException {
            awaitArrivals(1);
        }

        public void open() {
            open.countDown();
        }
    }
}

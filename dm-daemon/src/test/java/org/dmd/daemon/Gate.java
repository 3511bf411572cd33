package org.dmd.daemon;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.dmd.core.concurrent.Step;
import org.dmd.core.concurrent.StepHook;

/**
 * Holds every thread that reaches one step for one subject until {@link #open()}: a command
 * stuck on a worker, on demand. A held thread that is interrupted leaves at once and is counted.
 */
final class Gate implements StepHook {

    private final Step step;
    private final Object subject;
    private final CountDownLatch open = new CountDownLatch(1);
    private final AtomicInteger arrived = new AtomicInteger();
    private final AtomicInteger interrupted = new AtomicInteger();

    Gate(Step step, Object subject) {
        this.step = step;
        this.subject = subject;
    }

    @Override
    public void reached(Step reached, Object reachedSubject) {
        if (reached != step || !subject.equals(reachedSubject)) {
            return;
        }
        arrived.incrementAndGet();
        try {
            open.await();
        } catch (InterruptedException e) {
            interrupted.incrementAndGet();
            Thread.currentThread().interrupt();
        }
    }

    int arrived() {
        return arrived.get();
    }

    int interrupted() {
        return interrupted.get();
    }

    void open() {
        open.countDown();
    }
}

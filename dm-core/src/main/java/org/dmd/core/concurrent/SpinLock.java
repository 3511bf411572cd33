package org.dmd.core.concurrent;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A spin lock for critical sections of a few instructions (the kernel's spinlock_t): acquiring
 * is one compare-and-set when free, releasing one release store. A thread that finds it held
 * spins on a plain read, and after {@link #SPINS} turns yields its processor between reads, so
 * that a holder preempted on a busy machine gets to run and release it.
 *
 * <p>Not reentrant, no fairness, no condition queues: hold it only for a few instructions, never
 * across a call that may block, log or allocate much.
 */
public final class SpinLock {

    private static final int SPINS = 128;
    private static final VarHandle HELD;

    static {
        try {
            HELD = MethodHandles.lookup().findVarHandle(SpinLock.class, "held", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** 1 while held. Written by CAS to acquire and by a release store to release. */
    private volatile int held;

    public void lock() {
        if (!HELD.compareAndSet(this, 0, 1)) {
            lockContended();
        }
    }

    private void lockContended() {
        int spins = 0;
        do {
            while (held != 0) {
                if (++spins < SPINS) {
                    Thread.onSpinWait();
                } else {
                    Thread.yield();
                }
            }
        } while (!HELD.compareAndSet(this, 0, 1));
    }

    public void unlock() {
        HELD.setRelease(this, 0);
    }
}

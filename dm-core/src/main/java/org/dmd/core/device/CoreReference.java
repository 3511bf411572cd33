package org.dmd.core.device;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * dm-mod's reference on itself: one per live device (the 2006 dm reference-counting series, patch 07: alloc_dev takes
 * {@code __module_get(THIS_MODULE)}). While any is held the
 * core cannot shut down; once it is going, no device can be created.
 *
 * <p>State: one atomic int; the sign bit means GOING, the low bits count references.
 */
public final class CoreReference {

    private static final int GOING = Integer.MIN_VALUE;

    private final AtomicInteger state = new AtomicInteger();

    /** Takes a reference unless the core is going ({@code try_module_get(THIS_MODULE)}). */
    public boolean tryGet() {
        for (int s = state.get(); s >= 0; s = state.get()) {
            if (state.compareAndSet(s, s + 1)) {
                return true;
            }
        }
        return false;
    }

    public void put() {
        if ((state.decrementAndGet() & ~GOING) == ~GOING) {
            throw new IllegalStateException("dm-mod reference count underflow");
        }
    }

    /** References held, i.e. devices alive. */
    public int count() {
        return state.get() & ~GOING;
    }

    public boolean going() {
        return state.get() < 0;
    }

    /** Marks the core GOING whatever it holds: no new reference can be taken from now on. */
    public void markGoing() {
        state.getAndUpdate(s -> s | GOING);
    }

    /** Marks the core GOING if no reference is held; false if one is. */
    public boolean tryShutdown() {
        return state.compareAndSet(0, GOING);
    }
}

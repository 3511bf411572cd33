package org.dmd.core.device;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.dmd.core.concurrent.LockRank;
import org.dmd.core.errno.DmException;

/**
 * A device's event number and the DEV_WAIT waiters parked on it (dm.c: dm_get_event_nr, dm_wait_event, event_callback; dm-ioctl.c: dev_wait).
 *
 * <p>The event number (u32, wrapping) only moves on a table event of the live table. Waiters are
 * futures completed outside the monitor; a waiter that is cancelled stays in the list until the
 * next event and is then dropped.
 */
final class DeviceEvents {

    private static final long U32 = 0xFFFF_FFFFL;

    /** The global counter every table event also advances (armed by DEV_ARM_POLL). */
    private final AtomicLong globalEvents;
    /** Written under {@code this}; volatile for status reads. */
    private volatile long eventNr;
    /** Guarded by {@code this}; null while nobody waits, to keep idle devices small. */
    private List<CompletableFuture<Void>> waiters;
    /** Set once, under {@code this}, when the device is removed: later waits fail with it. */
    private DmException gone;

    DeviceEvents(AtomicLong globalEvents) {
        this.globalEvents = globalEvents;
    }

    long eventNr() {
        return eventNr;
    }

    /** Sets the event number a replayed device had (the state journal's replay; nobody waits yet). */
    void restore(long value) {
        synchronized (this) {
            assert LockRank.EVENT_WAITERS.acquired();
            eventNr = value & U32;
            assert LockRank.EVENT_WAITERS.released();
        }
    }

    /** A table event of the live table: next event number, waiters woken, global counter advanced. */
    void raise() {
        List<CompletableFuture<Void>> woken;
        synchronized (this) {
            assert LockRank.EVENT_WAITERS.acquired();
            eventNr = (eventNr + 1) & U32;
            woken = waiters;
            waiters = null;
            assert LockRank.EVENT_WAITERS.released();
        }
        globalEvents.incrementAndGet();
        if (woken != null) {
            woken.forEach(waiter -> waiter.complete(null));
        }
    }

    /** Completes when the event number differs from {@code seen}; at once if it already does. */
    CompletableFuture<Void> awaitChange(long seen) {
        CompletableFuture<Void> waiter = new CompletableFuture<>();
        boolean parked;
        DmException failure;
        synchronized (this) {
            assert LockRank.EVENT_WAITERS.acquired();
            failure = gone;
            parked = eventNr == (seen & U32) && failure == null;
            if (parked) {
                if (waiters == null) {
                    waiters = new ArrayList<>(2);
                } else {
                    waiters.removeIf(CompletableFuture::isDone);
                }
                waiters.add(waiter);
            }
            assert LockRank.EVENT_WAITERS.released();
        }
        if (failure != null && eventNr == (seen & U32)) {
            waiter.completeExceptionally(failure);
        } else if (!parked) {
            waiter.complete(null);
        }
        return waiter;
    }

    /**
     * The device is gone: fails every waiter still parked (a device without a live table raises
     * no event at removal) and every later wait for an unchanged event number.
     */
    void failWaiters(DmException reason) {
        List<CompletableFuture<Void>> failed;
        synchronized (this) {
            assert LockRank.EVENT_WAITERS.acquired();
            gone = reason;
            failed = waiters;
            waiters = null;
            assert LockRank.EVENT_WAITERS.released();
        }
        if (failed != null) {
            failed.forEach(waiter -> waiter.completeExceptionally(reason));
        }
    }
}

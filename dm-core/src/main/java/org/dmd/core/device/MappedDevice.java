package org.dmd.core.device;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.dmd.core.concurrent.LockRank;
import org.dmd.core.concurrent.Step;
import org.dmd.core.concurrent.StepHook;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.dmd.core.io.Bio;
import org.dmd.core.minor.DeviceNumber;
import org.dmd.core.minor.MinorTable;
import org.dmd.core.table.DeviceType;
import org.dmd.core.table.Table;
import org.dmd.core.target.TargetType;

/**
 * A mapped device ({@code struct mapped_device}): its minor, counters and gate flags (managed by
 * the {@link MinorTable}), its live table, suspend state, event number and the block device it
 * registers at its first table load.
 *
 * <p>Locks (see {@link LockRank}): {@code typeLock} serialises the type checks and first-load disk
 * registration of table loads; {@code suspendLock} serialises suspend, resume, table swap and
 * teardown. Neither is ever held while the index lock is taken by the same thread in the other
 * order, and neither is held across a wait for another thread.
 *
 * <p>Invariants: the live table changes only under {@code suspendLock} and only while suspended
 * (swap) or at teardown; {@code type} and {@code diskAdded} change once, together, under
 * {@code typeLock}; a block uevent is emitted only once the disk is added.
 *
 * <p>Suspend blocks new I/O and waits for the I/O in flight to drain with {@code suspendLock}
 * released ({@link BioPath}): meanwhile {@code suspending} is set, and other suspends and resumes
 * wait for it (on the future, holding no lock) before they go on, as they would wait for the
 * kernel's {@code suspend_lock}. I/O never takes {@code suspendLock}.
 */
public final class MappedDevice extends MinorTable.Entry {

    /** Cylinders, heads, sectors per track and start sector, as DEV_SET_GEOMETRY sets them. */
    public record Geometry(int cylinders, int heads, int sectors, long start) {
    }

    private final DeviceNumber number;
    private final DeviceEvents events;
    private final ReentrantLock typeLock = new ReentrantLock();
    private final ReentrantLock suspendLock = new ReentrantLock();

    /** Written under suspendLock; read without a lock (readers enter the table's reader guard). */
    private volatile Table live;
    /** Written under suspendLock. */
    private volatile boolean suspended;
    /** The suspend draining now, or null. Guarded by suspendLock. */
    private CompletableFuture<Void> suspending;
    private final StepHook steps;
    private final BioPath bios;
    /** Written under suspendLock, at swap: the disk is read-only iff the live table is. */
    private volatile boolean readOnly;
    /** Written under suspendLock, at swap ({@code md->immutable_target_type}). */
    private volatile TargetType immutableType;
    /** Written under typeLock, once. */
    private volatile DeviceType type = DeviceType.NONE;
    /** Written under typeLock, once: the block device dm-N exists. */
    private volatile boolean diskAdded;
    /** Reset when the size changes; written by DEV_SET_GEOMETRY and at swap. */
    private volatile Geometry geometry;

    /** The hash cell naming this device; guarded by the {@link DeviceIndex} lock. */
    HashCell cell;

    MappedDevice(int minor, int major, AtomicLong globalEvents, Executor kdmflush, StepHook steps) {
        super(minor);
        this.number = new DeviceNumber(major, minor);
        this.events = new DeviceEvents(globalEvents);
        this.steps = steps;
        this.bios = new BioPath(this, kdmflush, steps);
    }

    public DeviceNumber number() {
        return number;
    }

    /** The block device's kernel name, {@code dm-N}. */
    public String diskName() {
        return "dm-" + minor();
    }

    public Table liveTable() {
        return live;
    }

    /** The live table with a reader admitted ({@link Table#exitReader()} when done); null if none. */
    public Table enterLiveTable() {
        for (Table table = live; table != null; table = live) {
            if (table.enterReader()) {
                return table;
            }
            // Destruction began: the table was swapped out or torn down, so live has moved on.
        }
        return null;
    }

    /** Size in sectors: the live table's, 0 without one. */
    public long sectors() {
        Table table = live;
        return table == null ? 0 : table.sectors();
    }

    public boolean suspended() {
        return suspended;
    }

    public boolean readOnly() {
        return readOnly;
    }

    public boolean diskAdded() {
        return diskAdded;
    }

    public DeviceType type() {
        return type;
    }

    public long eventNr() {
        return events.eventNr();
    }

    /** Sets the event number this device had before a restart (the state journal's replay). */
    public void restoreEventNr(long eventNr) {
        events.restore(eventNr);
    }

    public Geometry geometry() {
        return geometry;
    }

    public void setGeometry(Geometry geometry) {
        this.geometry = geometry;
    }

    // ------------------------------------------------------------------ table loads (type lock)

    /**
     * The checks a table load makes under the type lock, and the first load's disk registration:
     * an immutable live type may only be replaced by the same type or a wildcard; the device's
     * queue type never changes after the first load (a table of hybrid targets takes it on).
     *
     * @return true if this load registered the disk (the caller emits ADD)
     */
    public boolean admitLoad(Table table) throws DmException {
        typeLock.lock();
        assert LockRank.DEVICE_TYPE.acquired();
        try {
            TargetType immutable = immutableType;
            if (immutable != null && immutable != table.immutableType() && !table.hasWildcard()) {
                throw new DmException(Errno.EINVAL, "can't replace immutable target type %s", immutable.name());
            }
            DeviceType wanted = table.typeOn(type);
            if (type == DeviceType.NONE) {
                type = wanted;
                diskAdded = true;
                return true;
            }
            if (type != wanted) {
                throw new DmException(Errno.EINVAL, "can't change device type (from %s to %s) after initial table load",
                        describe(type), describe(wanted));
            }
            return false;
        } finally {
            assert LockRank.DEVICE_TYPE.released();
            typeLock.unlock();
        }
    }

    private static String describe(DeviceType type) {
        return type == DeviceType.REQUEST_BASED ? "request-based" : "bio-based";
    }

    // ------------------------------------------------------------------ suspend, swap, resume

    /**
     * {@code dm_suspend}: already suspended is success. Runs the targets' presuspend, blocks new
     * I/O (it waits on the deferred list), waits for the I/O in flight to finish, then is
     * suspended and runs postsuspend. With {@code noflush}, I/O a target pushes back meanwhile is
     * requeued instead of failed ({@code DMF_NOFLUSH_SUSPENDING}). An interrupted drain undoes the
     * block (the deferred I/O is replayed) and fails with EINTR, as the kernel's does.
     */
    public void suspend(boolean noflush) throws DmException {
        CompletableFuture<Void> mine = new CompletableFuture<>();
        while (true) {
            CompletableFuture<Void> other;
            suspendLock.lock();
            assert LockRank.DEVICE_SUSPEND.acquired();
            try {
                if (suspended) {
                    return;
                }
                other = suspending;
                if (other == null) {
                    suspending = mine;
                    bios.noflushSuspending(noflush);
                    Table table = live;
                    if (table != null) {
                        table.lines().forEach(line -> line.target().presuspend());
                    }
                    bios.block();
                }
            } finally {
                assert LockRank.DEVICE_SUSPEND.released();
                suspendLock.unlock();
            }
            if (other == null) {
                break;
            }
            other.join();
        }
        steps.reached(Step.SUSPEND_DRAINING, diskName());
        boolean drained = bios.awaitDrained();
        suspendLock.lock();
        assert LockRank.DEVICE_SUSPEND.acquired();
        try {
            suspending = null;
            bios.noflushSuspending(false);
            if (drained) {
                suspended = true;
                Table table = live;
                if (table != null) {
                    table.lines().forEach(line -> line.target().postsuspend());
                }
            }
        } finally {
            assert LockRank.DEVICE_SUSPEND.released();
            suspendLock.unlock();
        }
        if (!drained) {
            bios.unblock();
        }
        mine.complete(null);
        if (!drained) {
            throw new DmException(Errno.EINTR, "suspend of %s was interrupted while its I/O drained", diskName());
        }
    }

    /** Waits (holding no lock) for a suspend that is draining, if any. */
    private void awaitSuspending() {
        while (true) {
            CompletableFuture<Void> other;
            suspendLock.lock();
            assert LockRank.DEVICE_SUSPEND.acquired();
            try {
                other = suspending;
            } finally {
                assert LockRank.DEVICE_SUSPEND.released();
                suspendLock.unlock();
            }
            if (other == null) {
                return;
            }
            other.join();
        }
    }

    /**
     * {@code dm_swap_table}: makes {@code next} live on a suspended device and returns the table
     * it replaced (for the caller to destroy). EINVAL if the device is not suspended.
     */
    public Table swap(Table next) throws DmException {
        suspendLock.lock();
        assert LockRank.DEVICE_SUSPEND.acquired();
        try {
            if (!suspended) {
                throw new DmException(Errno.EINVAL, "can't swap the table of %s: it is not suspended", diskName());
            }
            Table previous = live;
            if (previous != null) {
                previous.bindEvents(null);
                if (previous.sectors() != next.sectors()) {
                    geometry = null;
                }
            }
            next.bindEvents(events::raise);
            live = next;
            readOnly = next.readOnly();
            immutableType = next.immutableType();
            return previous;
        } finally {
            assert LockRank.DEVICE_SUSPEND.released();
            suspendLock.unlock();
        }
    }

    /**
     * {@code dm_resume}: false if the device was not suspended (a no-op); EINVAL if it has no live
     * table or an empty one; a target's pre-resume failure keeps it suspended.
     */
    public boolean resume() throws DmException {
        awaitSuspending();
        boolean resumed;
        suspendLock.lock();
        assert LockRank.DEVICE_SUSPEND.acquired();
        try {
            if (!suspended) {
                return false;
            }
            Table table = live;
            if (table == null || table.sectors() == 0) {
                throw new DmException(Errno.EINVAL, "can't resume %s: it has no live table", diskName());
            }
            for (Table.Line line : table.lines()) {
                line.target().preresume();
            }
            suspended = false;
            resumed = true;
        } finally {
            assert LockRank.DEVICE_SUSPEND.released();
            suspendLock.unlock();
        }
        bios.unblock();
        return resumed;
    }

    /**
     * Suspends without draining and takes the live table out for destruction: the end of a device
     * ({@code __dm_destroy}). The bios waiting on it fail with EIO, as do bios submitted later, and
     * then {@link #gone()} completes. No suspend is draining: every command holds a reference, and
     * destruction waited for the last one.
     */
    Table teardown() {
        Table table;
        suspendLock.lock();
        assert LockRank.DEVICE_SUSPEND.acquired();
        try {
            table = live;
            if (!suspended) {
                if (table != null) {
                    table.lines().forEach(line -> line.target().presuspend());
                }
                bios.block();
                suspended = true;
                if (table != null) {
                    table.lines().forEach(line -> line.target().postsuspend());
                }
            }
            live = null;
            if (table != null) {
                table.bindEvents(null);
            }
        } finally {
            assert LockRank.DEVICE_SUSPEND.released();
            suspendLock.unlock();
        }
        bios.kill();
        return table;
    }

    // ------------------------------------------------------------------ I/O

    /** Submits a bio addressed to this device's sectors to its bio path (see {@link BioPath}). */
    public void submit(Bio bio) {
        bios.submit(bio);
    }

    /** Completes once the device is destroyed, after every bio waiting on it has failed. */
    public CompletableFuture<Void> gone() {
        return bios.gone().copy();
    }

    /** Requests in flight now. */
    public long inFlight() {
        return bios.inFlight();
    }

    /** Bios waiting on the deferred list now (while suspended). */
    public int deferredBios() {
        return bios.deferredCount();
    }

    // ------------------------------------------------------------------ events

    /** A table event raised by device-mapper core itself (rename, remove): only if a table is live. */
    public void raiseTableEvent() {
        Table table = live;
        if (table != null) {
            table.raiseEvent();
        }
    }

    public CompletableFuture<Void> awaitEvent(long seen) {
        return events.awaitChange(seen);
    }

    void failWaiters(DmException reason) {
        events.failWaiters(reason);
    }

    @Override
    public String toString() {
        return diskName() + " (" + number + ")";
    }
}

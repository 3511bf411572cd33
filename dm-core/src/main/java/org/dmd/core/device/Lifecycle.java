package org.dmd.core.device;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.dmd.core.concurrent.LockRank;
import org.dmd.core.concurrent.Step;
import org.dmd.core.concurrent.StepHook;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.dmd.core.event.EventBus;
import org.dmd.core.event.KernelMessage;
import org.dmd.core.event.UdevCookies;
import org.dmd.core.event.UeventAction;
import org.dmd.core.minor.MinorTable;
import org.dmd.core.table.Table;

/**
 * Creation and destruction of mapped devices (the lifecycle half of {@code dm.c}), in the order
 * of {@code dm-ioctl.c: dev_create}, {@code dm.c: alloc_dev} and {@code dm-ioctl.c: dev_remove},
 * {@code dm.c: __dm_destroy}.
 *
 * <p>Create: reserve the minor (placeholder) → build the device → publish it in the MinorTable →
 * hash its name and uuid (EBUSY: the new device is destroyed and its minor freed before the
 * error returns) → visible. No block device and no uevent exist until the first table load.
 *
 * <p>Destroy, after the device was unhashed: wake or fail its waiters, destroy its staged table,
 * drop the remover's reference, wait until the last holder has dropped its own (the last put
 * marks the device FREEING and puts the placeholder back), tear down the live table, emit REMOVE,
 * and only then free the minor and the dm-mod reference. A minor is never reused while its old
 * device is going away.
 *
 * <p>How long destroy waits: until the holders are gone, without bound, like the kernel. Every
 * holder in dmd is a command in progress (lookups), an open (refused once DELETING is set) or a
 * DEV_WAIT waiter (woken by the removal itself), so the wait ends when in-flight commands finish.
 * That needs commands never to wait for a removal themselves while they hold a reference: a
 * table is released inside commands (a load's displaced or failed table, a resume's old table,
 * a clear) and inside removals, so a deferred removal made due by a table's release runs on the
 * deferred-remove worker, as the kernel queues it, never in the releasing thread.
 * If it lasts longer than {@link #HOLDER_WARNING_INTERVAL}, a kernel warning names the device and
 * the holders left, and is repeated at that interval. The wait ignores interrupts (the device is
 * already unreachable; abandoning its teardown would leak its minor) and restores the interrupt
 * status afterwards.
 */
public final class Lifecycle {

    static final Duration HOLDER_WARNING_INTERVAL = Duration.ofSeconds(5);

    private final MinorTable<MappedDevice> minors;
    private final DeviceIndex index;
    private final CoreReference core;
    private final EventBus events;
    private final UdevCookies cookies;
    private final StepHook steps;
    private final AtomicLong globalEvents;
    private final int major;
    /**
     * {@code deferred_remove_workqueue}: one thread, started on demand and gone when idle, running
     * the deferred removals that tables' releases make due, in order.
     */
    private final ExecutorService deferredRemovals = new ThreadPoolExecutor(0, 1, 1, TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(), task -> {
                Thread thread = new Thread(task, "dm-deferred-remove");
                thread.setDaemon(true);
                return thread;
            });
    /**
     * {@code kdmflush}: replays the bios deferred while a device was suspended, off the resuming
     * command's thread; a few threads, started on demand and gone when idle.
     */
    private final ThreadPoolExecutor kdmflush = new ThreadPoolExecutor(4, 4, 1, TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(), task -> {
                Thread thread = new Thread(task, "kdmflush");
                thread.setDaemon(true);
                return thread;
            });
    /** Guards {@link #deferredPending}; notified when it drops to zero. */
    private final Object deferredLock = new Object();
    /** Deferred removals queued or running. Guarded by {@link #deferredLock}. */
    private int deferredPending;

    public Lifecycle(MinorTable<MappedDevice> minors, DeviceIndex index, CoreReference core, EventBus events,
                     UdevCookies cookies, StepHook steps, AtomicLong globalEvents, int major) {
        this.minors = minors;
        this.index = index;
        this.core = core;
        this.events = events;
        this.cookies = cookies;
        this.steps = steps;
        this.globalEvents = globalEvents;
        this.major = major;
        kdmflush.allowCoreThreadTimeOut(true);
    }

    /**
     * {@code dm_create} + {@code dm_hash_insert}. Allocation failures (dm-mod going, requested
     * minor taken or out of range, no minor left) surface as ENXIO like the kernel's, with the
     * real reason in the message; a name or uuid in use gives EBUSY.
     *
     * @param requestedMinor a minor, or -1 for the lowest free one
     * @return the creator's reference on the new, visible device
     */
    public DeviceRef create(String name, String uuid, int requestedMinor) throws DmException {
        if (!core.tryGet()) {
            throw new DmException(Errno.ENXIO, "cannot create %s: the device-mapper core is shutting down", name);
        }
        int minor;
        try {
            if (requestedMinor < 0) {
                minor = minors.reserveAny();
            } else {
                minors.reserve(requestedMinor);
                minor = requestedMinor;
            }
        } catch (DmException e) {
            core.put();
            throw new DmException(Errno.ENXIO, "cannot allocate a minor for %s: %s (%s)", name, e.getMessage(),
                    e.errno());
        }
        steps.reached(Step.CREATE_MINOR_RESERVED, minor);
        MappedDevice device = new MappedDevice(minor, major, globalEvents, kdmflush, steps);
        minors.publish(device);
        steps.reached(Step.CREATE_PUBLISHED, name);
        try {
            index.insert(device, name, uuid);
        } catch (DmException taken) {
            free(device);
            throw taken;
        }
        steps.reached(Step.CREATE_HASHED, name);
        return new DeviceRef(minors, device, name, uuid, null);
    }

    /**
     * DM_DEV_REMOVE: EBUSY if open (or, with {@code deferred}, marked for removal on last close:
     * then null is returned). Otherwise the device is gone when this returns.
     *
     * @return the removed device's name and uuid, and whether a REMOVE uevent was emitted
     */
    public Removal remove(String name, String uuid, String dev, boolean deferred, long cookie) throws DmException {
        steps.reached(Step.REMOVE_FOUND, name != null ? name : dev);
        DeviceIndex.Unhashed unhashed = index.unhash(name, uuid, dev, deferred);
        if (unhashed == null) {
            return null;
        }
        return destroy(unhashed, cookie);
    }

    /** What a removal reports. */
    public record Removal(String name, String uuid, boolean ueventGenerated) {
    }

    /**
     * DM_REMOVE_ALL ({@code dm_hash_remove_all}): removes devices in name order, restarting from
     * the first name after every removal (devices may hold each other open, and devices created
     * meanwhile are removed too), until a full walk removes nothing; then waits for the deferred
     * removals in flight, so that every removable device is gone when it returns.
     */
    public RemoveAllResult removeAll(DeviceIndex.RemoveAllMode mode) {
        List<String> removed = new ArrayList<>();
        int[] skipped = {0};
        for (DeviceIndex.Unhashed unhashed; (unhashed = index.unhashFirstRemovable(mode, skipped)) != null; ) {
            removed.add(destroy(unhashed, 0).name());
            steps.reached(Step.REMOVE_ALL_RESTART, removed.size());
        }
        awaitDeferredRemovals();
        if (skipped[0] > 0 && !mode.onlyDeferred()) {
            events.log(KernelMessage.Level.WARNING, "device-mapper: ioctl: remove_all left " + skipped[0]
                    + " open device(s)");
        }
        return new RemoveAllResult(removed, skipped[0]);
    }

    /** Names removed, in removal order, and the number of devices left because they are open. */
    public record RemoveAllResult(List<String> removed, int leftOpen) {
    }

    /** Opens the block device of a device found by a lookup ({@code dm_blk_open}); ENXIO if it is going. */
    public OpenDevice open(DeviceRef ref) throws DmException {
        return new OpenDevice(this, minors.open(ref.device().minor()));
    }

    /**
     * {@code dm_blk_close} of a block-device open: the last close of a device marked for deferred
     * removal removes that device, in this thread, before returning (unless it was opened again or
     * the mark cancelled meanwhile). Only that device: every marked device is removed by its own
     * last close, so the kernel worker's sweep of all marked, unopened devices finds nothing else.
     */
    public void close(MappedDevice device) {
        if (minors.close(device)) {
            removeDeferred(device);
        }
    }

    /**
     * The close of a device a table held open: as {@link #close}, but a deferred removal it makes
     * due is queued to the deferred-remove worker, as the kernel does for every close. The table
     * is being released inside a command that holds a reference on its own device, or inside a
     * removal; removing here would wait for the device's holders, and they may be commands
     * waiting for this very thread: removals of devices pinned by each other's references.
     */
    public void closeFromTable(MappedDevice device) {
        if (minors.close(device)) {
            synchronized (deferredLock) {
                deferredPending++;
            }
            deferredRemovals.execute(() -> {
                try {
                    removeDeferred(device);
                } finally {
                    synchronized (deferredLock) {
                        if (--deferredPending == 0) {
                            deferredLock.notifyAll();
                        }
                    }
                }
            });
        }
    }

    private void removeDeferred(MappedDevice device) {
        steps.reached(Step.CLOSE_DEFERRED_REMOVE, device.minor());
        DeviceIndex.Unhashed unhashed = index.unhashDeferred(device);
        if (unhashed != null) {
            destroy(unhashed, 0);
        }
    }

    /**
     * Waits until no deferred removal is queued or running (those a running one makes due
     * included). Called with no reference held: the removals only wait for commands in progress.
     */
    private void awaitDeferredRemovals() {
        assert LockRank.noneHeld();
        boolean interrupted = false;
        synchronized (deferredLock) {
            while (deferredPending > 0) {
                try {
                    deferredLock.wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    // ------------------------------------------------------------------ destruction

    /** Finishes a removal after unhash ({@code dev_remove} steps 3–6 and {@code dm_destroy}). */
    private Removal destroy(DeviceIndex.Unhashed unhashed, long cookie) {
        DeviceRef ref = unhashed.ref();
        MappedDevice device = ref.device();
        device.raiseTableEvent();
        device.failWaiters(new DmException(Errno.ENXIO, "device %s was removed while waiting for an event",
                ref.name()));
        if (unhashed.inactive() != null) {
            unhashed.inactive().destroy();
        }
        steps.reached(Step.REMOVE_UNHASHED, ref.name());
        ref.close();
        awaitRelease(device, ref.name());
        Table live = device.teardown();
        if (live != null) {
            live.destroy();
        }
        boolean uevent = device.diskAdded();
        if (uevent) {
            emitUevent(device, UeventAction.REMOVE, ref.name(), ref.uuid(), cookie, false);
        }
        minors.release(device.minor());
        core.put();
        return new Removal(ref.name(), ref.uuid(), uevent);
    }

    /** Frees a device that never became visible: its creation reference is the only one. */
    private void free(MappedDevice device) {
        minors.put(device);
        awaitRelease(device, device.diskName());
        minors.release(device.minor());
        core.put();
    }

    private void awaitRelease(MappedDevice device, String name) {
        assert LockRank.noneHeld();
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    if (minors.awaitRelease(device, HOLDER_WARNING_INTERVAL.toMillis(), TimeUnit.MILLISECONDS)) {
                        return;
                    }
                    events.log(KernelMessage.Level.WARNING, "device-mapper: " + name + " (" + device.number()
                            + "): still waiting for " + device.holders() + " holder(s) before it can be freed");
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Emits a block uevent for a device whose disk exists, with the caller's cookie. */
    public void emitUevent(MappedDevice device, UeventAction action, String name, String uuid, long cookie,
                    boolean resize) {
        Map<String, String> env = new HashMap<>();
        env.put("DEVNAME", device.diskName());
        env.put("DEVTYPE", "disk");
        env.put("MAJOR", Integer.toString(device.number().major()));
        env.put("MINOR", Integer.toString(device.number().minor()));
        if (name != null) {
            env.put("DM_NAME", name);
        }
        if (uuid != null) {
            env.put("DM_UUID", uuid);
        }
        long held = cookies.hold(cookie);
        if (held != 0) {
            env.put("DM_COOKIE", Long.toString(held));
        }
        if (resize) {
            env.put("RESIZE", "1");
        }
        events.uevent(action, "block", "/devices/virtual/block/" + device.diskName(), env);
    }

    /**
     * Shuts the core down ({@code rmmod dm_mod}): EBUSY while any device exists, unless forced.
     * Forced, it stops new creates, runs {@code closeOpens} (which must close every block-device
     * open it knows of), removes every device, and returns their names in removal order.
     */
    public List<String> shutdown(boolean force, Runnable closeOpens) throws DmException {
        if (!force) {
            if (!core.tryShutdown()) {
                int devices = core.count();
                throw new DmException(Errno.EBUSY, "device-mapper is in use by %d device%s (remove them, or force)",
                        devices, devices == 1 ? "" : "s");
            }
            return List.of();
        }
        core.markGoing();
        closeOpens.run();
        List<String> destroyed = new ArrayList<>(removeAll(new DeviceIndex.RemoveAllMode(true, false, false)).removed());
        if (core.count() != 0) {
            throw new DmException(Errno.EBUSY, "forced shutdown removed %d device(s) but %d are still open "
                    + "(opened again while shutting down)", destroyed.size(), core.count());
        }
        events.log(KernelMessage.Level.INFO, "device-mapper: shut down, destroying " + destroyed.size()
                + " device(s)" + (destroyed.isEmpty() ? "" : ": " + String.join(", ", destroyed)));
        return destroyed;
    }
}

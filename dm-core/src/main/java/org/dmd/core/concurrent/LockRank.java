package org.dmd.core.concurrent;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * dmd's lock order, written down once. A thread may only acquire a lock whose rank is greater
 * than the rank of every lock it already holds; re-entering the same rank is allowed for
 * per-device locks of different devices only where noted.
 *
 * <pre>
 *   MODULE_LOADER (module_mutex)     outermost: never held across init(), waits or request_module
 *   DEVICE_TYPE   (per device type_lock: table loads, first-load disk setup)
 *   DEVICE_SUSPEND(per device suspend_lock: suspend, resume, table swap)
 *   BIO_DEFERRED  (per device: its deferred bios and BLOCK_IO flags; never held while a bio is
 *                  mapped, submitted or ended)
 *   INDEX         (the name/uuid hash cells, a read/write lock: _hash_lock)
 *   TABLE_DEVICES (the graph of devices opened by tables: table_devices_lock)
 *   REGISTRY      (one type registry's list)
 *   LOOP          (the loop-device list)
 *   EVENT_WAITERS (a device's event waiters)
 *   MINOR_ALLOCATION (the MinorTable's chunks and bitmaps: half of _minor_lock)
 *   MINOR_SLOT    (one stripe of MinorTable slots: the other half of _minor_lock; innermost,
 *                  held for a few instructions)
 * </pre>
 *
 * The checker runs only with assertions enabled (tests): call sites write
 * {@code assert LockRank.INDEX.acquired();} after locking and {@code assert LockRank.INDEX.released();}
 * before unlocking. A violation throws {@link AssertionError} naming both locks.
 */
public enum LockRank {
    MODULE_LOADER,
    DEVICE_TYPE,
    DEVICE_SUSPEND,
    BIO_DEFERRED,
    INDEX,
    TABLE_DEVICES,
    REGISTRY,
    LOOP,
    EVENT_WAITERS,
    MINOR_ALLOCATION,
    MINOR_SLOT;

    private static final ThreadLocal<Deque<LockRank>> HELD = ThreadLocal.withInitial(ArrayDeque::new);

    /** Records that the current thread now holds a lock of this rank; fails if out of order. */
    public boolean acquired() {
        Deque<LockRank> held = HELD.get();
        LockRank innermost = held.peek();
        if (innermost != null && innermost.compareTo(this) >= 0) {
            throw new AssertionError("lock order violated: acquiring " + this + " while holding " + innermost
                    + " (order: " + java.util.Arrays.toString(values()) + ")");
        }
        held.push(this);
        return true;
    }

    /** Records that the current thread released its innermost lock, which must be of this rank. */
    public boolean released() {
        LockRank innermost = HELD.get().poll();
        if (innermost != this) {
            throw new AssertionError("releasing " + this + " but the innermost lock held is " + innermost);
        }
        return true;
    }

    /** True if the current thread holds no lock known to the checker (used before waits and callouts). */
    public static boolean noneHeld() {
        Deque<LockRank> held = HELD.get();
        if (!held.isEmpty()) {
            throw new AssertionError("must not wait or call out while holding " + held);
        }
        return true;
    }
}

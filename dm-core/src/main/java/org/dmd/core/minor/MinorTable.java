package org.dmd.core.minor;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.dmd.core.concurrent.LockRank;
import org.dmd.core.concurrent.SpinLock;
import org.dmd.core.concurrent.Step;
import org.dmd.core.concurrent.StepHook;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;

/**
 * The minor-number table: the IDR of {@code drivers/md/dm.c} with the protocol of the 2006 race
 * series (seed 002). A slot is free, holds the {@code RESERVED} placeholder, or holds a published
 * {@link Entry}.
 *
 * <p>Invariants:
 * <ul>
 * <li>A minor is allocated iff its slot is not free. "Any minor" takes the lowest free one.</li>
 * <li>{@link #reserve} puts the placeholder in; {@link #publish} replaces it with the fully built
 *     entry as the last step of construction. Every lookup treats the placeholder as "no device".</li>
 * <li>Lookups ({@link #get(int)}, {@link #open}) take their holder reference while holding the
 *     guard, and never return an entry that is FREEING or DELETING.</li>
 * <li>The last {@link #put} (dec-and-lock) marks the entry FREEING and puts the placeholder back
 *     under the guard, so no lookup can revive it. The minor stays allocated until {@link #release},
 *     which the destroyer calls after {@link #awaitRelease}: a minor is never reused while its old
 *     device is still going away.</li>
 * </ul>
 *
 * <p>Concurrency: one guard (this table's {@link SpinLock}, rank {@link LockRank#MINOR}, the
 * innermost lock of dmd) protects the slots, the allocation bitmaps, and every entry's open count
 * and gate flags. It is held for a few instructions: nothing under it blocks, logs, builds an
 * exception or calls out. A spin lock rather than a monitor, as in the kernel: for sections this
 * short, a compare-and-set to enter and a release store to leave cost less than a monitor's two
 * compare-and-sets, and contending threads spin instead of inflating the monitor and parking.
 * Holder counts are atomic and may drop without the guard while they stay above one.
 *
 * <p>Layout: a two-level radix of 1,024 chunks of 1,024 minors. A chunk (slots plus a 16-word
 * bitmap) exists only while one of its minors is allocated; a 16-word summary marks the full
 * chunks. The lowest free minor is found by scanning at most 16 summary words and 16 chunk words,
 * whatever the number of minors in use; memory grows with the chunks in use (plus one spare).
 */
public final class MinorTable<E extends MinorTable.Entry> {

    /** Minors 0 .. 2^20-1. */
    public static final int MINORS = DeviceNumber.MAX_MINOR + 1;

    private static final int CHUNK_BITS = 10;
    private static final int CHUNK_SIZE = 1 << CHUNK_BITS;
    private static final int CHUNKS = MINORS / CHUNK_SIZE;
    private static final int WORDS_PER_CHUNK = CHUNK_SIZE / Long.SIZE;

    private static final Object RESERVED = new Object() {
        @Override
        public String toString() {
            return "RESERVED";
        }
    };

    /** Outcomes decided under the guard; the exceptions are built after it is released. */
    private enum Outcome { OK, ABSENT, GONE, BUSY, NOT_DEFERRED }

    private final SpinLock guard = new SpinLock();
    private final StepHook steps;

    /** Guarded by {@code guard}. */
    private final Chunk[] chunks = new Chunk[CHUNKS];
    /** Bit c set iff chunk c exists and all its minors are allocated. Guarded by {@code guard}. */
    private final long[] fullChunks = new long[CHUNKS / Long.SIZE];
    /** Number of allocated minors (reserved or published). Guarded by {@code guard}. */
    private int allocated;
    /**
     * One emptied chunk kept for reuse, so that allocating and freeing around a chunk boundary
     * does not allocate and discard 4 KiB each time. Guarded by {@code guard}.
     */
    private Chunk spare;

    private static final class Chunk {
        final long[] allocated = new long[WORDS_PER_CHUNK];
        final Object[] slots = new Object[CHUNK_SIZE];
        int count;
    }

    public MinorTable() {
        this(StepHook.NONE);
    }

    public MinorTable(StepHook steps) {
        this.steps = steps;
    }

    /**
     * What a table slot holds once published: the holder count, the open count and the gate
     * flags that the table's guard protects (the kernel's md->holders, md->open_count and the
     * FREEING, DELETING and DEFERRED_REMOVE bits of md->flags).
     */
    public abstract static class Entry {
        private static final int FREEING = 1;
        private static final int DELETING = 2;
        private static final int DEFERRED_REMOVE = 4;

        // Package-private (not private) so the table can reach them through its type variable.
        final int minor;
        /** Structural references; starts with the creator's. Atomic; reaches zero only under the guard. */
        final AtomicInteger holders = new AtomicInteger(1);
        /** Written under the guard; volatile so that status reads need no lock. */
        volatile int openCount;
        /** FREEING | DELETING | DEFERRED_REMOVE. Written under the guard; volatile for status reads. */
        volatile int gate;
        /** Opened by the last put. */
        final CountDownLatch released = new CountDownLatch(1);

        protected Entry(int minor) {
            this.minor = minor;
        }

        public final int minor() {
            return minor;
        }

        public final int holders() {
            return holders.get();
        }

        public final int openCount() {
            return openCount;
        }

        public final boolean isFreeing() {
            return (gate & FREEING) != 0;
        }

        public final boolean isDeleting() {
            return (gate & DELETING) != 0;
        }

        public final boolean isDeferredRemove() {
            return (gate & DEFERRED_REMOVE) != 0;
        }
    }

    // ---------------------------------------------------------------- allocation

    /** Reserves the lowest free minor with the placeholder. ENOSPC when all 2^20 are in use. */
    public int reserveAny() throws DmException {
        int minor;
        guard.lock();
        try {
            assert LockRank.MINOR.acquired();
            minor = lowestFree();
            if (minor >= 0) {
                occupy(minor);
            }
            assert LockRank.MINOR.released();
        } finally {
            guard.unlock();
        }
        if (minor < 0) {
            throw new DmException(Errno.ENOSPC, "all %d minors are in use", MINORS);
        }
        return minor;
    }

    /** Reserves this minor with the placeholder: EINVAL if out of range, EBUSY if allocated. */
    public void reserve(int minor) throws DmException {
        if (minor < 0 || minor >= MINORS) {
            throw new DmException(Errno.EINVAL, "minor %d is out of range 0..%d", minor, MINORS - 1);
        }
        Object previous;
        guard.lock();
        try {
            assert LockRank.MINOR.acquired();
            previous = slot(minor);
            if (previous == null) {
                occupy(minor);
            }
            assert LockRank.MINOR.released();
        } finally {
            guard.unlock();
        }
        if (previous == RESERVED) {
            throw new DmException(Errno.EBUSY, "minor %d is reserved by a device being created or freed", minor);
        }
        if (previous != null) {
            throw new DmException(Errno.EBUSY, "minor %d is in use", minor);
        }
    }

    /** Replaces the placeholder with the fully built entry: the last step of construction. */
    public void publish(E entry) {
        boolean wasReserved;
        guard.lock();
        try {
            assert LockRank.MINOR.acquired();
            wasReserved = slot(entry.minor) == RESERVED;
            if (wasReserved) {
                chunks[entry.minor >>> CHUNK_BITS].slots[entry.minor & (CHUNK_SIZE - 1)] = entry;
            }
            assert LockRank.MINOR.released();
        } finally {
            guard.unlock();
        }
        if (!wasReserved) {
            throw new IllegalStateException("publish of minor " + entry.minor + " that was not reserved");
        }
    }

    /**
     * Frees a minor that holds the placeholder: one never published, or one whose entry was
     * released by its last holder ({@link #awaitRelease}).
     */
    public void release(int minor) {
        boolean wasReserved;
        guard.lock();
        try {
            assert LockRank.MINOR.acquired();
            wasReserved = minor >= 0 && minor < MINORS && slot(minor) == RESERVED;
            if (wasReserved) {
                vacate(minor);
            }
            assert LockRank.MINOR.released();
        } finally {
            guard.unlock();
        }
        if (!wasReserved) {
            throw new IllegalStateException("release of minor " + minor + " that does not hold the placeholder");
        }
    }

    // ---------------------------------------------------------------- references

    /**
     * Looks up a published entry and takes a holder reference while holding the guard
     * ({@code dm_get_md}). Null if the minor is free, reserved, FREEING or DELETING.
     */
    public E get(int minor) {
        if (minor < 0 || minor >= MINORS) {
            return null;
        }
        guard.lock();
        try {
            assert LockRank.MINOR.acquired();
            E entry = published(minor);
            if (entry != null && (entry.gate & (Entry.FREEING | Entry.DELETING)) == 0) {
                entry.holders.incrementAndGet();
            } else {
                entry = null;
            }
            assert LockRank.MINOR.released();
            return entry;
        } finally {
            guard.unlock();
        }
    }

    /**
     * The published entry in a slot, without taking a reference; null if the minor is free,
     * reserved, FREEING or DELETING. Only for callers that hold the lock of a structure that keeps
     * its own reference on the entry and use the entry only while holding that lock.
     */
    public E peek(int minor) {
        if (minor < 0 || minor >= MINORS) {
            return null;
        }
        guard.lock();
        try {
            E entry = published(minor);
            return entry != null && (entry.gate & (Entry.FREEING | Entry.DELETING)) == 0 ? entry : null;
        } finally {
            guard.unlock();
        }
    }

    /**
     * Takes another reference on an entry the caller already knows is alive, because it holds a
     * reference itself or holds the lock of a structure that does ({@code dm_get}).
     */
    public void get(E entry) {
        AtomicInteger holders = entry.holders;
        for (int count = holders.get(); ; count = holders.get()) {
            if (count <= 0) {
                throw new IllegalStateException("reference taken on freed minor " + entry.minor);
            }
            if (holders.compareAndSet(count, count + 1)) {
                return;
            }
        }
    }

    /** Takes a reference unless the entry is FREEING, which gives EBUSY ({@code dm_hold}). */
    public void hold(E entry) throws DmException {
        boolean freeing;
        guard.lock();
        try {
            assert LockRank.MINOR.acquired();
            freeing = (entry.gate & Entry.FREEING) != 0;
            if (!freeing) {
                entry.holders.incrementAndGet();
            }
            assert LockRank.MINOR.released();
        } finally {
            guard.unlock();
        }
        if (freeing) {
            throw new DmException(Errno.EBUSY, "minor %d is being freed", entry.minor);
        }
    }

    /**
     * Drops a reference with the dec-and-lock pattern: without the guard while the count stays
     * above zero; otherwise under the guard, where reaching zero marks the entry FREEING and puts
     * the placeholder back, so that no lookup can revive it.
     *
     * @return true if this was the last reference (the entry is now released)
     */
    public boolean put(E entry) {
        AtomicInteger holders = entry.holders;
        for (int count = holders.get(); count > 1; count = holders.get()) {
            if (holders.compareAndSet(count, count - 1)) {
                return false;
            }
        }
        steps.reached(Step.PUT_MAY_BE_LAST, entry.minor);
        int left;
        guard.lock();
        try {
            assert LockRank.MINOR.acquired();
            left = holders.decrementAndGet();
            if (left == 0) {
                entry.gate |= Entry.FREEING;
                chunks[entry.minor >>> CHUNK_BITS].slots[entry.minor & (CHUNK_SIZE - 1)] = RESERVED;
            }
            assert LockRank.MINOR.released();
        } finally {
            guard.unlock();
        }
        if (left < 0) {
            throw new IllegalStateException("put on released minor " + entry.minor);
        }
        if (left == 0) {
            entry.released.countDown();
            return true;
        }
        return false;
    }

    /** Waits until the last holder has dropped its reference; true if it has. */
    public boolean awaitRelease(E entry, long timeout, TimeUnit unit) throws InterruptedException {
        assert LockRank.noneHeld();
        return entry.released.await(timeout, unit);
    }

    // ---------------------------------------------------------------- open, close, deletion

    /**
     * Opens the block device ({@code dm_blk_open}): takes a holder reference and raises the open
     * count. ENXIO if the minor holds no device, or its device is FREEING or DELETING.
     */
    public E open(int minor) throws DmException {
        steps.reached(Step.OPEN_BEFORE_GUARD, minor);
        Outcome outcome;
        E entry = null;
        if (minor < 0 || minor >= MINORS) {
            outcome = Outcome.ABSENT;
        } else {
            guard.lock();
            try {
                assert LockRank.MINOR.acquired();
                entry = published(minor);
                if (entry == null) {
                    outcome = Outcome.ABSENT;
                } else if ((entry.gate & (Entry.FREEING | Entry.DELETING)) != 0) {
                    outcome = Outcome.GONE;
                } else {
                    entry.holders.incrementAndGet();
                    entry.openCount++;
                    outcome = Outcome.OK;
                }
                assert LockRank.MINOR.released();
            } finally {
                guard.unlock();
            }
        }
        return switch (outcome) {
            case OK -> entry;
            case GONE -> throw new DmException(Errno.ENXIO, "minor %d is being removed", minor);
            default -> throw new DmException(Errno.ENXIO, "no device with minor %d", minor);
        };
    }

    /**
     * Closes one open ({@code dm_blk_close}) and drops its reference.
     *
     * @return true if this was the last close of a device marked for deferred removal: the
     *         caller must then run the deferred remove
     */
    public boolean close(E entry) {
        boolean runDeferred;
        int open;
        guard.lock();
        try {
            assert LockRank.MINOR.acquired();
            open = entry.openCount - 1;
            if (open >= 0) {
                entry.openCount = open;
            }
            runDeferred = open == 0 && (entry.gate & Entry.DEFERRED_REMOVE) != 0;
            assert LockRank.MINOR.released();
        } finally {
            guard.unlock();
        }
        if (open < 0) {
            throw new IllegalStateException("close of minor " + entry.minor + " that is not open");
        }
        put(entry);
        return runDeferred;
    }

    /**
     * Commits an entry to removal ({@code dm_lock_for_deletion}): EBUSY while open (marking it for
     * deferred removal if asked); with {@code onlyDeferred}, EEXIST for an entry not so marked
     * (the kernel's internal "skip"); otherwise sets DELETING, after which opens and minor
     * lookups fail.
     */
    public void lockForDeletion(E entry, boolean markDeferred, boolean onlyDeferred) throws DmException {
        Outcome outcome;
        int open;
        guard.lock();
        try {
            assert LockRank.MINOR.acquired();
            open = entry.openCount;
            if (open > 0) {
                if (markDeferred) {
                    entry.gate |= Entry.DEFERRED_REMOVE;
                }
                outcome = Outcome.BUSY;
            } else if (onlyDeferred && (entry.gate & Entry.DEFERRED_REMOVE) == 0) {
                outcome = Outcome.NOT_DEFERRED;
            } else {
                entry.gate |= Entry.DELETING;
                outcome = Outcome.OK;
            }
            assert LockRank.MINOR.released();
        } finally {
            guard.unlock();
        }
        switch (outcome) {
            case BUSY -> throw new DmException(Errno.EBUSY, "device is open (%d opener%s)", open, open == 1 ? "" : "s");
            case NOT_DEFERRED -> throw new DmException(Errno.EEXIST, "device is not marked for deferred removal");
            default -> { }
        }
    }

    /** Clears the deferred-remove mark; EBUSY if removal has already begun. */
    public void cancelDeferredRemove(E entry) throws DmException {
        boolean deleting;
        guard.lock();
        try {
            assert LockRank.MINOR.acquired();
            deleting = (entry.gate & Entry.DELETING) != 0;
            if (!deleting) {
                entry.gate &= ~Entry.DEFERRED_REMOVE;
            }
            assert LockRank.MINOR.released();
        } finally {
            guard.unlock();
        }
        if (deleting) {
            throw new DmException(Errno.EBUSY, "removal of minor %d is already in progress", entry.minor);
        }
    }

    // ---------------------------------------------------------------- inspection

    /** The number of allocated minors, reserved or published. */
    public int allocated() {
        guard.lock();
        try {
            return allocated;
        } finally {
            guard.unlock();
        }
    }

    /** True if the minor is free (neither reserved nor published). */
    public boolean isFree(int minor) {
        guard.lock();
        try {
            return slot(minor) == null;
        } finally {
            guard.unlock();
        }
    }

    /** A snapshot of the published entries, in minor order, without taking references. */
    public List<E> snapshot() {
        List<E> entries = new ArrayList<>();
        guard.lock();
        try {
            for (Chunk chunk : chunks) {
                if (chunk == null) {
                    continue;
                }
                for (Object slot : chunk.slots) {
                    if (slot instanceof Entry) {
                        @SuppressWarnings("unchecked")
                        E entry = (E) slot;
                        entries.add(entry);
                    }
                }
            }
        } finally {
            guard.unlock();
        }
        return entries;
    }

    // ---------------------------------------------------------------- radix internals (guard held)

    private Object slot(int minor) {
        Chunk chunk = chunks[minor >>> CHUNK_BITS];
        return chunk == null ? null : chunk.slots[minor & (CHUNK_SIZE - 1)];
    }

    @SuppressWarnings("unchecked")
    private E published(int minor) {
        Object slot = slot(minor);
        return slot instanceof Entry ? (E) slot : null;
    }

    private int lowestFree() {
        for (int word = 0; word < fullChunks.length; word++) {
            long notFull = ~fullChunks[word];
            if (notFull == 0) {
                continue;
            }
            int c = word * Long.SIZE + Long.numberOfTrailingZeros(notFull);
            Chunk chunk = chunks[c];
            if (chunk == null) {
                return c << CHUNK_BITS;
            }
            for (int w = 0; w < WORDS_PER_CHUNK; w++) {
                long free = ~chunk.allocated[w];
                if (free != 0) {
                    return (c << CHUNK_BITS) + w * Long.SIZE + Long.numberOfTrailingZeros(free);
                }
            }
            throw new IllegalStateException("chunk " + c + " is full but not marked full");
        }
        return -1;
    }

    private void occupy(int minor) {
        int c = minor >>> CHUNK_BITS;
        int i = minor & (CHUNK_SIZE - 1);
        Chunk chunk = chunks[c];
        if (chunk == null) {
            chunk = chunks[c] = spare != null ? spare : new Chunk();
            spare = null;
        }
        chunk.slots[i] = RESERVED;
        chunk.allocated[i >>> 6] |= 1L << i;
        if (++chunk.count == CHUNK_SIZE) {
            fullChunks[c >>> 6] |= 1L << c;
        }
        allocated++;
    }

    private void vacate(int minor) {
        int c = minor >>> CHUNK_BITS;
        int i = minor & (CHUNK_SIZE - 1);
        Chunk chunk = chunks[c];
        chunk.slots[i] = null;
        chunk.allocated[i >>> 6] &= ~(1L << i);
        fullChunks[c >>> 6] &= ~(1L << c);
        if (--chunk.count == 0) {
            chunks[c] = null;
            spare = chunk;
        }
        allocated--;
    }
}

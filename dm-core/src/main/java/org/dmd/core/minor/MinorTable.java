package org.dmd.core.minor;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.dmd.core.concurrent.LockRank;
import org.dmd.core.concurrent.SpinLocks;
import org.dmd.core.concurrent.Step;
import org.dmd.core.concurrent.StepHook;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;

/**
 * The minor-number table: the IDR of {@code drivers/md/dm.c} with the protocol of the 2006 race
 * series (Jeff Mahoney's dm reference-counting patches, dm-devel 2006). A slot is free, holds the {@code RESERVED} placeholder, or holds a published
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
 * <p>Concurrency: the kernel's single {@code _minor_lock} is split in two kinds of spin lock
 * ({@link SpinLocks}), both held for a few instructions only: nothing under them blocks, logs,
 * builds an exception or calls out.
 * <ul>
 * <li>A minor's <em>slot guard</em> (rank {@link LockRank#MINOR_SLOT}, one of {@value #STRIPES}
 *     stripes, chosen by the minor's bits) guards its slot, and its entry's open count and
 *     gate flags. Every step of the protocol above concerns one minor, so it runs under that
 *     minor's guard exactly as under the kernel's global lock; lookups of different minors take
 *     different guards and do not contend (a single guard's cache line, passed between two CPUs
 *     on every lookup, halved the throughput of two threads).</li>
 * <li>The <em>allocation guard</em> (rank {@link LockRank#MINOR_ALLOCATION}, taken before a slot
 *     guard) guards the chunks, the bitmaps, the count and the spare chunk. A slot changes
 *     between free and allocated only under both guards.</li>
 * </ul>
 * Lookups read a chunk reference without the allocation guard: they may see a chunk that has
 * since been emptied and reused for other minors. An entry is therefore taken only if it carries
 * the minor looked up; any other content of the slot means this minor was free at some instant
 * of the lookup. Holder counts are atomic and may drop without a guard while they stay above one.
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
    /** Slot guards; a power of two no larger than a chunk, so a chunk's minors use every stripe. */
    private static final int STRIPES = 64;
    private static final int ALLOCATION_GUARD = STRIPES;
    private static final VarHandle CHUNK = MethodHandles.arrayElementVarHandle(Chunk[].class);

    private static final Object RESERVED = new Object() {
        @Override
        public String toString() {
            return "RESERVED";
        }
    };

    /** Outcomes decided under the guard; the exceptions are built after it is released. */
    private enum Outcome { OK, ABSENT, GONE, BUSY, NOT_DEFERRED }

    /** The slot guards 0 .. STRIPES-1, then the allocation guard. */
    private final SpinLocks guards = new SpinLocks(STRIPES + 1);
    private final StepHook steps;

    /**
     * Written under the allocation guard (release stores), read under it or, by lookups, with
     * acquire loads under a slot guard only.
     */
    private final Chunk[] chunks = new Chunk[CHUNKS];
    /** Bit c set iff chunk c exists and all its minors are allocated. Guarded by the allocation guard. */
    private final long[] fullChunks = new long[CHUNKS / Long.SIZE];
    /** Number of allocated minors (reserved or published). Guarded by the allocation guard. */
    private int allocated;
    /**
     * One emptied chunk kept for reuse, so that allocating and freeing around a chunk boundary
     * does not allocate and discard 4 KiB each time. Guarded by the allocation guard.
     */
    private Chunk spare;

    private static final class Chunk {
        /** Guarded by the allocation guard. */
        final long[] allocated = new long[WORDS_PER_CHUNK];
        /** Slot i is guarded by the slot guard of its minor (and the allocation guard too, to change between free and allocated). */
        final Object[] slots = new Object[CHUNK_SIZE];
        /** Guarded by the allocation guard. */
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
        /** Structural references; starts with the creator's. Atomic; reaches zero only under the slot guard. */
        final AtomicInteger holders = new AtomicInteger(1);
        /** Written under the slot guard; volatile so that status reads need no lock. */
        volatile int openCount;
        /** FREEING | DELETING | DEFERRED_REMOVE. Written under the slot guard; volatile for status reads. */
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
        lockAllocation();
        try {
            minor = lowestFree();
            if (minor >= 0) {
                occupy(minor);
            }
        } finally {
            unlockAllocation();
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
        lockAllocation();
        try {
            lockSlot(minor);
            try {
                previous = slot(minor);
            } finally {
                unlockSlot(minor);
            }
            if (previous == null) {
                occupy(minor);
            }
        } finally {
            unlockAllocation();
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
        lockSlot(entry.minor);
        try {
            wasReserved = slot(entry.minor) == RESERVED;
            if (wasReserved) {
                setSlot(entry.minor, entry);
            }
        } finally {
            unlockSlot(entry.minor);
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
        boolean wasReserved = false;
        if (minor >= 0 && minor < MINORS) {
            lockAllocation();
            try {
                wasReserved = vacateReserved(minor);
            } finally {
                unlockAllocation();
            }
        }
        if (!wasReserved) {
            throw new IllegalStateException("release of minor " + minor + " that does not hold the placeholder");
        }
    }

    // ---------------------------------------------------------------- references

    /**
     * Looks up a published entry and takes a holder reference while holding its guard
     * ({@code dm_get_md}). Null if the minor is free, reserved, FREEING or DELETING.
     */
    public E get(int minor) {
        if (minor < 0 || minor >= MINORS) {
            return null;
        }
        lockSlot(minor);
        try {
            E entry = live(minor);
            if (entry != null) {
                entry.holders.incrementAndGet();
            }
            return entry;
        } finally {
            unlockSlot(minor);
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
        lockSlot(minor);
        try {
            return live(minor);
        } finally {
            unlockSlot(minor);
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
        lockSlot(entry.minor);
        try {
            freeing = (entry.gate & Entry.FREEING) != 0;
            if (!freeing) {
                entry.holders.incrementAndGet();
            }
        } finally {
            unlockSlot(entry.minor);
        }
        if (freeing) {
            throw new DmException(Errno.EBUSY, "minor %d is being freed", entry.minor);
        }
    }

    /**
     * Drops a reference with the dec-and-lock pattern: without the guard while the count stays
     * above zero; otherwise under the slot guard, where reaching zero marks the entry FREEING and
     * puts the placeholder back, so that no lookup can revive it.
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
        lockSlot(entry.minor);
        try {
            left = holders.decrementAndGet();
            if (left == 0) {
                entry.gate |= Entry.FREEING;
                setSlot(entry.minor, RESERVED);
            }
        } finally {
            unlockSlot(entry.minor);
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
            lockSlot(minor);
            try {
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
            } finally {
                unlockSlot(minor);
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
        lockSlot(entry.minor);
        try {
            open = entry.openCount - 1;
            if (open >= 0) {
                entry.openCount = open;
            }
            runDeferred = open == 0 && (entry.gate & Entry.DEFERRED_REMOVE) != 0;
        } finally {
            unlockSlot(entry.minor);
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
        lockSlot(entry.minor);
        try {
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
        } finally {
            unlockSlot(entry.minor);
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
        lockSlot(entry.minor);
        try {
            deleting = (entry.gate & Entry.DELETING) != 0;
            if (!deleting) {
                entry.gate &= ~Entry.DEFERRED_REMOVE;
            }
        } finally {
            unlockSlot(entry.minor);
        }
        if (deleting) {
            throw new DmException(Errno.EBUSY, "removal of minor %d is already in progress", entry.minor);
        }
    }

    // ---------------------------------------------------------------- inspection

    /** The number of allocated minors, reserved or published. */
    public int allocated() {
        lockAllocation();
        try {
            return allocated;
        } finally {
            unlockAllocation();
        }
    }

    /** True if the minor is free (neither reserved nor published). */
    public boolean isFree(int minor) {
        lockAllocation();
        try {
            Chunk chunk = chunk(minor);
            int i = minor & (CHUNK_SIZE - 1);
            return chunk == null || (chunk.allocated[i >>> 6] & (1L << i)) == 0;
        } finally {
            unlockAllocation();
        }
    }

    /** A snapshot of the published entries, in minor order, without taking references. */
    public List<E> snapshot() {
        List<E> entries = new ArrayList<>();
        lockAllocation();
        try {
            for (int c = 0; c < CHUNKS; c++) {
                if (chunks[c] == null) {
                    continue;
                }
                for (int minor = c << CHUNK_BITS; minor < (c + 1) << CHUNK_BITS; minor++) {
                    lockSlot(minor);
                    try {
                        E entry = published(minor);
                        if (entry != null) {
                            entries.add(entry);
                        }
                    } finally {
                        unlockSlot(minor);
                    }
                }
            }
        } finally {
            unlockAllocation();
        }
        return entries;
    }

    // ---------------------------------------------------------------- guards

    private void lockAllocation() {
        guards.lock(ALLOCATION_GUARD);
        assert LockRank.MINOR_ALLOCATION.acquired();
    }

    private void unlockAllocation() {
        assert LockRank.MINOR_ALLOCATION.released();
        guards.unlock(ALLOCATION_GUARD);
    }

    private void lockSlot(int minor) {
        guards.lock(stripe(minor));
        assert LockRank.MINOR_SLOT.acquired();
    }

    private void unlockSlot(int minor) {
        assert LockRank.MINOR_SLOT.released();
        guards.unlock(stripe(minor));
    }

    /**
     * A minor's slot guard: its low six bits mixed with the higher ones. Any 64 consecutive minors
     * still use all 64 guards, and minors a multiple of 64 apart (a regular stride, as two threads
     * walking the same list from different places) do not share one.
     */
    private static int stripe(int minor) {
        return (minor ^ (minor >>> 6) ^ (minor >>> 12) ^ (minor >>> 18)) & (STRIPES - 1);
    }

    // ---------------------------------------------------------------- radix internals

    private Chunk chunk(int minor) {
        return (Chunk) CHUNK.getAcquire(chunks, minor >>> CHUNK_BITS);
    }

    /** The slot's content. Slot guard held. */
    private Object slot(int minor) {
        Chunk chunk = chunk(minor);
        return chunk == null ? null : chunk.slots[minor & (CHUNK_SIZE - 1)];
    }

    /** Sets the slot of an allocated minor. Slot guard held. */
    private void setSlot(int minor, Object content) {
        chunk(minor).slots[minor & (CHUNK_SIZE - 1)] = content;
    }

    /** The entry published at this minor, whatever its gate; see the class comment on stale chunks. Slot guard held. */
    @SuppressWarnings("unchecked")
    private E published(int minor) {
        return slot(minor) instanceof Entry entry && entry.minor == minor ? (E) entry : null;
    }

    /** The entry published at this minor unless it is FREEING or DELETING. Slot guard held. */
    private E live(int minor) {
        E entry = published(minor);
        return entry != null && (entry.gate & (Entry.FREEING | Entry.DELETING)) == 0 ? entry : null;
    }

    /** Allocation guard held. */
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

    /** Allocates a free minor with the placeholder. Allocation guard held. */
    private void occupy(int minor) {
        int c = minor >>> CHUNK_BITS;
        int i = minor & (CHUNK_SIZE - 1);
        Chunk chunk = chunks[c];
        if (chunk == null) {
            chunk = spare != null ? spare : new Chunk();
            spare = null;
            CHUNK.setRelease(chunks, c, chunk);
        }
        lockSlot(minor);
        try {
            chunk.slots[i] = RESERVED;
        } finally {
            unlockSlot(minor);
        }
        chunk.allocated[i >>> 6] |= 1L << i;
        if (++chunk.count == CHUNK_SIZE) {
            fullChunks[c >>> 6] |= 1L << c;
        }
        allocated++;
    }

    /** Frees the minor if it holds the placeholder; false if it does not. Allocation guard held. */
    private boolean vacateReserved(int minor) {
        int c = minor >>> CHUNK_BITS;
        int i = minor & (CHUNK_SIZE - 1);
        Chunk chunk = chunks[c];
        lockSlot(minor);
        try {
            if (chunk == null || chunk.slots[i] != RESERVED) {
                return false;
            }
            chunk.slots[i] = null;
        } finally {
            unlockSlot(minor);
        }
        chunk.allocated[i >>> 6] &= ~(1L << i);
        fullChunks[c >>> 6] &= ~(1L << c);
        if (--chunk.count == 0) {
            CHUNK.setRelease(chunks, c, null);
            spare = chunk;
        }
        allocated--;
        return true;
    }
}

package org.dmd.core.device;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.dmd.core.concurrent.LockRank;
import org.dmd.core.concurrent.Step;
import org.dmd.core.concurrent.StepHook;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.dmd.core.io.Bio;
import org.dmd.core.io.MapResult;
import org.dmd.core.table.Table;
import org.dmd.core.target.Target;

/**
 * The bio path of one mapped device ({@code dm.c}): {@code dm_submit_bio} admits a bio or defers
 * it while the device is suspended; {@code __split_and_process_bio} splits it at target
 * boundaries and {@code max_io_len} into clones and maps each by its target; {@code dec_pending}
 * completes the request once every clone has ended, with the first error; the deferred list is
 * replayed onto the table then live by {@code dm_wq_work} (the {@code kdmflush} executor).
 *
 * <p>State, in one atomic word ({@link #state}): the number of requests in flight (admitted and
 * not yet completed or requeued) and two flags, BLOCKED ({@code DMF_BLOCK_IO_FOR_SUSPEND}: new
 * bios go to the deferred list) and GONE (the device was destroyed: bios fail with EIO). Admission
 * is a compare-and-set that fails while a flag is set; then the bio is deferred or failed under
 * {@link #lock}, which also guards {@link #deferred} and every change of a flag, so a bio that
 * saw BLOCKED under the lock is on the list before the flag can clear, and unblocking takes the
 * whole list. The drain ({@link #awaitDrained}) waits on {@link #drained}, signalled by the
 * completion that takes the count to zero while BLOCKED.
 *
 * <p>Invariants: a request is counted in flight from admission until it completes or is put back
 * on the deferred list; while BLOCKED no request is admitted, so the count only falls; every bio
 * submitted ends exactly once (completed, failed, or after being replayed). No lock is held while
 * a bio is mapped, submitted or ended, nor across the drain (the condition releases the lock).
 */
final class BioPath {

    private static final long GONE = 1L << 62;
    private static final long BLOCKED = 1L << 61;
    private static final long COUNT = BLOCKED - 1;

    /** The error a REQUEUE ends a clone with; recognised by identity in {@link Io}. */
    private static final DmException REQUEUED = new DmException(Errno.EIO, "the target pushed the I/O back");

    private final MappedDevice device;
    private final Executor kdmflush;
    private final StepHook steps;
    /** Flags and the in-flight count; flags change only under {@link #lock}. */
    private final AtomicLong state = new AtomicLong();
    /** Rank {@link LockRank#BIO_DEFERRED}: the deferred list and flag changes. */
    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled when the count reaches zero while BLOCKED. */
    private final Condition drained = lock.newCondition();
    /** Bios waiting for resume, in arrival order. Guarded by {@link #lock}. */
    private final ArrayDeque<Bio> deferred = new ArrayDeque<>();
    /** {@code DMF_NOFLUSH_SUSPENDING}: written under the device's suspend lock. */
    private volatile boolean noflushSuspending;
    /** Completed once the device is destroyed, after the deferred bios failed. */
    private final CompletableFuture<Void> gone = new CompletableFuture<>();

    BioPath(MappedDevice device, Executor kdmflush, StepHook steps) {
        this.device = device;
        this.kdmflush = kdmflush;
        this.steps = steps;
    }

    CompletableFuture<Void> gone() {
        return gone;
    }

    /** Requests in flight now (for tests and invariant checks). */
    long inFlight() {
        return state.get() & COUNT;
    }

    /** Bios on the deferred list now. */
    int deferredCount() {
        lock.lock();
        try {
            return deferred.size();
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------------ submission

    /** {@code dm_submit_bio}: {@code bio} is addressed to this device's sectors. */
    void submit(Bio bio) {
        Table table = device.liveTable();
        DmException refused = table == null
                ? ((state.get() & GONE) != 0 ? removed() : new DmException(Errno.ENXIO, "%s has no live table",
                        device.diskName()))
                : check(bio, table);
        if (refused != null) {
            bio.end(refused);
            return;
        }
        if (admit(bio)) {
            process(bio);
        }
    }

    /**
     * {@code submit_bio_noacct}'s checks against {@code table}: EPERM for a write to a read-only
     * table ({@code bio_check_ro}), EINVAL beyond its end ({@code bio_check_eod}); null if fine.
     */
    private DmException check(Bio bio, Table table) {
        if (bio.op().writes() && table.readOnly()) {
            return new DmException(Errno.EPERM, "%s is read-only: %s refused", device.diskName(), bio.op());
        }
        long size = table.sectors();
        if (bio.sector() > size || bio.sectors() > size - bio.sector()) {
            return new DmException(Errno.EINVAL, "%s: sectors %d+%d are beyond the end of the device (%d sectors)",
                    device.diskName(), bio.sector(), bio.sectors(), size);
        }
        return null;
    }

    /** Counts the bio in flight, or defers it (BLOCKED) or fails it (GONE); true if admitted. */
    private boolean admit(Bio bio) {
        while (true) {
            long s = state.get();
            if ((s & (BLOCKED | GONE)) == 0) {
                if (state.compareAndSet(s, s + 1)) {
                    return true;
                }
                continue;
            }
            boolean queued = false;
            boolean dead;
            lock.lock();
            assert LockRank.BIO_DEFERRED.acquired();
            try {
                s = state.get();
                dead = (s & GONE) != 0;
                if (!dead && (s & BLOCKED) != 0) {
                    deferred.add(bio);
                    queued = true;
                }
            } finally {
                assert LockRank.BIO_DEFERRED.released();
                lock.unlock();
            }
            if (dead) {
                bio.end(removed());
                return false;
            }
            if (queued) {
                steps.reached(Step.BIO_DEFERRED, device.diskName());
                return false;
            }
            // Unblocked meanwhile: admit it.
        }
    }

    private DmException removed() {
        return new DmException(Errno.EIO, "%s was removed", device.diskName());
    }

    /** {@code __split_and_process_bio}, for an admitted bio. */
    private void process(Bio bio) {
        Table table = device.enterLiveTable();
        if (table == null) {
            complete(bio, (state.get() & GONE) != 0 ? removed()
                    : new DmException(Errno.ENXIO, "%s has no live table", device.diskName()));
            return;
        }
        Io io = new Io(bio, !bio.preflush() || bio.op() == Bio.Op.FLUSH);
        try {
            DmException refused = check(bio, table);
            if (refused != null) {
                io.fail(refused);
            } else if (bio.preflush()) {
                sendEmptyFlush(io, table);
            } else {
                split(io, table);
            }
        } finally {
            table.exitReader();
        }
        io.dec();
    }

    /** Clones of {@code io}'s bio, one per piece between target and {@code max_io_len} boundaries. */
    private void split(Io io, Table table) {
        Bio bio = io.bio;
        long sector = bio.sector();
        for (long left = bio.sectors(); left > 0; ) {
            Table.Line line = table.lineAt(sector);
            long offset = sector - line.start();
            long length = Math.min(left, maxIoLen(line, offset));
            Bio clone = bio.clone(sector - bio.sector(), length, io);
            clone.aim(offset, 0);
            io.pending.incrementAndGet();
            map(line, clone);
            sector += length;
            left -= length;
        }
    }

    /**
     * {@code max_io_len}: the sectors from {@code offset} to the target's end, or to the next
     * multiple of its {@code max_io_len} counted from the target's start if that comes first.
     */
    static long maxIoLen(Table.Line line, long offset) {
        long toEnd = line.length() - offset;
        long max = line.target().maxIoLen();
        return max <= 0 ? toEnd : Math.min(toEnd, max - offset % max);
    }

    /** {@code __send_empty_flush}: {@code flushBios()} empty flushes to every target. */
    private void sendEmptyFlush(Io io, Table table) {
        Bio flush = io.bio.op() == Bio.Op.FLUSH ? io.bio : Bio.flush((b, e) -> { });
        for (Table.Line line : table.lines()) {
            for (int nr = 0, n = line.target().flushBios(); nr < n; nr++) {
                Bio clone = flush.clone(0, 0, io);
                clone.aim(0, nr);
                io.pending.incrementAndGet();
                map(line, clone);
            }
        }
    }

    /** {@code __map_bio}. */
    private void map(Table.Line line, Bio clone) {
        Target target = line.target();
        MapResult result;
        try {
            result = target.map(clone);
        } catch (RuntimeException e) {
            result = clone.kill(Errno.EIO, "%s", e);
        }
        switch (result) {
            case SUBMITTED -> {
            }
            case REMAPPED -> {
                steps.reached(Step.BIO_REMAPPED, device.diskName());
                clone.device().submit(clone);
            }
            case KILL -> {
                DmException why = clone.killed();
                clone.end(new DmException(why == null ? Errno.EIO : why.errno(), "%s: %s target at sector %d: %s",
                        device.diskName(), line.type().name(), line.start(),
                        why == null ? "I/O killed" : why.getMessage()));
            }
            case REQUEUE -> clone.end(REQUEUED);
        }
    }

    // ------------------------------------------------------------------ completion

    /**
     * One request being processed ({@code struct dm_io}): the clones not yet ended plus one for
     * the submitter, and the first error. For a write with PREFLUSH the flush runs first
     * ({@code dataPhase} false) and the data part after it, as a second Io.
     */
    private final class Io implements Bio.EndIo {
        final Bio bio;
        final boolean dataPhase;
        final AtomicInteger pending = new AtomicInteger(1);
        final AtomicReference<DmException> error = new AtomicReference<>();

        Io(Bio bio, boolean dataPhase) {
            this.bio = bio;
            this.dataPhase = dataPhase;
        }

        @Override
        public void ended(Bio clone, DmException failure) {
            if (failure != null) {
                fail(failure);
            }
            dec();
        }

        /** First error wins; a push-back overrides it, so the whole request is tried again. */
        void fail(DmException failure) {
            if (failure == REQUEUED) {
                error.set(REQUEUED);
            } else {
                error.compareAndSet(null, failure);
            }
        }

        /** {@code dec_pending}. */
        void dec() {
            if (pending.decrementAndGet() == 0) {
                done(this);
            }
        }
    }

    /** {@code dm_io_complete}: requeue, go on to the data of a flushed write, or end the request. */
    private void done(Io io) {
        DmException failure = io.error.get();
        if (failure == REQUEUED) {
            if (noflushSuspending) {
                requeue(io.bio);
                return;
            }
            failure = new DmException(Errno.EIO, "%s: a target pushed the I/O back outside a noflush suspend",
                    device.diskName());
        }
        if (failure == null && !io.dataPhase) {
            Table table = device.enterLiveTable();
            if (table != null) {
                Io data = new Io(io.bio, true);
                try {
                    split(data, table);
                } finally {
                    table.exitReader();
                }
                data.dec();
                return;
            }
            failure = removed();
        }
        complete(io.bio, failure);
    }

    /** The request leaves the in-flight count, then ends. */
    private void complete(Bio bio, DmException failure) {
        leave();
        bio.end(failure);
    }

    private void leave() {
        long s = state.decrementAndGet();
        if ((s & COUNT) == 0 && (s & BLOCKED) != 0) {
            lock.lock();
            assert LockRank.BIO_DEFERRED.acquired();
            try {
                drained.signalAll();
            } finally {
                assert LockRank.BIO_DEFERRED.released();
                lock.unlock();
            }
        }
    }

    /** Puts a pushed-back request on the deferred list, ahead of the bios that came later. */
    private void requeue(Bio bio) {
        boolean queued;
        lock.lock();
        assert LockRank.BIO_DEFERRED.acquired();
        try {
            queued = (state.get() & (BLOCKED | GONE)) == BLOCKED;
            if (queued) {
                deferred.addFirst(bio);
            }
        } finally {
            assert LockRank.BIO_DEFERRED.released();
            lock.unlock();
        }
        leave();
        if (!queued) {
            replay(List.of(bio));
        }
    }

    // ------------------------------------------------------------------ suspend, resume, destroy

    /** Called under the device's suspend lock, before blocking. */
    void noflushSuspending(boolean noflush) {
        this.noflushSuspending = noflush;
    }

    /** Sets BLOCKED: from now on new bios are deferred. */
    void block() {
        setFlag(BLOCKED);
    }

    /**
     * Waits until no request is in flight (BLOCKED must be set). False if interrupted first; the
     * interrupt status is kept. Called with no lock held.
     */
    boolean awaitDrained() {
        assert LockRank.noneHeld();
        lock.lock();
        assert LockRank.BIO_DEFERRED.acquired();
        try {
            while ((state.get() & COUNT) != 0) {
                drained.await();
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            assert LockRank.BIO_DEFERRED.released();
            lock.unlock();
        }
    }

    /** Clears BLOCKED and replays the deferred bios onto the table live now ({@code dm_queue_flush}). */
    void unblock() {
        List<Bio> replay;
        lock.lock();
        assert LockRank.BIO_DEFERRED.acquired();
        try {
            if ((state.get() & GONE) != 0) {
                return;
            }
            long s;
            do {
                s = state.get();
            } while (!state.compareAndSet(s, s & ~BLOCKED));
            replay = new ArrayList<>(deferred);
            deferred.clear();
        } finally {
            assert LockRank.BIO_DEFERRED.released();
            lock.unlock();
        }
        if (!replay.isEmpty()) {
            replay(replay);
        }
    }

    /** {@code dm_wq_work}: resubmits bios off the caller's thread. */
    private void replay(List<Bio> bios) {
        Runnable work = () -> bios.forEach(this::submit);
        try {
            kdmflush.execute(work);
        } catch (RejectedExecutionException e) {
            work.run();
        }
    }

    /** The device is destroyed: bios waiting and bios to come fail with EIO; then {@link #gone()} completes. */
    void kill() {
        List<Bio> waiting;
        lock.lock();
        assert LockRank.BIO_DEFERRED.acquired();
        try {
            setFlagLocked(GONE | BLOCKED);
            waiting = new ArrayList<>(deferred);
            deferred.clear();
        } finally {
            assert LockRank.BIO_DEFERRED.released();
            lock.unlock();
        }
        for (Bio bio : waiting) {
            bio.end(removed());
        }
        gone.complete(null);
    }

    private void setFlag(long flag) {
        lock.lock();
        assert LockRank.BIO_DEFERRED.acquired();
        try {
            setFlagLocked(flag);
        } finally {
            assert LockRank.BIO_DEFERRED.released();
            lock.unlock();
        }
    }

    private void setFlagLocked(long flag) {
        long s;
        do {
            s = state.get();
        } while (!state.compareAndSet(s, s | flag));
    }
}

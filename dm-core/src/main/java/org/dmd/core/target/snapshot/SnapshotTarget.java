package org.dmd.core.target.snapshot;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.dmd.core.io.Bio;
import org.dmd.core.io.MapResult;
import org.dmd.core.target.DeviceArea;
import org.dmd.core.target.ExceptionStore;
import org.dmd.core.target.ExceptionStoreType;
import org.dmd.core.target.TableDevice;
import org.dmd.core.target.TableEvents;
import org.dmd.core.target.Target;
import org.dmd.core.target.TargetContext;
import org.dmd.core.target.TargetType;
import org.dmd.core.target.Version;
import org.dmd.core.target.support.ArgBounds;
import org.dmd.core.target.support.ArgSet;
import org.dmd.core.target.support.BasicTargetType;
import org.dmd.core.target.support.FeatureArgs;
import org.dmd.core.target.support.FeatureArgs.Feature;
import org.dmd.core.target.support.Numbers;
import org.dmd.core.target.support.TargetErrors;

/**
 * {@code snapshot} and {@code snapshot-merge}: {@code <origin> <COW> <P|PO|N> <chunk size>
 * [<#features> [discard_zeroes_cow] [discard_passdown_origin]]}. Both share the constructor and
 * the status: the store's usage {@code ALLOCATED/TOTAL METADATA} for a valid snapshot,
 * {@code Invalid} once invalidated, {@code Overflow} once a {@code PO} store filled up.
 *
 * <p>Data path ({@code dm-snap.c}): a chunk is either remapped (an exception: its old data is on
 * the COW device) or not (it reads from the origin). Reads of a remapped chunk go to the COW
 * device, others to the origin, tracked ({@code track_chunk}) so that a copy of that chunk does
 * not complete while they run. A write to the snapshot, or a write to the origin through
 * {@link SnapshotOriginTarget} ({@link #originWrite}), first makes the chunk's exception: a
 * pending exception copies the origin chunk to a COW chunk the store allocates, commits it, and
 * only then releases the bios waiting on it; every later bio on the chunk finds the pending
 * exception and waits on the same copy. A full COW device invalidates the snapshot (its I/O
 * fails with EIO); a {@code PO} store's snapshot overflows instead when a snapshot write fills it.
 *
 * <p>Not modelled: the exception handover between two snapshots sharing one COW device (a
 * reloaded snapshot table, or snapshot-merge loaded over a live snapshot); merging (a
 * snapshot-merge target's I/O fails with EIO); discards (EOPNOTSUPP, as without
 * {@code discard_zeroes_cow}).
 *
 * <p>Invariants (under {@code lock}): a chunk is in at most one of {@code complete} and
 * {@code pending}; {@code tracked} counts the reads sent to the origin per chunk; an invalid
 * snapshot starts no copy. {@code lock} is a leaf lock: never held across I/O, store calls that
 * call back, bio ends, table events; only {@link ExceptionStore#prepareException} (the store's own
 * leaf lock) is taken under it.
 */
public final class SnapshotTarget implements Target {

    public static final TargetType SNAPSHOT =
            new BasicTargetType("snapshot", Version.of(1, 16, 0), Set.of(), SnapshotTarget::construct);
    public static final TargetType SNAPSHOT_MERGE =
            new BasicTargetType("snapshot-merge", Version.of(1, 5, 0), Set.of(), SnapshotTarget::constructMerge);

    private static final ArgBounds FEATURE_COUNT = new ArgBounds(0, 2, "Invalid number of feature arguments");
    private static final String DISCARD_ZEROES_COW = "discard_zeroes_cow";
    private static final String DISCARD_PASSDOWN_ORIGIN = "discard_passdown_origin";
    /** INT_MAX >> SECTOR_SHIFT. */
    private static final long MAX_CHUNK_SECTORS = Integer.MAX_VALUE >> 9;

    private final TableDevice origin;
    private final TableDevice cow;
    private final ExceptionStore store;
    private final boolean discardZeroesCow;
    private final boolean discardPassdownOrigin;
    private final long length;
    private final boolean merge;
    private final TableEvents events;
    private final int chunkShift;
    private final Object lock = new Object();
    /** Guarded by lock: old chunk to new chunk ({@code s->complete}). */
    private final Map<Long, Long> complete;
    /** Guarded by lock: copies under way, by old chunk ({@code s->pending}). */
    private final Map<Long, PendingException> pending = new HashMap<>();
    /** Guarded by lock: reads of the origin in flight, by chunk ({@code s->tracked_chunk_hash}). */
    private final Map<Long, Integer> tracked = new HashMap<>();
    /** Guarded by lock. */
    private boolean valid;
    /** Guarded by lock ({@code snapshot_overflowed}). */
    private boolean overflowed;

    private SnapshotTarget(TableDevice origin, TableDevice cow, ExceptionStore store, boolean discardZeroesCow,
                           boolean discardPassdownOrigin, TargetContext context, boolean merge,
                           Map<Long, Long> complete, boolean valid) {
        this.origin = origin;
        this.cow = cow;
        this.store = store;
        this.discardZeroesCow = discardZeroesCow;
        this.discardPassdownOrigin = discardPassdownOrigin;
        this.length = context.length();
        this.merge = merge;
        this.events = context.events();
        this.chunkShift = Long.numberOfTrailingZeros(store.chunkSectors());
        this.complete = complete;
        this.valid = valid;
    }

    /** A copy of one origin chunk to the COW device under way ({@code struct dm_snap_pending_exception}). */
    private static final class PendingException {
        final long oldChunk;
        final long newChunk;
        /** Guarded by the snapshot's lock: told the copy's outcome (null: the exception is complete). */
        final List<Consumer<DmException>> waiters = new ArrayList<>();
        /** Guarded by the snapshot's lock: committed, waiting for tracked reads of the chunk to end. */
        boolean committed;

        PendingException(long oldChunk, long newChunk) {
            this.oldChunk = oldChunk;
            this.newChunk = newChunk;
        }
    }

    static Target construct(TargetContext context, List<String> args) throws DmException {
        return construct(context, args, false);
    }

    static Target constructMerge(TargetContext context, List<String> args) throws DmException {
        return construct(context, args, true);
    }

    private static Target construct(TargetContext context, List<String> args, boolean merge) throws DmException {
        if (args.size() < 4) {
            throw TargetErrors.invalid("requires 4 or more arguments");
        }
        ArgSet features = new ArgSet(args);
        features.consume(4);
        boolean discardZeroesCow = false;
        boolean discardPassdownOrigin = false;
        int count = features.isEmpty() ? 0 : features.readGroup(FEATURE_COUNT);
        for (String feature : features.take(count)) {
            if (feature.equalsIgnoreCase(DISCARD_ZEROES_COW)) {
                discardZeroesCow = true;
            } else if (feature.equalsIgnoreCase(DISCARD_PASSDOWN_ORIGIN)) {
                discardPassdownOrigin = true;
            } else {
                throw TargetErrors.invalid("Unrecognised feature requested");
            }
        }
        if (discardPassdownOrigin && !discardZeroesCow) {
            throw TargetErrors.invalid("discard_passdown_origin feature depends on discard_zeroes_cow");
        }
        TableDevice origin = TargetErrors.device(context, args.get(0), "Cannot get origin device");
        TableDevice cow = TargetErrors.device(context, args.get(1), "Cannot get COW device");
        if (cow.number().equals(origin.number())) {
            throw TargetErrors.invalid("COW device cannot be the same as origin device");
        }
        ExceptionStore store;
        try {
            store = createStore(context, origin, cow, args.get(2), args.get(3));
        } catch (DmException e) {
            throw TargetErrors.invalid("Couldn't create exception store", e.getMessage());
        }
        Map<Long, Long> complete = new HashMap<>();
        boolean valid;
        try {
            valid = store.readMetadata(complete::put);
        } catch (DmException e) {
            throw TargetErrors.relabel("Failed to read snapshot metadata", e);
        }
        if (store.chunkSectors() == 0) {
            throw TargetErrors.invalid("Chunk size not set");
        }
        SnapshotTarget snapshot = new SnapshotTarget(origin, cow, store, discardZeroesCow, discardPassdownOrigin,
                context, merge, complete, valid);
        if (!merge) {
            Origins.register(origin.number(), snapshot);
        }
        return snapshot;
    }

    /** {@code dm_exception_store_create}: the store's letter, type, chunk size, then its constructor. */
    private static ExceptionStore createStore(TargetContext context, TableDevice origin, TableDevice cow,
                                              String kind, String chunkArg) throws DmException {
        String letter = kind.isEmpty() ? "" : kind.substring(0, 1).toUpperCase(Locale.ROOT);
        if (!letter.equals("P") && !letter.equals("N")) {
            throw TargetErrors.invalid("Exception store type is not P or N");
        }
        Optional<ExceptionStoreType> type = context.exceptionStore(letter);
        if (type.isEmpty()) {
            throw TargetErrors.invalid("Exception store type not recognised");
        }
        long chunk = chunkSize(chunkArg, origin, cow);
        try {
            return type.get().create(cow, chunk, kind.substring(1));
        } catch (DmException e) {
            throw TargetErrors.relabel("Exception store type constructor failed", e);
        }
    }

    private static long chunkSize(String text, TableDevice origin, TableDevice cow) throws DmException {
        OptionalLong parsed = Numbers.kstrtouint(text);
        if (parsed.isEmpty()) {
            throw TargetErrors.invalid("Invalid chunk size");
        }
        long chunk = parsed.getAsLong();
        if (chunk == 0) {
            return 0;
        }
        if (Long.bitCount(chunk) != 1) {
            throw TargetErrors.invalid("Chunk size is not a power of 2");
        }
        if (chunk % (cow.logicalBlockSize() / 512) != 0 || chunk % (origin.logicalBlockSize() / 512) != 0) {
            throw TargetErrors.invalid("Chunk size is not a multiple of device blocksize");
        }
        if (chunk > MAX_CHUNK_SECTORS) {
            throw TargetErrors.invalid("Chunk size is too high");
        }
        return chunk;
    }

    @Override
    public String table() {
        StringBuilder text = new StringBuilder()
                .append(origin.number()).append(' ').append(cow.number()).append(' ').append(store.table());
        return FeatureArgs.append(text, new Feature(DISCARD_ZEROES_COW, discardZeroesCow),
                new Feature(DISCARD_PASSDOWN_ORIGIN, discardPassdownOrigin)).toString();
    }

    /** {@code snapshot_status}. */
    @Override
    public String status() {
        synchronized (lock) {
            if (!valid) {
                return "Invalid";
            }
            if (overflowed) {
                return "Overflow";
            }
        }
        return store.status();
    }

    @Override
    public long maxIoLen() {
        return store.chunkSectors();
    }

    /** The first flush bio goes to the origin, the second to the COW device. */
    @Override
    public int flushBios() {
        return 2;
    }

    /** {@code snapshot_map}. */
    @Override
    public MapResult map(Bio bio) {
        if (bio.op() == Bio.Op.FLUSH) {
            return bio.remap(bio.targetBioNr() == 0 ? origin : cow, bio.sector());
        }
        if (merge) {
            return bio.kill(Errno.EIO, "snapshot-merge has no data path in dmd");
        }
        if (bio.op() == Bio.Op.DISCARD) {
            return bio.kill(Errno.EOPNOTSUPP, "snapshot: discards need discard_zeroes_cow, which dmd does not model");
        }
        long chunk = bio.sector() >>> chunkShift;
        PendingException started = null;
        DmException failure = null;
        synchronized (lock) {
            if (!valid || (overflowed && bio.op().writes())) {
                failure = new DmException(Errno.EIO, valid ? "snapshot overflowed" : "snapshot is invalid");
            } else {
                Long remapped = complete.get(chunk);
                if (remapped != null) {
                    return bio.remap(cow, remappedSector(remapped, bio.sector()));
                }
                if (!bio.op().writes()) {
                    tracked.merge(chunk, 1, Integer::sum);
                } else {
                    PendingException pe = pending.get(chunk);
                    if (pe == null) {
                        try {
                            pe = started = newPendingLocked(chunk);
                        } catch (DmException e) {
                            failure = e;
                        }
                    }
                    if (pe != null) {
                        long newChunk = pe.newChunk;
                        pe.waiters.add(error -> submitOrFail(bio, cow, remappedSector(newChunk, bio.sector()), error));
                    }
                }
            }
        }
        if (failure != null) {
            if (failure.errno() == Errno.ENOSPC) {
                allocationFailed(failure);
            }
            bio.end(new DmException(Errno.EIO, "snapshot: %s", failure.getMessage()));
            return MapResult.SUBMITTED;
        }
        if (!bio.op().writes()) {
            Bio clone = bio.clone(0, bio.sectors(), (c, error) -> {
                untrack(chunk);
                bio.end(error);
            });
            clone.remap(origin, bio.sector());
            origin.submit(clone);
            return MapResult.SUBMITTED;
        }
        if (started != null) {
            copy(started);
        }
        return MapResult.SUBMITTED;
    }

    private long remappedSector(long newChunk, long sector) {
        return (newChunk << chunkShift) + (sector & ((1L << chunkShift) - 1));
    }

    /** Sends a clone of {@code bio} to {@code sector} of {@code device}, or ends {@code bio} with EIO. */
    private static void submitOrFail(Bio bio, TableDevice device, long sector, DmException error) {
        if (error != null) {
            bio.end(new DmException(Errno.EIO, "snapshot: the chunk's copy failed: %s", error.getMessage()));
            return;
        }
        Bio clone = bio.clone(0, bio.sectors(), (c, e) -> bio.end(e));
        clone.remap(device, sector);
        device.submit(clone);
    }

    /**
     * The part of {@code __origin_write} for this snapshot: every chunk of origin sectors
     * {@code [sector, sector + sectors)} that this snapshot has not copied gets a pending
     * exception (or joins the one under way); {@code waiting} is incremented for each and
     * {@code release} runs once per increment when that copy has ended, successfully or not.
     */
    void originWrite(long sector, long sectors, AtomicInteger waiting, Runnable release) {
        List<PendingException> started = new ArrayList<>();
        DmException failure = null;
        synchronized (lock) {
            if (!valid || sector >= length) {
                return;
            }
            long last = (Math.min(sector + sectors, length) - 1) >>> chunkShift;
            for (long chunk = sector >>> chunkShift; chunk <= last && failure == null; chunk++) {
                if (complete.containsKey(chunk)) {
                    continue;
                }
                PendingException pe = pending.get(chunk);
                if (pe == null) {
                    try {
                        pe = newPendingLocked(chunk);
                        started.add(pe);
                    } catch (DmException e) {
                        failure = e;
                        break;
                    }
                }
                waiting.incrementAndGet();
                pe.waiters.add(error -> release.run());
            }
        }
        if (failure != null) {
            invalidate(failure);
        }
        started.forEach(this::copy);
    }

    /** Called under lock: allocates the COW chunk ({@code __find_pending_exception}). */
    private PendingException newPendingLocked(long chunk) throws DmException {
        PendingException pe = new PendingException(chunk, store.prepareException());
        pending.put(chunk, pe);
        return pe;
    }

    /** A snapshot write found the COW device full: a PO store overflows, any other invalidates. */
    private void allocationFailed(DmException why) {
        if (store.userspaceSupportsOverflow()) {
            boolean first;
            synchronized (lock) {
                first = valid && !overflowed;
                overflowed = true;
            }
            if (first) {
                events.raise();
            }
        } else {
            invalidate(why);
        }
    }

    /** {@code __invalidate_snapshot}: the snapshot's I/O fails from now on, and its store says so. */
    private void invalidate(DmException why) {
        synchronized (lock) {
            if (!valid) {
                return;
            }
            valid = false;
        }
        store.dropSnapshot();
        events.raise();
    }

    /**
     * The copy ({@code start_copy}, kcopyd): the origin chunk (clipped to the origin's end) to the
     * new COW chunk, then the store's commit; no lock is held across any of it.
     */
    private void copy(PendingException pe) {
        long from = pe.oldChunk << chunkShift;
        long sectors = Math.max(0, Math.min(store.chunkSectors(), origin.sectors() - from));
        ByteBuffer data = ByteBuffer.allocate((int) (sectors * Bio.SECTOR_BYTES));
        ChunkIo.read(origin, from, data.duplicate())
                .thenCompose(ignored -> ChunkIo.write(cow, pe.newChunk << chunkShift, data.duplicate(), false))
                .whenComplete((ignored, failure) -> {
                    if (failure != null) {
                        copied(pe, ChunkIo.cause(failure));
                    } else {
                        store.commitException(pe.oldChunk, pe.newChunk, error -> copied(pe, error));
                    }
                });
    }

    /** {@code pending_complete}: waits for tracked reads of the chunk, then completes the exception. */
    private void copied(PendingException pe, DmException error) {
        List<Consumer<DmException>> waiters;
        synchronized (lock) {
            if (error == null && tracked.containsKey(pe.oldChunk)) {
                pe.committed = true;
                return;
            }
            waiters = completeLocked(pe, error);
        }
        finish(waiters, error);
    }

    private void untrack(long chunk) {
        List<Consumer<DmException>> waiters = null;
        synchronized (lock) {
            if (tracked.merge(chunk, -1, Integer::sum) == 0) {
                tracked.remove(chunk);
                PendingException pe = pending.get(chunk);
                if (pe != null && pe.committed) {
                    waiters = completeLocked(pe, null);
                }
            }
        }
        if (waiters != null) {
            finish(waiters, null);
        }
    }

    private List<Consumer<DmException>> completeLocked(PendingException pe, DmException error) {
        pending.remove(pe.oldChunk);
        if (error == null) {
            complete.put(pe.oldChunk, pe.newChunk);
        }
        return pe.waiters;
    }

    private void finish(List<Consumer<DmException>> waiters, DmException error) {
        if (error != null) {
            invalidate(error);
        }
        waiters.forEach(waiter -> waiter.accept(error));
    }

    @Override
    public void destroy() {
        if (!merge) {
            Origins.unregister(origin.number(), this);
        }
    }

    @Override
    public List<DeviceArea> areas() {
        return List.of(new DeviceArea(origin, 0, length), new DeviceArea(cow, 0, cow.sectors()));
    }
}

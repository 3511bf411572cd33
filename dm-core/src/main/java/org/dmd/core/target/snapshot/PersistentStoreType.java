package org.dmd.core.target.snapshot;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.dmd.core.target.ExceptionStore;
import org.dmd.core.target.ExceptionStoreType;
import org.dmd.core.target.TableDevice;
import org.dmd.core.target.support.NamedType;

/**
 * The {@code persistent} store (also registered as {@code P}), in {@code dm-snap-persistent.c}'s
 * on-disk layout. Its only option is {@code O} ("PO": userspace understands overflow).
 * Exception-store types carry no version in the kernel; dmd reports 0.0.0. Immutable.
 *
 * <p>Layout, in chunks of the COW device: chunk 0 is the header ({@code struct disk_header}: le32
 * magic {@code 0x70416e53} "SnAp", le32 valid, le32 version 1, le32 chunk size in sectors); then
 * metadata areas, each one chunk of {@code chunk bytes / 16} exceptions ({@code struct
 * disk_exception}: le64 old_chunk, le64 new_chunk) followed by the data chunks it describes, so
 * area {@code a} sits at chunk {@code 1 + a * (exceptions per area + 1)}. A new_chunk of 0 ends the
 * exceptions of a partly filled area.
 */
public final class PersistentStoreType extends NamedType implements ExceptionStoreType {

    public static final PersistentStoreType PERSISTENT = new PersistentStoreType("persistent");
    public static final PersistentStoreType COMPAT = new PersistentStoreType("P");

    /** DM_CHUNK_SIZE_DEFAULT_SECTORS: used when the table gives chunk size 0. */
    static final long DEFAULT_CHUNK_SECTORS = 32;
    /** SNAP_MAGIC. */
    static final int SNAP_MAGIC = 0x70416e53;
    /** SNAPSHOT_DISK_VERSION. */
    static final int SNAPSHOT_DISK_VERSION = 1;
    /** NUM_SNAPSHOT_HDR_CHUNKS. */
    static final long HEADER_CHUNKS = 1;
    static final int EXCEPTION_BYTES = 16;

    private PersistentStoreType(String name) {
        super(name);
    }

    @Override
    public ExceptionStore create(TableDevice cow, long chunkSectors, String options) throws DmException {
        boolean overflow = false;
        if (!options.isEmpty()) {
            if (Character.toUpperCase(options.charAt(0)) != 'O') {
                throw new DmException(Errno.EINVAL, "Unsupported persistent store option: " + options);
            }
            overflow = true;
        }
        return new Store(cow, chunkSectors, overflow);
    }

    /**
     * A persistent store ({@code struct pstore}).
     *
     * <p>Ordering, as the kernel's: a chunk's data is written by the snapshot before it commits the
     * exception; the area holding the entry is then written with PREFLUSH|FUA, so the data is on
     * stable storage before the entry that points at it, and the commit's callback runs only once
     * the area is. Area writes go out one at a time in the order they were made (each is a newer
     * image of its area, or the zeroing of the next one), so an older image never lands last.
     *
     * <p>Invariants (under {@code this}): {@code 0 <= currentCommitted < exceptionsPerArea};
     * {@code nextFree} is never a metadata area's chunk; {@code area} holds the committed entries
     * of {@code currentArea}. {@link #chunkSectors} is written only by {@link #readMetadata},
     * before the store is shared.
     */
    private static final class Store implements ExceptionStore {

        private final TableDevice cow;
        private final boolean overflow;
        private volatile long chunkSectors;
        /** Guarded by this. */
        private long nextFree = HEADER_CHUNKS + 1;
        /** Guarded by this. */
        private long currentArea;
        /** Guarded by this: entries of the current area committed so far. */
        private int currentCommitted;
        /** Guarded by this: prepared exceptions not yet committed ({@code pending_count}). */
        private int pendingCount;
        /** Guarded by this: the current area's image. */
        private ByteBuffer area;
        /** Guarded by this: commits whose entries are in {@code area} but not yet queued for writing. */
        private List<Consumer<DmException>> callbacks = new ArrayList<>();
        /** Guarded by this: metadata writes not yet issued, oldest first. */
        private final ArrayDeque<MetadataWrite> queued = new ArrayDeque<>();
        /** Guarded by this: true while a metadata write is in flight. */
        private boolean writing;
        /** Guarded by this: false once the store failed or the snapshot was dropped. */
        private boolean valid = true;

        /** One write of a chunk of metadata and whom to tell when it is durable. */
        private record MetadataWrite(long chunk, ByteBuffer image, List<Consumer<DmException>> callbacks) {
        }

        Store(TableDevice cow, long chunkSectors, boolean overflow) {
            this.cow = cow;
            this.chunkSectors = chunkSectors;
            this.overflow = overflow;
        }

        private int chunkBytes() {
            return (int) (chunkSectors * 512);
        }

        private int exceptionsPerArea() {
            return chunkBytes() / EXCEPTION_BYTES;
        }

        /** {@code area_location}. */
        private long areaLocation(long areaNumber) {
            return HEADER_CHUNKS + (exceptionsPerArea() + 1L) * areaNumber;
        }

        private ByteBuffer newChunk() {
            return ByteBuffer.allocate(chunkBytes()).order(ByteOrder.LITTLE_ENDIAN);
        }

        @Override
        public boolean readMetadata(ExceptionSink sink) throws DmException {
            if (chunkSectors == 0) {
                chunkSectors = Math.max(DEFAULT_CHUNK_SECTORS, cow.logicalBlockSize() / 512);
            }
            if (cow.sectors() < 2 * chunkSectors) {
                throw new DmException(Errno.EIO, "COW device " + cow.number()
                        + " is too small for the snapshot header and first metadata area");
            }
            ByteBuffer header = ByteBuffer.allocate(512).order(ByteOrder.LITTLE_ENDIAN);
            ChunkIo.await(ChunkIo.read(cow, 0, header));
            int magic = header.getInt(0);
            if (magic == 0) {
                return newSnapshot();
            }
            if (magic != SNAP_MAGIC) {
                throw new DmException(Errno.EINVAL, "Invalid or corrupt snapshot");
            }
            boolean headerValid = header.getInt(4) != 0;
            int version = header.getInt(8);
            if (version != SNAPSHOT_DISK_VERSION) {
                throw new DmException(Errno.EINVAL, "unable to handle snapshot disk version " + version);
            }
            long diskChunk = Integer.toUnsignedLong(header.getInt(12));
            if (diskChunk != chunkSectors) {
                // read_header: the header's chunk size overrides the table's.
                if (diskChunk == 0 || Long.bitCount(diskChunk) != 1 || cow.sectors() < 2 * diskChunk) {
                    throw new DmException(Errno.EINVAL, "invalid chunk size " + diskChunk + " in snapshot header");
                }
                chunkSectors = diskChunk;
            }
            if (!headerValid) {
                synchronized (this) {
                    valid = false;
                }
                return false;
            }
            readExceptions(sink);
            return true;
        }

        /** A blank COW device: write the header, zero the first area ({@code persistent_read_metadata}). */
        private boolean newSnapshot() throws DmException {
            ChunkIo.await(ChunkIo.write(cow, 0, header(true), true));
            ByteBuffer zeroes = newChunk();
            ChunkIo.await(ChunkIo.write(cow, areaLocation(0) * chunkSectors, zeroes.duplicate(), true));
            synchronized (this) {
                area = zeroes;
            }
            return true;
        }

        /** {@code read_exceptions}: every full area, then the partly filled one, which becomes current. */
        private void readExceptions(ExceptionSink sink) throws DmException {
            int perArea = exceptionsPerArea();
            long free = HEADER_CHUNKS + 1;
            for (long number = 0; ; number++) {
                long location = areaLocation(number);
                if ((location + 1) * chunkSectors > cow.sectors()) {
                    throw new DmException(Errno.EIO, "metadata area " + number + " lies beyond the COW device");
                }
                ByteBuffer image = newChunk();
                ChunkIo.await(ChunkIo.read(cow, location * chunkSectors, image.duplicate()));
                for (int i = 0; i < perArea; i++) {
                    long oldChunk = image.getLong(i * EXCEPTION_BYTES);
                    long newChunk = image.getLong(i * EXCEPTION_BYTES + 8);
                    if (newChunk == 0) {
                        synchronized (this) {
                            currentArea = number;
                            currentCommitted = i;
                            area = image;
                            nextFree = skipMetadata(free);
                        }
                        return;
                    }
                    free = Math.max(free, newChunk + 1);
                    sink.add(oldChunk, newChunk);
                }
            }
        }

        /** {@code skip_metadata}: the chunk after {@code free} if {@code free} is a metadata area's. */
        private long skipMetadata(long free) {
            return free % (exceptionsPerArea() + 1L) == HEADER_CHUNKS ? free + 1 : free;
        }

        private ByteBuffer header(boolean headerValid) {
            ByteBuffer header = ByteBuffer.allocate(512).order(ByteOrder.LITTLE_ENDIAN);
            header.putInt(0, SNAP_MAGIC).putInt(4, headerValid ? 1 : 0).putInt(8, SNAPSHOT_DISK_VERSION)
                    .putInt(12, (int) chunkSectors);
            return header;
        }

        @Override
        public long chunkSectors() {
            return chunkSectors;
        }

        @Override
        public synchronized long prepareException() throws DmException {
            if (!valid) {
                throw new DmException(Errno.EIO, "the snapshot's store is invalid");
            }
            if (cow.sectors() < (nextFree + 1) * chunkSectors) {
                throw new DmException(Errno.ENOSPC, "COW device " + cow.number() + " is full");
            }
            long chunk = nextFree;
            nextFree = skipMetadata(nextFree + 1);
            pendingCount++;
            return chunk;
        }

        @Override
        public void commitException(long oldChunk, long newChunk, Consumer<DmException> done) {
            synchronized (this) {
                int slot = currentCommitted++ * EXCEPTION_BYTES;
                area.putLong(slot, oldChunk).putLong(slot + 8, newChunk);
                callbacks.add(done);
                pendingCount--;
                boolean full = currentCommitted == exceptionsPerArea();
                // Batch: write the area once nothing else is about to commit, or once it is full.
                if (pendingCount == 0 || full) {
                    queueAreaWrite(currentArea, area.duplicate(), callbacks);
                    callbacks = new ArrayList<>();
                }
                if (full) {
                    currentArea++;
                    currentCommitted = 0;
                    area = newChunk();
                    queued.add(new MetadataWrite(areaLocation(currentArea), area.duplicate(), List.of()));
                }
            }
            drain();
        }

        /** Called under this: the area's image is copied, as later commits change {@code area}. */
        private void queueAreaWrite(long areaNumber, ByteBuffer image, List<Consumer<DmException>> done) {
            ByteBuffer copy = newChunk().put(image.duplicate().clear()).clear();
            queued.add(new MetadataWrite(areaLocation(areaNumber), copy, done));
        }

        @Override
        public void dropSnapshot() {
            synchronized (this) {
                valid = false;
                queued.add(new MetadataWrite(0, header(false), List.of()));
            }
            drain();
        }

        /** Issues queued metadata writes one at a time, with no lock held across the I/O. */
        private void drain() {
            MetadataWrite next;
            synchronized (this) {
                if (writing || queued.isEmpty()) {
                    return;
                }
                writing = true;
                next = queued.poll();
            }
            MetadataWrite write = next;
            ByteBuffer data = write.chunk() == 0 ? write.image() : write.image().duplicate();
            ChunkIo.write(cow, write.chunk() * chunkSectors, data, true).whenComplete((ignored, failure) -> {
                DmException error = failure == null ? null : ChunkIo.cause(failure);
                synchronized (this) {
                    writing = false;
                    if (error != null) {
                        valid = false;
                    }
                }
                write.callbacks().forEach(callback -> callback.accept(error));
                drain();
            });
        }

        @Override
        public String table() {
            return (overflow ? "PO " : "P ") + chunkSectors;
        }

        @Override
        public boolean userspaceSupportsOverflow() {
            return overflow;
        }

        /** {@code persistent_usage}: allocated = next free chunk; metadata = header + areas so far. */
        @Override
        public synchronized String status() {
            long chunk = chunkSectors;
            return (nextFree * chunk) + "/" + cow.sectors() + " " + ((currentArea + 1 + HEADER_CHUNKS) * chunk);
        }
    }
}

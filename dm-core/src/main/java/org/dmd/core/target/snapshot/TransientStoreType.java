package org.dmd.core.target.snapshot;

import java.util.function.Consumer;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.dmd.core.target.ExceptionStore;
import org.dmd.core.target.ExceptionStoreType;
import org.dmd.core.target.TableDevice;
import org.dmd.core.target.support.NamedType;

/**
 * The {@code transient} store (also registered as {@code N}): exceptions live in memory only.
 * It ignores options and cannot pick a chunk size. Exception-store types carry no version in
 * the kernel; dmd reports 0.0.0. Immutable.
 */
public final class TransientStoreType extends NamedType implements ExceptionStoreType {

    public static final TransientStoreType TRANSIENT = new TransientStoreType("transient");
    public static final TransientStoreType COMPAT = new TransientStoreType("N");

    private TransientStoreType(String name) {
        super(name);
    }

    @Override
    public ExceptionStore create(TableDevice cow, long chunkSectors, String options) {
        return new Store(cow, chunkSectors);
    }

    /**
     * A transient store ({@code dm-snap-transient.c}): COW chunks handed out in order, nothing on
     * disk, every commit durable at once. {@code nextFree} (sectors) is guarded by this.
     */
    private static final class Store implements ExceptionStore {

        private final TableDevice cow;
        private final long chunkSectors;
        private long nextFree;

        Store(TableDevice cow, long chunkSectors) {
            this.cow = cow;
            this.chunkSectors = chunkSectors;
        }

        @Override
        public boolean readMetadata(ExceptionSink sink) {
            return true;
        }

        @Override
        public long chunkSectors() {
            return chunkSectors;
        }

        @Override
        public synchronized long prepareException() throws DmException {
            if (cow.sectors() < nextFree + chunkSectors) {
                throw new DmException(Errno.ENOSPC, "COW device " + cow.number() + " is full");
            }
            long chunk = nextFree / chunkSectors;
            nextFree += chunkSectors;
            return chunk;
        }

        @Override
        public void commitException(long oldChunk, long newChunk, Consumer<DmException> done) {
            done.accept(null);
        }

        @Override
        public void dropSnapshot() {
        }

        @Override
        public String table() {
            return "N " + chunkSectors;
        }

        /** {@code transient_usage}: what was handed out; no metadata. */
        @Override
        public synchronized String status() {
            return nextFree + "/" + cow.sectors() + " 0";
        }
    }
}

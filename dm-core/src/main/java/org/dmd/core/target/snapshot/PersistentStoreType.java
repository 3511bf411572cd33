package org.dmd.core.target.snapshot;

import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.dmd.core.target.ExceptionStore;
import org.dmd.core.target.ExceptionStoreType;
import org.dmd.core.target.TableDevice;
import org.dmd.core.target.support.NamedType;

/**
 * The {@code persistent} store (also registered as {@code P}): exceptions are recorded on the
 * COW device, which starts with a header chunk followed by the first metadata area. Its only
 * option is {@code O} ("PO": userspace understands overflow). Exception-store types carry no
 * version in the kernel; dmd reports 0.0.0. Immutable.
 */
public final class PersistentStoreType extends NamedType implements ExceptionStoreType {

    public static final PersistentStoreType PERSISTENT = new PersistentStoreType("persistent");
    public static final PersistentStoreType COMPAT = new PersistentStoreType("P");

    /** DM_CHUNK_SIZE_DEFAULT_SECTORS: used when the table gives chunk size 0. */
    static final long DEFAULT_CHUNK_SECTORS = 32;

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
     * A persistent store on a blank COW device.
     *
     * <p>Usage of an empty store, as the kernel computes it: the next free chunk is 2 (chunk 0
     * holds the header, chunk 1 the first metadata area), so allocated = 2 x chunk; metadata =
     * (current area 0 + 1 + 1 header chunk) x chunk = 2 x chunk; total = the COW device's size.
     *
     * <p>Thread safety: {@link #chunkSectors} is written once by {@link #readMetadata}, which runs
     * in the constructor before the store is shared; it is volatile so later readers see it.
     */
    private static final class Store implements ExceptionStore {

        private final TableDevice cow;
        private final boolean overflow;
        private volatile long chunkSectors;

        Store(TableDevice cow, long chunkSectors, boolean overflow) {
            this.cow = cow;
            this.chunkSectors = chunkSectors;
            this.overflow = overflow;
        }

        @Override
        public void readMetadata() throws DmException {
            if (chunkSectors == 0) {
                chunkSectors = Math.max(DEFAULT_CHUNK_SECTORS, cow.logicalBlockSize() / 512);
            }
            // A new store writes its header (chunk 0) and zeroes the first metadata area (chunk 1).
            if (cow.sectors() < 2 * chunkSectors) {
                throw new DmException(Errno.EIO, "COW device " + cow.number()
                        + " is too small for the snapshot header and first metadata area");
            }
        }

        @Override
        public long chunkSectors() {
            return chunkSectors;
        }

        @Override
        public String table() {
            return (overflow ? "PO " : "P ") + chunkSectors;
        }

        @Override
        public String status() {
            long chunk = chunkSectors;
            return (2 * chunk) + "/" + cow.sectors() + " " + (2 * chunk);
        }
    }
}

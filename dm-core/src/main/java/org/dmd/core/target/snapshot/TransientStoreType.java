package org.dmd.core.target.snapshot;

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

    /** Immutable: an empty transient store has allocated nothing and keeps no metadata. */
    private record Store(TableDevice cow, long chunkSectors) implements ExceptionStore {

        @Override
        public void readMetadata() {
        }

        @Override
        public String table() {
            return "N " + chunkSectors;
        }

        @Override
        public String status() {
            return "0/" + cow.sectors() + " 0";
        }
    }
}

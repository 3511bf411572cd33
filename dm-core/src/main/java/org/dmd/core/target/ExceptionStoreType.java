package org.dmd.core.target;

import org.dmd.core.errno.DmException;
import org.dmd.core.registry.RegisteredType;

/** A snapshot exception-store type ({@code struct dm_exception_store_type}): persistent or transient. */
public interface ExceptionStoreType extends RegisteredType {

    /**
     * Creates a store on the COW device ({@code ->ctr}). {@code chunkSectors} has been checked by
     * the snapshot (a power of two and a multiple of both devices' block sizes) or is 0 for "not
     * given"; {@code options} is what followed the store's letter in the table (the {@code O} of
     * {@code PO}), empty if nothing did. Unsupported options fail with EINVAL.
     */
    ExceptionStore create(TableDevice cow, long chunkSectors, String options) throws DmException;
}

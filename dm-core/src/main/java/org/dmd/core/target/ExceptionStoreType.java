package org.dmd.core.target;

import org.dmd.core.errno.DmException;
import org.dmd.core.registry.RegisteredType;

/** A snapshot exception-store type ({@code struct dm_exception_store_type}): persistent or transient. */
public interface ExceptionStoreType extends RegisteredType {

    /** Creates a store on the COW device with the given chunk size in sectors ({@code ->ctr}). */
    ExceptionStore create(TableDevice cow, long chunkSectors) throws DmException;
}

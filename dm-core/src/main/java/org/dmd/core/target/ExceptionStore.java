package org.dmd.core.target;

import org.dmd.core.errno.DmException;

/**
 * One exception store owned by a snapshot target. Implementations are safe for concurrent
 * status reads once {@link #readMetadata} has returned.
 */
public interface ExceptionStore {

    /**
     * Reads the store's metadata from the COW device ({@code ->read_metadata}); dmd takes every
     * COW device to be blank, so this sets up a new store. Picks the chunk size if the table left
     * it 0 and the store can. A failure carries the I/O errno.
     */
    void readMetadata() throws DmException;

    /** The chunk size in sectors in effect; 0 if none was given and the store cannot pick one. */
    long chunkSectors();

    /** Table text of the store, its letter(s) and chunk size: {@code P 16}, {@code PO 16}, {@code N 8}. */
    String table();

    /**
     * Status at rest, {@code ALLOCATED/TOTAL METADATA} in sectors ({@code ->usage}), e.g.
     * {@code 32/2097152 32} for an empty persistent store with 16-sector chunks.
     */
    String status();
}

package org.dmd.core.target;

import java.util.function.Consumer;
import org.dmd.core.errno.DmException;

/**
 * One exception store owned by a snapshot target ({@code struct dm_exception_store}): where each
 * copied chunk of the origin ({@code old_chunk}) lives on the COW device ({@code new_chunk}).
 *
 * <p>Protocol ({@code dm-exception-store.h}): {@link #readMetadata} once, at construction; then the
 * snapshot calls {@link #prepareException} under its own lock for each chunk it is about to copy,
 * and {@link #commitException} once the chunk's data is on the COW device; the store calls back
 * once the exception is durable. Implementations are thread-safe.
 */
public interface ExceptionStore {

    /** Receives each exception found on the COW device by {@link #readMetadata}. */
    @FunctionalInterface
    interface ExceptionSink {
        void add(long oldChunk, long newChunk);
    }

    /**
     * Reads the store's metadata from the COW device ({@code ->read_metadata}): a blank COW device
     * becomes a new store; one holding a store resumes its exceptions, handed to {@code sink}.
     * Picks the chunk size if the table left it 0 and the store can (the header's chunk size wins
     * over the table's). Returns false if the store records an invalidated snapshot. A failure
     * carries the I/O errno, or EINVAL for a corrupt header.
     */
    boolean readMetadata(ExceptionSink sink) throws DmException;

    /** {@link #readMetadata} for a caller that only needs the store set up. */
    default boolean readMetadata() throws DmException {
        return readMetadata((oldChunk, newChunk) -> { });
    }

    /** The chunk size in sectors in effect; 0 if none was given and the store cannot pick one. */
    long chunkSectors();

    /**
     * Allocates the COW chunk for a new exception ({@code ->prepare_exception}); ENOSPC when the
     * COW device is full. Each prepared exception is committed exactly once.
     */
    long prepareException() throws DmException;

    /**
     * Records the exception {@code oldChunk -> newChunk}, whose data is on the COW device
     * ({@code ->commit_exception}); {@code done} runs once it is durable (null) or failed, on any
     * thread, with no lock of the store held.
     */
    void commitException(long oldChunk, long newChunk, Consumer<DmException> done);

    /** Marks the snapshot invalid in the store ({@code ->drop_snapshot}). */
    void dropSnapshot();

    /** Table text of the store, its letter(s) and chunk size: {@code P 16}, {@code PO 16}, {@code N 8}. */
    String table();

    /** True for a store whose user handles overflow ({@code PO}): a full COW device overflows the snapshot. */
    default boolean userspaceSupportsOverflow() {
        return false;
    }

    /**
     * Usage, {@code ALLOCATED/TOTAL METADATA} in sectors ({@code ->usage}), e.g.
     * {@code 32/2097152 32} for an empty persistent store with 16-sector chunks.
     */
    String status();
}

package org.dmd.core.target.snapshot;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.dmd.core.io.Bio;
import org.dmd.core.target.TableDevice;

/** Whole-buffer I/O of the snapshot code on its devices ({@code dm-io} and {@code kcopyd} in the kernel). */
final class ChunkIo {

    private ChunkIo() {
    }

    /** Reads {@code into.remaining()} bytes at {@code sector} of {@code device}. */
    static CompletableFuture<Void> read(TableDevice device, long sector, ByteBuffer into) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        device.submit(Bio.read(sector, into, (bio, error) -> finish(done, error)));
        return done;
    }

    /**
     * Writes {@code from.remaining()} bytes at {@code sector}; {@code durable} sends it with
     * {@code REQ_PREFLUSH | REQ_FUA}, so every write that ended before it is on stable storage first.
     */
    static CompletableFuture<Void> write(TableDevice device, long sector, ByteBuffer from, boolean durable) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        device.submit(Bio.write(sector, from, durable, durable, (bio, error) -> finish(done, error)));
        return done;
    }

    /** Waits for {@code io} (table construction only: the kernel's {@code dm_io} is synchronous there). */
    static void await(CompletableFuture<Void> io) throws DmException {
        try {
            io.join();
        } catch (CompletionException e) {
            throw cause(e);
        }
    }

    /** The DmException a failed future carries. */
    static DmException cause(Throwable failure) {
        Throwable cause = failure instanceof CompletionException ? failure.getCause() : failure;
        return cause instanceof DmException d ? d : new DmException(Errno.EIO, "%s", cause);
    }

    private static void finish(CompletableFuture<Void> done, DmException error) {
        if (error == null) {
            done.complete(null);
        } else {
            done.completeExceptionally(error);
        }
    }
}

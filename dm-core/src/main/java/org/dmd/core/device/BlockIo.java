package org.dmd.core.device;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.dmd.core.io.Bio;
import org.dmd.core.io.DeviceIo;

/**
 * {@link DeviceIo} of one open mapped device: each request becomes one bio submitted to the
 * device's bio path, and its future completes when the bio ends. Stateless beyond the device.
 */
final class BlockIo implements DeviceIo {

    private final MappedDevice device;

    BlockIo(MappedDevice device) {
        this.device = device;
    }

    @Override
    public long size() {
        return device.sectors() * SECTOR_SIZE;
    }

    @Override
    public boolean readOnly() {
        return device.readOnly();
    }

    @Override
    public CompletableFuture<Void> read(long offset, ByteBuffer into) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        DmException bad = misaligned(offset, into.remaining());
        return bad != null ? CompletableFuture.failedFuture(bad)
                : submit(Bio.read(offset / SECTOR_SIZE, into, (bio, error) -> end(done, error)), done);
    }

    @Override
    public CompletableFuture<Void> write(long offset, ByteBuffer from, boolean fua) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        DmException bad = misaligned(offset, from.remaining());
        return bad != null ? CompletableFuture.failedFuture(bad)
                : submit(Bio.write(offset / SECTOR_SIZE, from, fua, false, (bio, error) -> end(done, error)), done);
    }

    @Override
    public CompletableFuture<Void> flush() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        return submit(Bio.flush((bio, error) -> end(done, error)), done);
    }

    @Override
    public CompletableFuture<Void> discard(long offset, long length) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        DmException bad = misaligned(offset, length);
        return bad != null ? CompletableFuture.failedFuture(bad)
                : submit(Bio.discard(offset / SECTOR_SIZE, length / SECTOR_SIZE, (bio, error) -> end(done, error)), done);
    }

    @Override
    public CompletableFuture<Void> writeZeroes(long offset, long length) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        DmException bad = misaligned(offset, length);
        return bad != null ? CompletableFuture.failedFuture(bad)
                : submit(Bio.writeZeroes(offset / SECTOR_SIZE, length / SECTOR_SIZE, false,
                        (bio, error) -> end(done, error)), done);
    }

    private CompletableFuture<Void> submit(Bio bio, CompletableFuture<Void> done) {
        device.submit(bio);
        return done;
    }

    private static void end(CompletableFuture<Void> done, DmException error) {
        if (error == null) {
            done.complete(null);
        } else {
            done.completeExceptionally(error);
        }
    }

    /** EINVAL for a negative or unaligned range (the block layer's logical-block checks); null if fine. */
    private DmException misaligned(long offset, long length) {
        if (offset < 0 || length < 0 || offset % SECTOR_SIZE != 0 || length % SECTOR_SIZE != 0) {
            return new DmException(Errno.EINVAL, "%s: offset %d and length %d must be non-negative multiples of %d",
                    device.diskName(), offset, length, SECTOR_SIZE);
        }
        return null;
    }
}

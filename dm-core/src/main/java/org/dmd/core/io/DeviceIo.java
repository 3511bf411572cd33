package org.dmd.core.io;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

/**
 * Block I/O on one open of a mapped device: what a bio submitted to /dev/dm-N does. The device's
 * live table splits each request at target (and stripe-chunk) boundaries, maps every piece and
 * completes the request once all its pieces have completed ({@code dm.c: __split_and_process_bio},
 * {@code dec_pending}). Transports (NBD) sit in front of this interface; it knows nothing of them.
 *
 * <p>Offsets and lengths are in bytes and must be multiples of {@link #SECTOR_SIZE}. Every method
 * returns at once; the future completes (possibly already, possibly on another thread) when the
 * whole request has completed. A failed request completes exceptionally with a
 * {@link org.dmd.core.errno.DmException} carrying the errno the kernel's bio ends with:
 * EINVAL for a range beyond the device's end or not sector-aligned, EPERM for a write to a
 * read-only table ({@code blk-core.c: bio_check_ro}), EIO for the error target, a failed mirror
 * leg, a flakey device that is down, or a device removed while the request waited, ENXIO for a
 * device with no live table. While the device is suspended new requests wait (they are not
 * failed); resume releases them onto the table then live.
 *
 * <p>Buffers: bytes {@code [position, limit)} of the buffer are read into or written from; the
 * buffer's position and limit are not changed, and the caller must not touch the buffer until the
 * future completes.
 */
public interface DeviceIo {

    /** The logical block size: every offset and length is a multiple of it. */
    int SECTOR_SIZE = 512;

    /** The size in bytes of the live table now; 0 without one. */
    long size();

    /** True when the live table is read-only: writes, discards and write-zeroes fail with EPERM. */
    boolean readOnly();

    /** Reads {@code into.remaining()} bytes starting at {@code offset}. */
    CompletableFuture<Void> read(long offset, ByteBuffer into);

    /** Writes {@code from.remaining()} bytes at {@code offset}; {@code fua} forces them to stable storage first. */
    CompletableFuture<Void> write(long offset, ByteBuffer from, boolean fua);

    /** Completes once every write completed before it is on stable storage ({@code REQ_PREFLUSH}). */
    CompletableFuture<Void> flush();

    /** Discards {@code length} bytes at {@code offset} ({@code REQ_OP_DISCARD}); reads of them afterwards are unspecified. */
    CompletableFuture<Void> discard(long offset, long length);

    /** Writes {@code length} zero bytes at {@code offset} ({@code REQ_OP_WRITE_ZEROES}). */
    CompletableFuture<Void> writeZeroes(long offset, long length);
}

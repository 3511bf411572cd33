package org.dmd.core.block;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.dmd.core.io.Bio;
import org.dmd.core.minor.DeviceNumber;

/**
 * One open of a loop device (a table's): its bios become positional reads and writes of the
 * backing file ({@code drivers/block/loop.c} with direct I/O off), in the submitting thread.
 * Flush and FUA force the file's data to stable storage ({@code vfs_fsync}); discard and
 * write-zeroes write zeros, so reads of the range afterwards return zeros either way.
 *
 * <p>Thread safety: positional FileChannel I/O is safe from many threads. A thread interrupted
 * inside a channel operation closes the channel for everyone (the JDK's interruptible channels):
 * that bio fails with EIO and the channel is opened again for the next bios. {@link #channel} is
 * replaced under {@code this}; closing the open is final.
 */
final class LoopIo implements BlockDevice {

    /** Zeros that discard and write-zeroes write from; read-only, duplicated per use. */
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(256 * 1024).asReadOnlyBuffer();

    private final LoopDevice loop;
    private final Runnable release;
    /** The open channel; replaced under this after an interrupt closed it. */
    private volatile FileChannel channel;
    /** Guarded by this. */
    private boolean closed;

    private LoopIo(LoopDevice loop, FileChannel channel, Runnable release) {
        this.loop = loop;
        this.channel = channel;
        this.release = release;
    }

    /** Opens the backing file (read-only for a read-only loop device): EIO if it cannot be opened. */
    static LoopIo open(LoopDevice loop, Runnable release) throws DmException {
        return new LoopIo(loop, openChannel(loop), release);
    }

    private static FileChannel openChannel(LoopDevice loop) throws DmException {
        try {
            return loop.readOnly() ? FileChannel.open(loop.file(), StandardOpenOption.READ)
                    : FileChannel.open(loop.file(), StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (IOException | SecurityException e) {
            throw new DmException(Errno.EIO, "%s: cannot open %s: %s", loop.path(), loop.file(), e.getMessage());
        }
    }

    @Override
    public DeviceNumber number() {
        return loop.number();
    }

    @Override
    public long sectors() {
        return loop.sectors();
    }

    @Override
    public void submit(Bio bio) {
        DmException failure = null;
        if (bio.op().writes() && loop.readOnly()) {
            failure = new DmException(Errno.EPERM, "%s is read-only", loop.path());
        } else if (bio.sector() > loop.sectors() || bio.sectors() > loop.sectors() - bio.sector()) {
            failure = new DmException(Errno.EINVAL, "%s: sectors %d+%d are beyond its end (%d sectors)", loop.path(),
                    bio.sector(), bio.sectors(), loop.sectors());
        } else {
            FileChannel ch = channel;
            try {
                transfer(ch, bio);
            } catch (IOException e) {
                if (e instanceof ClosedByInterruptException) {
                    reopen(ch);
                }
                failure = new DmException(Errno.EIO, "%s: %s of %s failed: %s", loop.path(), bio.op(), loop.file(), e);
            }
        }
        bio.end(failure);
    }

    private void transfer(FileChannel ch, Bio bio) throws IOException {
        long position = bio.sector() * Bio.SECTOR_BYTES;
        switch (bio.op()) {
            case READ -> {
                ByteBuffer into = bio.data();
                while (into.hasRemaining()) {
                    if (ch.read(into, position + into.position()) < 0) {
                        // The file shrank under the loop device: the rest reads as zeros.
                        while (into.hasRemaining()) {
                            into.put((byte) 0);
                        }
                    }
                }
            }
            case WRITE -> {
                ByteBuffer from = bio.data();
                while (from.hasRemaining()) {
                    ch.write(from, position + from.position());
                }
            }
            case DISCARD, WRITE_ZEROES -> {
                for (long done = 0, bytes = bio.bytes(); done < bytes; ) {
                    ByteBuffer zeros = ZEROS.duplicate();
                    zeros.limit((int) Math.min(zeros.capacity(), bytes - done));
                    while (zeros.hasRemaining()) {
                        done += ch.write(zeros, position + done);
                    }
                }
            }
            case FLUSH -> {
            }
        }
        if (bio.op() == Bio.Op.FLUSH || bio.fua()) {
            ch.force(false);
        }
    }

    /** Opens the channel again after an interrupt closed {@code broken}, unless that was done or the open closed. */
    private synchronized void reopen(FileChannel broken) {
        if (closed || channel != broken) {
            return;
        }
        try {
            channel = openChannel(loop);
        } catch (DmException e) {
            // The next bio fails on the closed channel and tries again.
        }
    }

    @Override
    public void close() {
        FileChannel ch;
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException(loop.path() + " closed twice");
            }
            closed = true;
            ch = channel;
        }
        try {
            ch.close();
        } catch (IOException e) {
            // Nothing was buffered: positional writes went to the file as they were made.
        } finally {
            release.run();
        }
    }

    @Override
    public String toString() {
        return loop.path();
    }
}

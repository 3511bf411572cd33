package org.dmd.core.journal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A file channel on a file system with {@code free} bytes left, shared by every channel opened
 * with the same counter: a write that would grow a file past it fails as write(2) does with
 * ENOSPC, writing nothing. Overwriting bytes the file already has needs no space.
 */
final class LimitedChannel extends FileChannel {

    private final FileChannel file;
    private final AtomicLong free;

    private LimitedChannel(FileChannel file, AtomicLong free) {
        this.file = file;
        this.free = free;
    }

    /** An opener for {@link StateJournal.Options#withOpener}. */
    static StateJournal.ChannelOpener opener(AtomicLong free) {
        return path -> new LimitedChannel(FileChannel.open(path, java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE), free);
    }

    private void take(long position, long bytes) throws IOException {
        long growth = Math.max(0, position + bytes - file.size());
        if (growth == 0) {
            return;
        }
        long left;
        do {
            left = free.get();
            if (growth > left) {
                throw new IOException("No space left on device");
            }
        } while (!free.compareAndSet(left, left - growth));
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        return file.read(dst);
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        return file.read(dsts, offset, length);
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        take(file.position(), src.remaining());
        return file.write(src);
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        long bytes = 0;
        for (int i = offset; i < offset + length; i++) {
            bytes += srcs[i].remaining();
        }
        take(file.position(), bytes);
        return file.write(srcs, offset, length);
    }

    @Override
    public long position() throws IOException {
        return file.position();
    }

    @Override
    public FileChannel position(long newPosition) throws IOException {
        file.position(newPosition);
        return this;
    }

    @Override
    public long size() throws IOException {
        return file.size();
    }

    @Override
    public FileChannel truncate(long size) throws IOException {
        long before = file.size();
        file.truncate(size);
        free.addAndGet(Math.max(0, before - file.size()));
        return this;
    }

    @Override
    public void force(boolean metaData) throws IOException {
        file.force(metaData);
    }

    @Override
    public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
        return file.transferTo(position, count, target);
    }

    @Override
    public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
        throw new UnsupportedOperationException("not used by the journal");
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        return file.read(dst, position);
    }

    @Override
    public int write(ByteBuffer src, long position) throws IOException {
        take(position, src.remaining());
        return file.write(src, position);
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
        throw new UnsupportedOperationException("not used by the journal");
    }

    @Override
    public FileLock lock(long position, long size, boolean shared) throws IOException {
        return file.lock(position, size, shared);
    }

    @Override
    public FileLock tryLock(long position, long size, boolean shared) throws IOException {
        return file.tryLock(position, size, shared);
    }

    @Override
    protected void implCloseChannel() throws IOException {
        file.close();
    }
}

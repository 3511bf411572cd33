package org.dmd.core.target;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.dmd.core.io.Bio;
import org.dmd.core.minor.DeviceNumber;

/**
 * A block device in memory for data-path tests: bios run on the submitting thread. Counts the
 * writes it took. Thread-safe: bios touch the array under this.
 */
public final class MemoryDevice implements TableDevice {

    private final DeviceNumber number;
    private final byte[] bytes;
    private final int logicalBlockSize;
    private final AtomicInteger writes = new AtomicInteger();

    public MemoryDevice(DeviceNumber number, long sectors, int logicalBlockSize) {
        this.number = number;
        this.bytes = new byte[Math.toIntExact(sectors * Bio.SECTOR_BYTES)];
        this.logicalBlockSize = logicalBlockSize;
    }

    public static MemoryDevice of(int major, int minor, long sectors) {
        return new MemoryDevice(new DeviceNumber(major, minor), sectors, 512);
    }

    @Override
    public void submit(Bio bio) {
        long end = bio.sector() + bio.sectors();
        if (end > sectors()) {
            bio.end(new DmException(Errno.EINVAL, "%s beyond the end of %s", bio, number));
            return;
        }
        int at = Math.toIntExact(bio.sector() * Bio.SECTOR_BYTES);
        synchronized (this) {
            switch (bio.op()) {
                case READ -> bio.data().duplicate().put(bytes, at, (int) bio.bytes());
                case WRITE -> {
                    bio.data().duplicate().get(bytes, at, (int) bio.bytes());
                    writes.incrementAndGet();
                }
                case DISCARD, WRITE_ZEROES -> java.util.Arrays.fill(bytes, at, at + (int) bio.bytes(), (byte) 0);
                case FLUSH -> { }
            }
        }
        bio.end(null);
    }

    /** A copy of {@code length} bytes at byte {@code offset}. */
    public synchronized byte[] bytes(long offset, int length) {
        byte[] copy = new byte[length];
        System.arraycopy(bytes, Math.toIntExact(offset), copy, 0, length);
        return copy;
    }

    /** Fills {@code length} bytes at {@code offset} with {@code value}, as if written from outside. */
    public synchronized void fill(long offset, int length, byte value) {
        java.util.Arrays.fill(bytes, Math.toIntExact(offset), Math.toIntExact(offset + length), value);
    }

    /** Little-endian view of the whole device, for layout checks. */
    public synchronized ByteBuffer snapshot() {
        return ByteBuffer.wrap(bytes.clone()).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    }

    public int writes() {
        return writes.get();
    }

    @Override
    public DeviceNumber number() {
        return number;
    }

    @Override
    public long sectors() {
        return bytes.length / Bio.SECTOR_BYTES;
    }

    @Override
    public int logicalBlockSize() {
        return logicalBlockSize;
    }
}

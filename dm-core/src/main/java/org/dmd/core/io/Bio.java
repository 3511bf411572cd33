package org.dmd.core.io;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.dmd.core.target.TableDevice;

/**
 * One block I/O ({@code struct bio}): an operation on a range of sectors of the device it is
 * addressed to, the data it carries, and whom to tell when it ends ({@code bi_end_io}).
 *
 * <p>Life of a bio in dmd: device-mapper core splits each request at target boundaries and at
 * {@link org.dmd.core.target.Target#maxIoLen()} into clones ({@link #clone}), and hands every clone
 * to its target's {@link org.dmd.core.target.Target#map map}. There {@link #sector()} is the sector
 * in the mapped device and {@link #targetSector()} the same sector counted from the target's start
 * ({@code dm_target_offset}). The target either
 * <ul>
 *   <li>remaps it: {@code return bio.remap(device, sector)}; core then submits it to that
 *       {@link TableDevice} ({@code DM_MAPIO_REMAPPED});</li>
 *   <li>takes it: returns {@link MapResult#SUBMITTED} and later calls {@link #end} exactly once, on
 *       any thread, typically from the end of bios it made with {@link #clone} and submitted itself
 *       (mirror legs, delayed bios, copy-on-write);</li>
 *   <li>fails it: {@code return bio.kill(Errno.EIO, "why")} ({@code DM_MAPIO_KILL});</li>
 *   <li>pushes it back: {@link MapResult#REQUEUE}: during a {@code --noflush} suspend the whole
 *       request goes back on the device's deferred list and is mapped again after resume; at any
 *       other time it fails with EIO, as {@code dm.c: __dm_io_complete} does.</li>
 * </ul>
 *
 * <p>Data: {@link Op#READ} and {@link Op#WRITE} carry {@link #data()}, a buffer of exactly
 * {@code sectors() * 512} bytes from position 0, shared with the request (a read fills it, a write
 * takes from it). Whoever holds the bio may move that buffer's position and limit; anyone who
 * needs them again (a retry) takes a fresh {@link #clone}. Flush, discard and write-zeroes carry
 * none. Flags: {@link #fua()} ({@code REQ_FUA}: the write is on stable storage when it ends),
 * {@link #preflush()} ({@code REQ_PREFLUSH}: every write that ended before this bio was submitted
 * is on stable storage before this one runs).
 *
 * <p>Thread safety: a bio is handed from thread to thread (submitter, target, completer) with
 * happens-before at each hand-off (a queue, an executor, a future); only one holds it at a time.
 * {@link #end} may race with nothing but itself, and a second end is a bug that throws.
 */
public final class Bio {

    /** The operation ({@code REQ_OP_*}). */
    public enum Op {
        READ, WRITE, FLUSH, DISCARD, WRITE_ZEROES;

        /** True for the operations a read-only device refuses ({@code op_is_write}); an empty flush is not one. */
        public boolean writes() {
            return this == WRITE || this == DISCARD || this == WRITE_ZEROES;
        }

        /** True for the operations that carry a data buffer. */
        public boolean hasData() {
            return this == READ || this == WRITE;
        }
    }

    /** Called once when a bio ends ({@code bi_end_io}); {@code error} is null on success. */
    @FunctionalInterface
    public interface EndIo {
        void ended(Bio bio, DmException error);
    }

    /** Bytes per sector: bio sectors are always 512 bytes, whatever the device's logical block size. */
    public static final int SECTOR_BYTES = 512;

    private static final VarHandle ENDED;

    static {
        try {
            ENDED = MethodHandles.lookup().findVarHandle(Bio.class, "ended", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Op op;
    private final long sectors;
    private final ByteBuffer data;
    private final boolean fua;
    private final boolean preflush;
    private final EndIo endIo;
    private long sector;
    private long targetSector;
    private int targetBioNr;
    private TableDevice device;
    private DmException killed;
    /** Set once, by the first {@link #end}. */
    @SuppressWarnings("unused")
    private volatile boolean ended;

    private Bio(Op op, long sector, long sectors, ByteBuffer data, boolean fua, boolean preflush, EndIo endIo) {
        if (sector < 0 || sectors < 0 || (op == Op.FLUSH && sectors != 0)) {
            throw new IllegalArgumentException(op + " of " + sectors + " sectors at " + sector);
        }
        if (op.hasData() && (data == null || data.remaining() != sectors * SECTOR_BYTES)) {
            throw new IllegalArgumentException(op + " of " + sectors + " sectors needs " + sectors * SECTOR_BYTES
                    + " bytes of data, not " + (data == null ? "none" : data.remaining()));
        }
        this.op = op;
        this.sector = sector;
        this.sectors = sectors;
        this.data = data == null ? null : data.slice();
        this.fua = fua;
        this.preflush = preflush || op == Op.FLUSH;
        this.endIo = endIo;
    }

    /** A read of {@code into.remaining() / 512} sectors at {@code sector} into bytes [position, limit) of {@code into}. */
    public static Bio read(long sector, ByteBuffer into, EndIo endIo) {
        return new Bio(Op.READ, sector, into.remaining() / SECTOR_BYTES, into, false, false, endIo);
    }

    /** A write of bytes [position, limit) of {@code from} at {@code sector}, with the given flags. */
    public static Bio write(long sector, ByteBuffer from, boolean fua, boolean preflush, EndIo endIo) {
        return new Bio(Op.WRITE, sector, from.remaining() / SECTOR_BYTES, from, fua, preflush, endIo);
    }

    /** An empty flush ({@code REQ_OP_FLUSH | REQ_PREFLUSH}, no data). */
    public static Bio flush(EndIo endIo) {
        return new Bio(Op.FLUSH, 0, 0, null, false, true, endIo);
    }

    /** A discard of {@code sectors} at {@code sector}. */
    public static Bio discard(long sector, long sectors, EndIo endIo) {
        return new Bio(Op.DISCARD, sector, sectors, null, false, false, endIo);
    }

    /** A write of {@code sectors} zero sectors at {@code sector}. */
    public static Bio writeZeroes(long sector, long sectors, boolean fua, EndIo endIo) {
        return new Bio(Op.WRITE_ZEROES, sector, sectors, null, fua, false, endIo);
    }

    /**
     * A new bio for sectors {@code [skip, skip + sectors)} of this one ({@code bio_alloc_clone} and
     * {@code bio_trim}): the same operation and FUA flag, a slice of the same data, addressed to
     * this bio's sector plus {@code skip}, ended through {@code endIo}. PREFLUSH stays only on an
     * empty flush (core has already flushed before splitting a data bio).
     */
    public Bio clone(long skip, long sectors, EndIo endIo) {
        if (skip < 0 || sectors < 0 || skip + sectors > this.sectors) {
            throw new IllegalArgumentException("sectors " + skip + "+" + sectors + " of a bio of " + this.sectors);
        }
        ByteBuffer part = null;
        if (data != null) {
            part = data.duplicate().limit((int) ((skip + sectors) * SECTOR_BYTES)).position((int) (skip * SECTOR_BYTES));
        }
        return new Bio(op, sector + skip, sectors, part, fua, op == Op.FLUSH, endIo);
    }

    public Op op() {
        return op;
    }

    /** The first sector, on the device this bio is addressed to now. */
    public long sector() {
        return sector;
    }

    /** Length in 512-byte sectors (0 for a flush). */
    public long sectors() {
        return sectors;
    }

    /** Length in bytes. */
    public long bytes() {
        return sectors * SECTOR_BYTES;
    }

    /** The data of a read or write, {@link #bytes()} long from position 0; null for other operations. */
    public ByteBuffer data() {
        return data;
    }

    public boolean fua() {
        return fua;
    }

    public boolean preflush() {
        return preflush;
    }

    /** While a target maps this bio: its sector counted from the target's first sector ({@code dm_target_offset}). */
    public long targetSector() {
        return targetSector;
    }

    /**
     * For an empty flush: which of the target's {@link org.dmd.core.target.Target#flushBios()}
     * flush bios this is, from 0 ({@code dm_bio_get_target_bio_nr}); 0 otherwise.
     */
    public int targetBioNr() {
        return targetBioNr;
    }

    /** The device a target remapped this bio to, or null. */
    public TableDevice device() {
        return device;
    }

    /**
     * Remaps this bio to {@code sector} of {@code device} ({@code bio_set_dev}, {@code bi_sector});
     * return what this returns from {@code map}.
     */
    public MapResult remap(TableDevice device, long sector) {
        this.device = device;
        this.sector = sector;
        return MapResult.REMAPPED;
    }

    /** Fails this bio with {@code errno}; return what this returns from {@code map}. */
    public MapResult kill(Errno errno, String format, Object... args) {
        this.killed = new DmException(errno, format, args);
        return MapResult.KILL;
    }

    /** Why {@link #kill} failed this bio; null if it did not. */
    public DmException killed() {
        return killed;
    }

    /**
     * Ends this bio: {@code error} null for success. Call exactly once; a second call throws
     * {@link IllegalStateException} (a bio completed twice is a bug, never a race to tolerate).
     */
    public void end(DmException error) {
        if (!ENDED.compareAndSet(this, false, true)) {
            throw new IllegalStateException("bio ended twice: " + this);
        }
        endIo.ended(this, error);
    }

    /** Fills the data of a read with zeros ({@code zero_fill_bio}). */
    public void zeroFill() {
        for (int i = 0, n = data.limit(); i < n; ) {
            if (n - i >= Long.BYTES) {
                data.putLong(i, 0L);
                i += Long.BYTES;
            } else {
                data.put(i++, (byte) 0);
            }
        }
    }

    /** Positions a clone on its target before {@code map} (device-mapper core only). */
    public void aim(long targetSector, int targetBioNr) {
        this.targetSector = targetSector;
        this.targetBioNr = targetBioNr;
    }

    @Override
    public String toString() {
        return op + " " + sector + "+" + sectors + (fua ? " FUA" : "") + (preflush && op != Op.FLUSH ? " PREFLUSH" : "")
                + (device == null ? "" : " on " + device.number());
    }
}

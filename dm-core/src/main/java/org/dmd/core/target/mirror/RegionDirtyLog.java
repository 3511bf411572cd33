package org.dmd.core.target.mirror;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLong;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.dmd.core.target.DirtyLog;
import org.dmd.core.target.TableDevice;
import org.dmd.core.target.support.Numbers;

/**
 * The {@code core} and {@code disk} dirty logs: a bitmap of regions, kept in memory or mirrored
 * to a log device. A fresh disk log device is taken to be blank (no log header), so both kinds
 * start with every region out of sync unless {@code nosync} was given.
 *
 * <p>Thread safety: everything is final except {@link #syncCount}, an atomic.
 */
final class RegionDirtyLog implements DirtyLog {

    /** The optional last argument ({@code enum sync} in the kernel). */
    enum SyncMode {
        DEFAULT(""), NOSYNC("nosync"), FORCESYNC("sync");

        final String word;

        SyncMode(String word) {
            this.word = word;
        }
    }

    private static final long LOG_OFFSET_BYTES = 2 * 512;

    private final String typeName;
    private final Optional<TableDevice> logDevice;
    private final long regionSize;
    private final long regionCount;
    private final SyncMode sync;
    private final AtomicLong syncCount;

    private RegionDirtyLog(String typeName, Optional<TableDevice> logDevice, long regionSize, long regionCount,
                           SyncMode sync) {
        this.typeName = typeName;
        this.logDevice = logDevice;
        this.regionSize = regionSize;
        this.regionCount = regionCount;
        this.sync = sync;
        this.syncCount = new AtomicLong(sync == SyncMode.NOSYNC ? regionCount : 0);
    }

    /**
     * {@code create_log_context}: {@code <region size> [[no]sync]}, checked in the kernel's order
     * (the sync word first). The errors are the kernel's warnings, all EINVAL.
     */
    static RegionDirtyLog create(String typeName, Optional<TableDevice> logDevice, long targetLength,
                                 List<String> args) throws DmException {
        if (args.isEmpty() || args.size() > 2) {
            throw new DmException(Errno.EINVAL, "wrong number of arguments to dirty region log");
        }
        SyncMode sync = SyncMode.DEFAULT;
        if (args.size() > 1) {
            sync = parseSync(args.get(1));
        }
        OptionalLong regionSize = Numbers.scanUnsignedInt(args.get(0));
        if (regionSize.isEmpty() || !validRegionSize(regionSize.getAsLong(), targetLength)) {
            throw new DmException(Errno.EINVAL, "invalid region size " + args.get(0));
        }
        long size = regionSize.getAsLong();
        long count = (targetLength + size - 1) / size;
        if (logDevice.isPresent()) {
            checkLogDeviceSize(logDevice.get(), count);
        }
        return new RegionDirtyLog(typeName, logDevice, size, count, sync);
    }

    private static SyncMode parseSync(String word) throws DmException {
        for (SyncMode mode : List.of(SyncMode.FORCESYNC, SyncMode.NOSYNC)) {
            if (mode.word.equals(word)) {
                return mode;
            }
        }
        throw new DmException(Errno.EINVAL, "unrecognised sync argument to dirty region log: " + word);
    }

    private static boolean validRegionSize(long regionSize, long targetLength) {
        return regionSize >= 2 && regionSize <= targetLength && Long.bitCount(regionSize) == 1;
    }

    /** The on-disk log is a two-sector header then the bitmap, padded to the logical block size. */
    private static void checkLogDeviceSize(TableDevice device, long regionCount) throws DmException {
        long bitsetBytes = roundUp(regionCount, Long.SIZE) / Byte.SIZE;
        long needed = roundUp(LOG_OFFSET_BYTES + bitsetBytes, device.logicalBlockSize());
        if (needed > device.sectors() * 512) {
            throw new DmException(Errno.EINVAL,
                    "log device " + device.number() + " too small: need " + needed + " bytes");
        }
    }

    private static long roundUp(long value, long multiple) {
        return (value + multiple - 1) / multiple * multiple;
    }

    @Override
    public String table() {
        List<String> words = new ArrayList<>();
        logDevice.ifPresent(device -> words.add(device.number().toString()));
        words.add(Long.toString(regionSize));
        if (sync != SyncMode.DEFAULT) {
            words.add(sync.word);
        }
        return typeName + " " + words.size() + " " + String.join(" ", words);
    }

    @Override
    public String status() {
        // A dmd log device never fails, so it is always 'A'live.
        return logDevice.map(device -> "3 " + typeName + " " + device.number() + " A").orElse("1 " + typeName);
    }

    @Override
    public long regionSize() {
        return regionSize;
    }

    @Override
    public long syncCount() {
        return syncCount.get();
    }

    @Override
    public void markAllInSync() {
        syncCount.set(regionCount);
    }
}

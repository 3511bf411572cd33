package org.dmd.core.block;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import org.dmd.core.concurrent.LockRank;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.dmd.core.minor.DeviceNumber;

/**
 * The loop devices (major 7): files attached as block devices, like {@code losetup}.
 *
 * <p>Invariants: loop minors are unique and the lowest free one is used; a loop device held open
 * (by a table) cannot be detached. Guarded by {@code this} (rank {@link LockRank#LOOP}): the map
 * and every device's open count. The file is examined before the lock is taken.
 */
public final class LoopDevices {

    public static final int LOOP_MAJOR = 7;

    /** Guarded by this. */
    private final TreeMap<Integer, LoopDevice> attached = new TreeMap<>();

    /** {@code losetup -f FILE}: the file must exist and be a regular file; its size is taken now. */
    public LoopDevice attach(Path file, boolean readOnly) throws DmException {
        return attach(file, readOnly, -1);
    }

    /**
     * {@code losetup /dev/loopN FILE}: as {@link #attach(Path, boolean)} at minor {@code wanted}
     * (EBUSY if it is attached), or at the lowest free minor when {@code wanted} is negative.
     */
    public LoopDevice attach(Path file, boolean readOnly, int wanted) throws DmException {
        Path absolute = file.toAbsolutePath().normalize();
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(absolute, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            throw new DmException(Errno.ENOENT, "%s: no such file", absolute);
        } catch (IOException | SecurityException e) {
            throw new DmException(Errno.EACCES, "%s: cannot be read: %s", absolute, e.getMessage());
        }
        if (!attributes.isRegularFile()) {
            throw new DmException(Errno.EINVAL, "%s is not a regular file", absolute);
        }
        if (!Files.isReadable(absolute) || (!readOnly && !Files.isWritable(absolute))) {
            throw new DmException(Errno.EACCES, "%s: permission denied%s", absolute,
                    readOnly ? "" : " (attach it read-only?)");
        }
        long sectors = attributes.size() / 512;
        synchronized (this) {
            assert LockRank.LOOP.acquired();
            int minor = Math.max(wanted, 0);
            while (wanted < 0 && attached.containsKey(minor)) {
                minor++;
            }
            if (attached.containsKey(minor)) {
                assert LockRank.LOOP.released();
                throw new DmException(Errno.EBUSY, "/dev/loop%d is already attached", minor);
            }
            LoopDevice loop = new LoopDevice(new DeviceNumber(LOOP_MAJOR, minor), absolute, sectors, readOnly);
            attached.put(minor, loop);
            assert LockRank.LOOP.released();
            return loop;
        }
    }

    /** {@code losetup -d}: ENXIO if not attached, EBUSY while a table holds it open. */
    public void detach(int minor) throws DmException {
        int open;
        boolean found;
        synchronized (this) {
            assert LockRank.LOOP.acquired();
            LoopDevice loop = attached.get(minor);
            found = loop != null;
            open = found ? loop.openCount : 0;
            if (found && open == 0) {
                attached.remove(minor);
            }
            assert LockRank.LOOP.released();
        }
        if (!found) {
            throw new DmException(Errno.ENXIO, "/dev/loop%d is not attached", minor);
        }
        if (open > 0) {
            throw new DmException(Errno.EBUSY, "/dev/loop%d is in use (held open %d time%s by device-mapper tables)",
                    minor, open, open == 1 ? "" : "s");
        }
    }

    /** Attached loop devices in minor order, with their open counts. */
    public synchronized List<Attached> list() {
        List<Attached> out = new ArrayList<>(attached.size());
        for (LoopDevice loop : attached.values()) {
            out.add(new Attached(loop, loop.openCount));
        }
        return out;
    }

    /** A loop device and its open count at listing time. */
    public record Attached(LoopDevice loop, int openCount) {
    }

    /**
     * Opens a loop device for a table, with its backing file: ENXIO if none is attached at that
     * minor, EIO if the file cannot be opened.
     */
    public BlockDevice open(int minor) throws DmException {
        LoopDevice loop;
        synchronized (this) {
            assert LockRank.LOOP.acquired();
            loop = attached.get(minor);
            if (loop != null) {
                loop.openCount++;
            }
            assert LockRank.LOOP.released();
        }
        if (loop == null) {
            throw new DmException(Errno.ENXIO, "/dev/loop%d is not attached", minor);
        }
        try {
            return LoopIo.open(loop, () -> close(loop));
        } catch (DmException e) {
            close(loop);
            throw e;
        }
    }

    private synchronized void close(LoopDevice loop) {
        loop.openCount--;
    }
}

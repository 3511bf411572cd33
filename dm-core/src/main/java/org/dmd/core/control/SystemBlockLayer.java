package org.dmd.core.control;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import org.dmd.core.block.BlockDevice;
import org.dmd.core.block.BlockLayer;
import org.dmd.core.block.LoopDevices;
import org.dmd.core.device.DeviceIndex;
import org.dmd.core.device.DeviceRef;
import org.dmd.core.device.Lifecycle;
import org.dmd.core.device.MappedDevice;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.dmd.core.minor.DeviceNumber;
import org.dmd.core.minor.MinorTable;

/**
 * dmd's block layer: loop devices (major 7) and mapped devices (the dm major), named the ways a
 * table may name them. This is the {@code lookup_bdev} + {@code blkdev_get_by_dev} of
 * {@code dm_get_device}. A mapped device is a block device only once its first table load has
 * registered its disk: before that it has no {@code /dev/dm-N} or {@code /dev/mapper/NAME} node
 * (ENOENT) and opening its number finds no disk (ENXIO).
 */
final class SystemBlockLayer implements BlockLayer {

    private static final String LOOP_PREFIX = "/dev/loop";
    private static final String DM_PREFIX = "/dev/dm-";
    private static final String MAPPER_PREFIX = "/dev/mapper/";

    private final LoopDevices loops;
    private final MinorTable<MappedDevice> minors;
    private final DeviceIndex index;
    private final Lifecycle lifecycle;
    private final int dmMajor;

    SystemBlockLayer(LoopDevices loops, MinorTable<MappedDevice> minors, DeviceIndex index, Lifecycle lifecycle,
                     int dmMajor) {
        this.loops = loops;
        this.minors = minors;
        this.index = index;
        this.lifecycle = lifecycle;
        this.dmMajor = dmMajor;
    }

    @Override
    public DeviceNumber resolve(String path) throws DmException {
        if (path.indexOf(':') > 0 && path.charAt(0) != '/') {
            return DeviceNumber.parse(path);
        }
        if (path.startsWith(LOOP_PREFIX) && isNumber(path.substring(LOOP_PREFIX.length()))) {
            int minor = Integer.parseInt(path.substring(LOOP_PREFIX.length()));
            if (minor > DeviceNumber.MAX_MINOR) {
                // Beyond the 20 bits of a minor no node can exist.
                throw new DmException(Errno.ENOENT, "%s: no such block device", path);
            }
            return new DeviceNumber(LoopDevices.LOOP_MAJOR, minor);
        }
        if (path.startsWith(DM_PREFIX) && isNumber(path.substring(DM_PREFIX.length()))) {
            int minor = Integer.parseInt(path.substring(DM_PREFIX.length()));
            MappedDevice device = minors.get(minor);
            if (device != null) {
                try {
                    if (device.diskAdded()) {
                        return device.number();
                    }
                } finally {
                    minors.put(device);
                }
            }
            throw new DmException(Errno.ENOENT, "%s: no such block device", path);
        }
        if (path.startsWith(MAPPER_PREFIX) && path.length() > MAPPER_PREFIX.length()) {
            String name = path.substring(MAPPER_PREFIX.length());
            if (name.equals("control")) {
                throw new DmException(Errno.ENOTBLK, "%s is the control node, not a block device", path);
            }
            try (DeviceRef ref = index.find(name, null, null)) {
                if (ref.device().diskAdded()) {
                    return ref.device().number();
                }
            } catch (DmException missing) {
                // reported below
            }
            throw new DmException(Errno.ENOENT, "%s: no such device", path);
        }
        if (path.startsWith("/") && exists(path)) {
            throw new DmException(Errno.ENOTBLK, "%s is not a block device", path);
        }
        throw new DmException(Errno.ENOENT, "%s: no such device (name devices as MAJ:MIN, /dev/loopN, "
                + "/dev/dm-N or /dev/mapper/NAME)", path);
    }

    @Override
    public BlockDevice open(DeviceNumber number) throws DmException {
        if (number.major() == LoopDevices.LOOP_MAJOR) {
            return loops.open(number.minor());
        }
        if (number.major() == dmMajor) {
            MappedDevice device = minors.open(number.minor());
            if (!device.diskAdded()) {
                lifecycle.closeFromTable(device);
                throw new DmException(Errno.ENXIO, "no block device %s: the mapped device has never had a table",
                        number);
            }
            // A mapped device held open by a table of another.
            return BlockDevice.open(device.number(), device::sectors,
                    device::submit,
                    () -> lifecycle.closeFromTable(device),
                    device.toString());
        }
        throw new DmException(Errno.ENXIO, "no block device %s", number);
    }

    /** Whether a file is at {@code path}; a path no file can have (one with a NUL) names none. */
    private static boolean exists(String path) {
        try {
            return Files.exists(Path.of(path));
        } catch (InvalidPathException e) {
            return false;
        }
    }

    private static boolean isNumber(String s) {
        return !s.isEmpty() && s.length() <= 7 && s.chars().allMatch(c -> c >= '0' && c <= '9');
    }
}

package org.dmd.core.block;

import org.dmd.core.errno.DmException;
import org.dmd.core.minor.DeviceNumber;

/** What tables need of the block layer: naming devices and opening them. */
public interface BlockLayer {

    /**
     * Resolves {@code MAJ:MIN}, {@code /dev/loopN}, {@code /dev/dm-N} or {@code /dev/mapper/NAME}
     * to a device number: ENOENT for a path that names no device node, EINVAL for other text.
     */
    DeviceNumber resolve(String path) throws DmException;

    /** Opens a device: ENXIO if no device has that number, or a mapped device is being removed. */
    BlockDevice open(DeviceNumber number) throws DmException;
}

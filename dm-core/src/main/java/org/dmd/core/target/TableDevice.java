package org.dmd.core.target;

import org.dmd.core.minor.DeviceNumber;

/** An underlying block device opened by a table ({@code struct dm_dev}). */
public interface TableDevice {

    DeviceNumber number();

    /** Size in 512-byte sectors. */
    long sectors();

    /** Logical block size in bytes (512 for every dmd block device). */
    default int logicalBlockSize() {
        return 512;
    }
}

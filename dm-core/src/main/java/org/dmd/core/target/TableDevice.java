package org.dmd.core.target;

import org.dmd.core.io.Bio;
import org.dmd.core.minor.DeviceNumber;

/** An underlying block device opened by a table ({@code struct dm_dev}). */
public interface TableDevice {

    /**
     * Submits {@code bio}, addressed to sectors of this device, and returns; the bio ends through
     * its {@link Bio.EndIo} once done, possibly before this returns ({@code submit_bio_noacct}).
     * A loop device reads and writes its file; a mapped device (stacking) runs the bio through its
     * own bio path, where it may wait while that device is suspended. Never throws: every failure
     * (EINVAL beyond the device's end, EPERM on a read-only device, EIO) ends the bio.
     */
    void submit(Bio bio);

    DeviceNumber number();

    /** Size in 512-byte sectors. */
    long sectors();

    /** Logical block size in bytes (512 for every dmd block device). */
    default int logicalBlockSize() {
        return 512;
    }
}

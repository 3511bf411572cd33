package org.dmd.core.target;

import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.dmd.core.io.Bio;
import org.dmd.core.minor.DeviceNumber;

/** A block device of a given size for tests of the control path: its bios fail with EIO. */
public record FakeDevice(DeviceNumber number, long sectors, int logicalBlockSize) implements TableDevice {

    @Override
    public void submit(Bio bio) {
        bio.end(new DmException(Errno.EIO, "%s is a fake device without data", number));
    }

    public static FakeDevice of(int major, int minor, long sectors) {
        return new FakeDevice(new DeviceNumber(major, minor), sectors, 512);
    }
}

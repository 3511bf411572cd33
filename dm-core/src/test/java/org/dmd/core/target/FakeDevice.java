package org.dmd.core.target;

import org.dmd.core.minor.DeviceNumber;

/** A block device of a given size for tests. */
public record FakeDevice(DeviceNumber number, long sectors, int logicalBlockSize) implements TableDevice {

    public static FakeDevice of(int major, int minor, long sectors) {
        return new FakeDevice(new DeviceNumber(major, minor), sectors, 512);
    }
}

package org.dmd.core.block;

import java.nio.file.Path;
import org.dmd.core.minor.DeviceNumber;

/** An attached loop device: /dev/loopN over a regular file, sized from the file at attach time. */
public final class LoopDevice {

    private final DeviceNumber number;
    private final Path file;
    private final long sectors;
    private final boolean readOnly;
    /** Guarded by the owning {@link LoopDevices}' lock. */
    int openCount;

    LoopDevice(DeviceNumber number, Path file, long sectors, boolean readOnly) {
        this.number = number;
        this.file = file;
        this.sectors = sectors;
        this.readOnly = readOnly;
    }

    public DeviceNumber number() {
        return number;
    }

    /** {@code /dev/loopN}. */
    public String path() {
        return "/dev/loop" + number.minor();
    }

    public Path file() {
        return file;
    }

    public long sectors() {
        return sectors;
    }

    public boolean readOnly() {
        return readOnly;
    }
}

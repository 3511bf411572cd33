package org.dmd.core.target.support;

import org.dmd.core.errno.DmException;
import org.dmd.core.target.DeviceArea;
import org.dmd.core.target.TableDevice;
import org.dmd.core.target.TargetContext;

/**
 * A {@code <dev> <offset>} pair as linear-like targets hold it: the device and the sector on it
 * where the mapping starts. Printed as the kernel prints it, {@code MAJ:MIN OFFSET}. Immutable.
 */
public record LinearMapping(TableDevice device, long start) {

    /**
     * Parses {@code <dev> <offset>} in the order linear and error do: the offset first
     * ("Invalid device sector"), then the device ("Device lookup failed", with its errno).
     */
    public static LinearMapping parse(TargetContext context, String devicePath, String offset) throws DmException {
        long start = TargetErrors.sector(offset, "Invalid device sector");
        return new LinearMapping(TargetErrors.device(context, devicePath, "Device lookup failed"), start);
    }

    /** The area of {@code length} sectors this mapping covers. */
    public DeviceArea area(long length) {
        return new DeviceArea(device, start, length);
    }

    @Override
    public String toString() {
        return device.number() + " " + start;
    }
}

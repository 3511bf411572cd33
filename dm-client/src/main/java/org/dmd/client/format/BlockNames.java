package org.dmd.client.format;

import java.util.Map;

/**
 * Names of block devices as dmd's sysfs would give them (what libdm's dm_device_get_name reads):
 * the kernel name {@code dm-N} for mapped devices and {@code loopN} for loop devices, and for
 * mapped devices the device-mapper name (as stored, i.e. mangled).
 *
 * @param dmMajor the block major of mapped devices
 * @param storedNames mapped devices' stored names by {@code MAJ:MIN}
 */
public record BlockNames(int dmMajor, Map<String, String> storedNames) {

    public static final int LOOP_MAJOR = 7;

    /** The kernel name, or null when dmd has no such device type. */
    public String kernelName(int major, int minor) {
        if (major == dmMajor) {
            return "dm-" + minor;
        }
        if (major == LOOP_MAJOR) {
            return "loop" + minor;
        }
        return null;
    }

    /** dm_device_get_name: the dm name for mapped devices unless {@code preferKernelName}, else the kernel name. */
    public String name(int major, int minor, boolean preferKernelName) {
        if (major == dmMajor && !preferKernelName) {
            String stored = storedNames.get(major + ":" + minor);
            if (stored != null) {
                return stored;
            }
        }
        return kernelName(major, minor);
    }

    public boolean isMapped(int major) {
        return major == dmMajor;
    }
}

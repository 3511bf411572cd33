package org.dmd.client;

/**
 * How a request names its device, as the kernel's lookup takes it: by name, by uuid, or by device
 * number {@code MAJ:MIN}. Exactly one is set.
 */
public record DeviceId(String name, String uuid, String dev) {

    public DeviceId {
        int given = (name != null ? 1 : 0) + (uuid != null ? 1 : 0) + (dev != null ? 1 : 0);
        if (given != 1) {
            throw new IllegalArgumentException("a device is named by exactly one of name, uuid or dev");
        }
    }

    public static DeviceId name(String name) {
        return new DeviceId(name, null, null);
    }

    public static DeviceId uuid(String uuid) {
        return new DeviceId(null, uuid, null);
    }

    /** By device number, {@code MAJ:MIN}. */
    public static DeviceId dev(String majorMinor) {
        return new DeviceId(null, null, majorMinor);
    }

    public static DeviceId dev(int major, int minor) {
        return dev(major + ":" + minor);
    }

    @Override
    public String toString() {
        return name != null ? name : uuid != null ? "uuid " + uuid : "device " + dev;
    }
}

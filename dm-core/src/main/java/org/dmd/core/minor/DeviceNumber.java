package org.dmd.core.minor;

import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;

/**
 * A block device number: 12-bit major, 20-bit minor, in the kernel's "new" (huge) dev_t
 * encoding of include/linux/kdev_t.h: new_encode_dev, printed and parsed as {@code MAJ:MIN}.
 */
public record DeviceNumber(int major, int minor) implements Comparable<DeviceNumber> {

    public static final int MAJOR_BITS = 12;
    public static final int MINOR_BITS = 20;
    public static final int MAX_MAJOR = (1 << MAJOR_BITS) - 1;
    public static final int MAX_MINOR = (1 << MINOR_BITS) - 1;

    public DeviceNumber {
        if (major < 0 || major > MAX_MAJOR) {
            throw new IllegalArgumentException("major " + major + " is outside 0.." + MAX_MAJOR);
        }
        if (minor < 0 || minor > MAX_MINOR) {
            throw new IllegalArgumentException("minor " + minor + " is outside 0.." + MAX_MINOR);
        }
    }

    /** The new dev_t encoding: {@code (minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12)}. */
    public long encode() {
        return (minor & 0xFFL) | ((long) major << 8) | ((minor & ~0xFFL) << 12);
    }

    /** Decodes the low 32 bits of a dev_t; the upper bits must be zero. */
    public static DeviceNumber decode(long dev) throws DmException {
        if ((dev >>> 32) != 0) {
            throw new DmException(Errno.EOVERFLOW, "device number 0x%x does not fit in 32 bits", dev);
        }
        int major = (int) ((dev >>> 8) & 0xFFF);
        int minor = (int) ((dev & 0xFF) | ((dev >>> 12) & 0xFFF00));
        return new DeviceNumber(major, minor);
    }

    /** Parses {@code MAJ:MIN}; a major or minor that does not fit gives EOVERFLOW, bad syntax EINVAL. */
    public static DeviceNumber parse(String text) throws DmException {
        int colon = text.indexOf(':');
        if (colon <= 0 || colon == text.length() - 1 || text.indexOf(':', colon + 1) >= 0) {
            throw new DmException(Errno.EINVAL, "'%s' is not a device number of the form MAJOR:MINOR", text);
        }
        long major = parseUnsigned(text, text.substring(0, colon));
        long minor = parseUnsigned(text, text.substring(colon + 1));
        if (major > MAX_MAJOR || minor > MAX_MINOR) {
            throw new DmException(Errno.EOVERFLOW,
                    "device number %s is out of range (major <= %d, minor <= %d)", text, MAX_MAJOR, MAX_MINOR);
        }
        return new DeviceNumber((int) major, (int) minor);
    }

    private static long parseUnsigned(String whole, String digits) throws DmException {
        if (digits.isEmpty() || digits.length() > 10 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new DmException(Errno.EINVAL, "'%s' is not a device number of the form MAJOR:MINOR", whole);
        }
        return Long.parseLong(digits);
    }

    @Override
    public int compareTo(DeviceNumber other) {
        return major != other.major ? Integer.compare(major, other.major) : Integer.compare(minor, other.minor);
    }

    /** {@code MAJ:MIN}, as the kernel prints devices in tables and sysfs. */
    @Override
    public String toString() {
        return major + ":" + minor;
    }
}

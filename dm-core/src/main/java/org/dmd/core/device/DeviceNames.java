package org.dmd.core.device;

import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;

/**
 * The rules for device names and uuids (dm-ioctl.c: check_name, invalid_str, dm_hash_insert), and the
 * byte order in which names are listed.
 *
 * <p>Names are byte strings in the kernel; dmd carries them as Java strings and measures and
 * orders them by their UTF-8 bytes. Where the kernel silently truncates a name at 127 bytes,
 * dmd refuses it with EINVAL: a caller that sent 200 bytes did not mean the first 127.
 */
public final class DeviceNames {

    /** DM_NAME_LEN − 1. */
    public static final int MAX_NAME_BYTES = 127;
    /** DM_UUID_LEN − 1. */
    public static final int MAX_UUID_BYTES = 128;

    /** Unsigned byte order of the UTF-8 encodings, which is code-point order. */
    public static final Comparator<String> BYTE_ORDER = DeviceNames::compareBytes;

    private DeviceNames() {
    }

    /** {@code check_name}: 1..127 bytes, no {@code /}, not {@code control}, {@code .} or {@code ..}. */
    public static void checkName(String name) throws DmException {
        if (name == null || name.isEmpty()) {
            throw new DmException(Errno.EINVAL, "a device name is required");
        }
        checkLength("name", name, MAX_NAME_BYTES);
        if (name.indexOf('/') >= 0) {
            throw new DmException(Errno.EINVAL, "device name '%s' must not contain '/'", name);
        }
        if (name.equals("control") || name.equals(".") || name.equals("..")) {
            throw new DmException(Errno.EINVAL, "'%s' is reserved and cannot name a device", name);
        }
    }

    /** A uuid: 1..128 bytes, any bytes but NUL. */
    public static void checkUuid(String uuid) throws DmException {
        if (uuid.isEmpty()) {
            throw new DmException(Errno.EINVAL, "a uuid must not be empty");
        }
        checkLength("uuid", uuid, MAX_UUID_BYTES);
    }

    private static void checkLength(String what, String value, int maxBytes) throws DmException {
        if (value.indexOf('\0') >= 0) {
            throw new DmException(Errno.EINVAL, "device %s must not contain a NUL byte", what);
        }
        int bytes = utf8Length(value);
        if (bytes > maxBytes) {
            throw new DmException(Errno.EINVAL, "device %s is %d bytes long; the limit is %d", what, bytes, maxBytes);
        }
    }

    static int utf8Length(String s) {
        int ascii = 0;
        while (ascii < s.length() && s.charAt(ascii) < 0x80) {
            ascii++;
        }
        return ascii == s.length() ? ascii : s.getBytes(StandardCharsets.UTF_8).length;
    }

    private static int compareBytes(String a, String b) {
        int n = Math.min(a.length(), b.length());
        for (int i = 0; i < n; i++) {
            char x = a.charAt(i);
            char y = b.charAt(i);
            if (x != y) {
                // UTF-16 order equals code-point order except for surrogates against U+E000..U+FFFF.
                if (Character.isSurrogate(x) || Character.isSurrogate(y)) {
                    return Integer.compare(a.codePointAt(i), b.codePointAt(i));
                }
                return Character.compare(x, y);
            }
        }
        return Integer.compare(a.length(), b.length());
    }
}

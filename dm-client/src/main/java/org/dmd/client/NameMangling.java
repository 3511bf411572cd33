package org.dmd.client;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;

/**
 * libdevmapper's client-side name mangling (libdm-common.c: mangle_string, dm_task_set_name): the kernel stores names and uuids
 * as given, and libdm, for udev's sake, sends every byte outside {@code [0-9A-Za-z#+-.:=@_]} as
 * {@code \xNN} and decodes it again in replies. The errors carry libdm's wording.
 */
public final class NameMangling {

    /** What DM_NAME_LEN and DM_UUID_LEN leave for the mangled text (the field less its NUL). */
    private static final int NAME_ROOM = 127;
    private static final int UUID_ROOM = 128;

    /** libdm's modes: {@code none} sends names as they are, {@code auto} keeps already-mangled input, {@code hex} always encodes. */
    public enum Mode {
        NONE, AUTO, HEX;

        /** Parses {@code none|auto|hex} (any case); null if unknown. */
        public static Mode parse(String text) {
            switch (text.toLowerCase(Locale.ROOT)) {
                case "none":
                    return NONE;
                case "auto":
                    return AUTO;
                case "hex":
                    return HEX;
                default:
                    return null;
            }
        }
    }

    private NameMangling() {
    }

    static boolean isWhitelisted(int b) {
        return (b >= '0' && b <= '9') || (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z')
                || (b != 0 && "#+-.:=@_".indexOf(b) >= 0);
    }

    /** A name as libdm sends it (dm_task_set_name): "Name ... too long." past 127 bytes, then mangled. */
    public static String mangleName(String name, Mode mode) throws DmException {
        if (utf8(name).length > NAME_ROOM) {
            throw new DmException(Errno.EINVAL, "Name \"%s\" too long.", name);
        }
        return mangleForTask(name, "name", "Failed to mangle device name \"%s\".", NAME_ROOM, mode);
    }

    /** A new name as libdm sends it (dm_task_set_newname). */
    public static String mangleNewName(String name, Mode mode) throws DmException {
        if (name.indexOf('/') >= 0) {
            throw new DmException(Errno.EINVAL, "Name \"%s\" invalid. It contains \"/\".", name);
        }
        if (utf8(name).length > NAME_ROOM) {
            throw new DmException(Errno.EINVAL, "Name \"%s\" too long", name);
        }
        if (name.isEmpty()) {
            throw new DmException(Errno.EINVAL, "Non empty new name is required.");
        }
        return mangleForTask(name, "new name", "Failed to mangle new device name \"%s\"", NAME_ROOM, mode);
    }

    /** A uuid as libdm sends it (dm_task_set_uuid). */
    public static String mangleUuid(String uuid, Mode mode) throws DmException {
        return mangleForTask(uuid, "UUID", "Failed to mangle device uuid \"%s\".", UUID_ROOM, mode);
    }

    private static String mangleForTask(String value, String what, String failure, int room, Mode mode)
            throws DmException {
        checkMangledOnce(value, what, mode);
        if (mode == Mode.NONE) {
            return value;
        }
        try {
            return mangle(value, what, room, mode);
        } catch (DmException e) {
            throw new DmException(e.errno(), e.getMessage() + "\n" + String.format(failure, value));
        }
    }

    /** Auto mode refuses input that was mangled twice ({@code \x5cx} is a mangled backslash before an x). */
    private static void checkMangledOnce(String value, String what, Mode mode) throws DmException {
        if (mode == Mode.AUTO && value.contains("\\x5cx")) {
            throw new DmException(Errno.EINVAL,
                    "The %s \"%s\" seems to be mangled more than once. This is not allowed in auto mode.", what, value);
        }
    }

    /**
     * mangle_string: {@code none} is treated as auto; auto keeps {@code \xNN} sequences already
     * present and refuses a mixture of mangled and unmangled characters.
     */
    public static String mangle(String value, String what, Mode mode) throws DmException {
        return mangle(value, what, NAME_ROOM, mode);
    }

    private static String mangle(String value, String what, int room, Mode mode) throws DmException {
        byte[] in = utf8(value);
        boolean auto = mode != Mode.HEX;
        int state = -1; // -1 unknown, 0 already mangled, 1 needs mangling
        StringBuilder out = new StringBuilder(in.length + 8);
        for (int i = 0; i < in.length; i++) {
            int b = in[i] & 0xFF;
            if (auto && b == '\\' && i + 1 < in.length && in[i + 1] == 'x') {
                if (in.length - i < 4 || state == 1) {
                    throw mixed(what, value);
                }
                out.append(new String(in, i, 4, StandardCharsets.ISO_8859_1));
                i += 3;
                state = 0;
            } else if (isWhitelisted(b)) {
                out.append((char) b);
            } else {
                if (auto && state == 0) {
                    throw mixed(what, value);
                }
                out.append('\\').append('x').append(Character.forDigit(b >> 4, 16)).append(Character.forDigit(b & 15, 16));
                state = 1;
            }
            if (out.length() > room) {
                throw new DmException(Errno.EINVAL, "Mangled form of the %s too long for \"%s\".", what, value);
            }
        }
        return out.toString();
    }

    private static DmException mixed(String what, String value) {
        return new DmException(Errno.EINVAL,
                "The %s \"%s\" contains mixed mangled and unmangled characters or it's already mangled improperly.",
                what, value);
    }

    /**
     * What libdm does to a name or uuid in a reply: nothing in mode none; otherwise refuses
     * characters that should have been mangled and decodes {@code \xNN}.
     */
    public static String unmangleReply(String value, String what, Mode mode) throws DmException {
        if (mode == Mode.NONE || value == null) {
            return value;
        }
        checkMangledOnce(value, what, mode);
        return unmangle(value, what, true);
    }

    /**
     * unmangle_string: decodes {@code \xNN}; in strict mode a character that is neither on the
     * whitelist nor a backslash is an error. Decoding stops where a {@code \x} is not followed by hex.
     */
    public static String unmangle(String value, String what, boolean strict) throws DmException {
        byte[] in = utf8(value);
        ByteArrayOutputStream out = new ByteArrayOutputStream(in.length);
        for (int i = 0; i < in.length; i++) {
            int b = in[i] & 0xFF;
            if (strict && !(isWhitelisted(b) || b == '\\')) {
                throw new DmException(Errno.EINVAL,
                        "The %s \"%s\" should be mangled but it contains blacklisted characters.", what, value);
            }
            if (b == '\\' && i + 1 < in.length && in[i + 1] == 'x') {
                int code = 0;
                int digits = 0;
                while (digits < 2 && i + 2 + digits < in.length
                        && Character.digit(in[i + 2 + digits], 16) >= 0) {
                    code = code * 16 + Character.digit(in[i + 2 + digits], 16);
                    digits++;
                }
                if (digits == 0) {
                    break;
                }
                out.write(code);
                i += 3;
            } else {
                out.write(b);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}

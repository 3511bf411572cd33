package org.dmd.daemon.ioctl;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;

/**
 * The layout of {@code struct dm_ioctl} (include/uapi/linux/dm-ioctl.h, interface version 4) and
 * of the strings in it, in the host's byte order, little-endian on every machine dmd serves.
 *
 * <p>Strings are NUL-terminated bytes; dmd keeps names as Java strings, so the bytes must be
 * UTF-8 (libdm mangles every byte outside {@code [0-9A-Za-z#+-.:=@_]} to {@code \xNN} before it
 * sends a name, so what it sends is ASCII). Stateless.
 */
public final class DmIoctl {

    /** {@code sizeof(struct dm_ioctl)}: where payloads start (data_start). */
    public static final int SIZE = 312;
    /** {@code offsetof(struct dm_ioctl, data)}: the least data_size accepted; the size of a header-only reply. */
    public static final int MIN_DATA_SIZE = 305;
    /** dm-ioctl.c: copy_params refuses a larger data_size (1 GiB: a million targets of 1 KiB). */
    public static final int MAX_DATA_SIZE = 1 << 30;
    /** The version triple, the only part of the header written back by VERSION, REMOVE_ALL and DEV_SET_GEOMETRY. */
    public static final int VERSION_BYTES = 12;
    public static final int INTERFACE_MAJOR = 4;

    static final int DATA_SIZE = 12;
    static final int DATA_START = 16;
    static final int TARGET_COUNT = 20;
    static final int OPEN_COUNT = 24;
    static final int FLAGS = 28;
    static final int EVENT_NR = 32;
    static final int DEV = 40;
    static final int NAME = 48;
    static final int UUID = 176;
    /** DM_NAME_LEN and DM_UUID_LEN: the kernel forces a NUL into the last byte of each. */
    static final int NAME_LEN = 128;
    static final int UUID_LEN = 129;

    private DmIoctl() {
    }

    /**
     * The header fields a request carries, as read by {@code dm-ioctl.c: copy_params}: name and
     * uuid cut at their last byte (the kernel's silent truncation), u32 values as unsigned longs.
     */
    public record Header(int versionMajor, int versionMinor, int versionPatch, long dataSize, long dataStart,
                         long targetCount, int flags, long eventNr, long dev, String name, String uuid) {
    }

    /** A little-endian view of {@code bytes}. */
    static ByteBuffer view(byte[] bytes) {
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Reads the header from the first {@value #MIN_DATA_SIZE} bytes of {@code buffer}. */
    static Header read(ByteBuffer buffer) throws DmException {
        return new Header(buffer.getInt(0), buffer.getInt(4), buffer.getInt(8), u32(buffer, DATA_SIZE),
                u32(buffer, DATA_START), u32(buffer, TARGET_COUNT), buffer.getInt(FLAGS), u32(buffer, EVENT_NR),
                buffer.getLong(DEV), field(buffer, NAME, NAME_LEN, "name"), field(buffer, UUID, UUID_LEN, "uuid"));
    }

    static long u32(ByteBuffer buffer, int offset) {
        return Integer.toUnsignedLong(buffer.getInt(offset));
    }

    /** A fixed-size string field, NUL forced into its last byte as dm-ioctl.c: validate_params does. */
    private static String field(ByteBuffer buffer, int offset, int length, String what) throws DmException {
        int end = offset;
        while (end < offset + length - 1 && buffer.get(end) != 0) {
            end++;
        }
        return utf8(buffer, offset, end, what);
    }

    /**
     * The NUL-terminated string at {@code offset}, which must end before {@code limit}
     * ({@code dm-ioctl.c: invalid_str}); null if it does not.
     */
    static String terminated(ByteBuffer buffer, long offset, int limit, String what) throws DmException {
        if (offset < 0 || offset >= limit) {
            return null;
        }
        int end = (int) offset;
        while (end < limit && buffer.get(end) != 0) {
            end++;
        }
        return end == limit ? null : utf8(buffer, (int) offset, end, what);
    }

    static String utf8(ByteBuffer buffer, int from, int to, String what) throws DmException {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(buffer.duplicate().position(from).limit(to)).toString();
        } catch (CharacterCodingException e) {
            throw new DmException(Errno.EINVAL, "the %s at offset %d is not UTF-8, which dmd keeps names in", what,
                    from);
        }
    }

    /** Writes {@code text} and its NUL at {@code offset}; the bytes after the NUL are left as they are. */
    static int putString(ByteBuffer buffer, int offset, String text) {
        byte[] bytes = text == null ? new byte[0] : text.getBytes(StandardCharsets.UTF_8);
        buffer.put(offset, bytes);
        buffer.put(offset + bytes.length, (byte) 0);
        return bytes.length + 1;
    }

    static int utf8Length(String text) {
        return text.getBytes(StandardCharsets.UTF_8).length;
    }

    /** Rounds up to the next multiple of 8 ({@code dm-ioctl.c: align_ptr}; offsets count from the buffer's start). */
    static int align8(int offset) {
        return (offset + 7) & ~7;
    }
}

package org.dmd.daemon.ioctl;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import org.dmd.core.control.DeviceMapper;
import org.dmd.core.control.DmFlag;
import org.dmd.core.control.Replies;
import org.dmd.core.control.Replies.Reply;
import org.dmd.core.errno.DmException;
import org.dmd.core.minor.DeviceNumber;

/**
 * Writes a successful reply into its call's working copy the way dm-ioctl.c's handlers do, and
 * returns the bytes ctl_ioctl would copy back over the caller's buffer: the first
 * {@code data_size} bytes (the version triple alone where a handler sets data_size to 0, and for
 * VERSION). Payload that does not fit the caller's buffer sets DM_BUFFER_FULL_FLAG, as the kernel
 * does, and libdm retries with a larger buffer.
 *
 * <p>Flags: the bits dmd does not name, and libdm's private 0x4, come back as they were sent; the
 * output-only bits (BUFFER_FULL, UEVENT_GENERATED, SECURE_DATA, DATA_OUT) only when this reply
 * sets them; UEVENT_GENERATED only when the core says a uevent was generated. Stateless.
 */
public final class IoctlReplies {

    private static final int OUTPUT_ONLY = DmFlag.BUFFER_FULL.bit() | DmFlag.UEVENT_GENERATED.bit()
            | DmFlag.SECURE_DATA.bit() | DmFlag.DATA_OUT.bit();
    /** dm_name_list's trailer flags (4.48+). */
    static final int NAME_LIST_HAS_UUID = 1;
    static final int NAME_LIST_DOESNT_HAVE_UUID = 2;

    private IoctlReplies() {
    }

    /**
     * The bytes to copy back for {@code reply} to {@code call}: a view of the call's working copy.
     * Empty for TARGET_MSG to a device without a live table, where the kernel's ioctl returns 2
     * and copies nothing.
     */
    public static ByteBuffer encode(IoctlCall call, Reply reply) throws DmException {
        ByteBuffer w = call.work();
        w.putInt(0, DeviceMapper.VERSION.major()).putInt(4, DeviceMapper.VERSION.minor())
                .putInt(8, DeviceMapper.VERSION.patch());
        if (reply instanceof Replies.DriverVersion || reply instanceof Replies.RemoveAllDone
                || reply instanceof Replies.Done) {
            // VERSION writes the triple only; REMOVE_ALL and DEV_SET_GEOMETRY set data_size to 0.
            return prefix(call, DmIoctl.VERSION_BYTES);
        }
        w.putInt(DmIoctl.DATA_SIZE, DmIoctl.MIN_DATA_SIZE);
        int flags = call.flags() & ~OUTPUT_ONLY;
        int avail = Math.max(0, call.inputSize() - DmIoctl.SIZE);
        if (reply instanceof Replies.DeviceInfo info) {
            statusFill(w, call, info);
        } else if (reply instanceof Replies.Removed removed) {
            w.putInt(DmIoctl.FLAGS, merge(call.flags(), removed.flags()));
            nameAndUuid(w, removed.name(), removed.uuid());
        } else if (reply instanceof Replies.PollArmed) {
            w.putInt(DmIoctl.FLAGS, flags);
        } else if (reply instanceof Replies.Names names) {
            w.putInt(DmIoctl.FLAGS, flags);
            names(w, call, names.devices(), avail);
        } else if (reply instanceof Replies.TargetVersions versions) {
            w.putInt(DmIoctl.FLAGS, flags);
            versions(w, versions.targets(), avail);
        } else if (reply instanceof Replies.Deps deps) {
            statusFill(w, call, deps.device());
            if (tablePresent(call, deps.device())) {
                deps(w, deps.devices(), avail);
            }
        } else if (reply instanceof Replies.TableLines lines) {
            statusFill(w, call, lines.device());
            if (tablePresent(call, lines.device())) {
                targets(w, lines.targets(), avail);
            }
        } else if (reply instanceof Replies.MessageOutput message) {
            if (!message.device().flags().contains(DmFlag.ACTIVE_PRESENT) && !call.coreMessage()) {
                return prefix(call, 0);
            }
            statusFill(w, call, message.device());
            message(w, message.output(), avail);
        } else {
            throw new IllegalArgumentException(reply.getClass().getSimpleName() + " is not a dm-ioctl reply");
        }
        return prefix(call, w.getInt(DmIoctl.DATA_SIZE));
    }

    private static ByteBuffer prefix(IoctlCall call, int length) {
        ByteBuffer w = call.work();
        if ((call.flags() & DmFlag.SECURE_DATA.bit()) == 0 || length == 0) {
            return w.duplicate().position(0).limit(length).slice().order(w.order());
        }
        // dm-ioctl.c: copy_params wiped the caller's buffer after reading it; the reply is copied over the zeros.
        byte[] wiped = new byte[Math.max(length, call.sentSize())];
        w.get(0, wiped, 0, length);
        java.util.Arrays.fill(w.array(), (byte) 0);
        return ByteBuffer.wrap(wiped).order(w.order());
    }

    /** The flags as sent with the named bits replaced by the core's (unnamed bits are echoed, as by the kernel). */
    static int merge(int sent, Set<DmFlag> reply) {
        return (sent & ~IoctlRequests.knownFlags()) | DmFlag.mask(reply);
    }

    /** dm-ioctl.c: __dev_status, and the name and uuid the lookup wrote back. */
    private static void statusFill(ByteBuffer w, IoctlCall call, Replies.DeviceInfo info) throws DmException {
        w.putInt(DmIoctl.FLAGS, merge(call.flags(), info.flags()));
        w.putLong(DmIoctl.DEV, DeviceNumber.parse(info.dev()).encode());
        w.putInt(DmIoctl.OPEN_COUNT, info.openCount());
        w.putInt(DmIoctl.EVENT_NR, (int) info.eventNr());
        w.putInt(DmIoctl.TARGET_COUNT, info.targetCount());
        nameAndUuid(w, info.name(), info.uuid());
    }

    private static void nameAndUuid(ByteBuffer w, String name, String uuid) {
        if (name != null) {
            DmIoctl.putString(w, DmIoctl.NAME, name);
        }
        DmIoctl.putString(w, DmIoctl.UUID, uuid == null ? "" : uuid);
    }

    /** The table the command reported on exists: the live one, or the inactive one with QUERY_INACTIVE_TABLE. */
    private static boolean tablePresent(IoctlCall call, Replies.DeviceInfo info) {
        boolean inactive = (call.flags() & DmFlag.QUERY_INACTIVE_TABLE.bit()) != 0;
        return info.flags().contains(inactive ? DmFlag.INACTIVE_PRESENT : DmFlag.ACTIVE_PRESENT);
    }

    /** dm-ioctl.c: get_result_buffer. */
    private static void resultBuffer(ByteBuffer w) {
        w.putInt(DmIoctl.DATA_START, DmIoctl.SIZE);
    }

    private static void bufferFull(ByteBuffer w) {
        w.putInt(DmIoctl.FLAGS, w.getInt(DmIoctl.FLAGS) | DmFlag.BUFFER_FULL.bit());
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** dm-ioctl.c: list_devices: struct dm_name_list records with the event_nr/flags trailer. */
    private static void names(ByteBuffer w, IoctlCall call, List<Replies.NameEntry> devices, int avail)
            throws DmException {
        boolean uuids = (call.flags() & DmFlag.UUID.bit()) != 0;
        long needed = 0;
        for (Replies.NameEntry d : devices) {
            needed += DmIoctl.align8(12 + bytes(d.name()).length + 1) + 8;
            if (uuids && d.uuid() != null) {
                needed += DmIoctl.align8(bytes(d.uuid()).length + 1);
            }
        }
        resultBuffer(w);
        if (avail < needed || avail < Long.BYTES) {
            bufferFull(w);
            return;
        }
        w.putInt(DmIoctl.DATA_SIZE, (int) (DmIoctl.SIZE + needed));
        w.putLong(DmIoctl.SIZE, 0);
        int record = DmIoctl.SIZE;
        int previous = -1;
        for (Replies.NameEntry d : devices) {
            if (previous >= 0) {
                w.putInt(previous + 8, record - previous);
            }
            w.putLong(record, DeviceNumber.parse(d.dev()).encode());
            w.putInt(record + 8, 0);
            int trailer = DmIoctl.align8(record + 12 + DmIoctl.putString(w, record + 12, d.name()));
            w.putInt(trailer, (int) d.eventNr());
            int end = trailer + 8;
            int listFlags = 0;
            if (uuids) {
                if (d.uuid() != null) {
                    listFlags = NAME_LIST_HAS_UUID;
                    end = DmIoctl.align8(end + DmIoctl.putString(w, end, d.uuid()));
                } else {
                    listFlags = NAME_LIST_DOESNT_HAVE_UUID;
                }
            }
            w.putInt(trailer + 4, listFlags);
            previous = record;
            record = end;
        }
    }

    /** dm-ioctl.c: list_versions / get_target_version: struct dm_target_versions records. */
    private static void versions(ByteBuffer w, List<Replies.TargetVersion> targets, int avail) {
        long needed = 0;
        for (Replies.TargetVersion t : targets) {
            needed += 16 + bytes(t.name()).length + 1 + 7;
        }
        resultBuffer(w);
        if (avail < needed) {
            bufferFull(w);
            return;
        }
        w.putInt(DmIoctl.DATA_SIZE, (int) (DmIoctl.SIZE + needed));
        int record = DmIoctl.SIZE;
        int previous = -1;
        for (Replies.TargetVersion t : targets) {
            if (previous >= 0) {
                w.putInt(previous, record - previous);
            }
            w.putInt(record, 0);
            String[] parts = t.version().split("\\.", -1);
            for (int i = 0; i < 3; i++) {
                w.putInt(record + 4 + 4 * i, i < parts.length ? Integer.parseUnsignedInt(parts[i]) : 0);
            }
            int length = DmIoctl.putString(w, record + 16, t.name());
            previous = record;
            record = DmIoctl.align8(record + 16 + length);
        }
    }

    /** dm-ioctl.c: retrieve_deps: struct dm_target_deps. */
    private static void deps(ByteBuffer w, List<String> devices, int avail) throws DmException {
        long needed = 8 + 8L * devices.size();
        resultBuffer(w);
        if (avail < needed) {
            bufferFull(w);
            return;
        }
        w.putInt(DmIoctl.SIZE, devices.size());
        w.putInt(DmIoctl.SIZE + 4, 0);
        int at = DmIoctl.SIZE + 8;
        for (String dev : devices) {
            w.putLong(at, DeviceNumber.parse(dev).encode());
            at += 8;
        }
        w.putInt(DmIoctl.DATA_SIZE, at);
    }

    /**
     * dm-ioctl.c: retrieve_status: a dm_target_spec and its string per target, {@code next}
     * counted from data_start; a target whose spec, string and NUL do not fit with a byte to spare
     * sets BUFFER_FULL, and data_size covers the targets written before it.
     */
    private static void targets(ByteBuffer w, List<Replies.TargetLine> lines, int avail) {
        resultBuffer(w);
        int out = DmIoctl.SIZE;
        int used = 0;
        for (Replies.TargetLine line : lines) {
            int remaining = avail - (out - DmIoctl.SIZE);
            if (remaining <= IoctlRequests.TARGET_SPEC_SIZE) {
                bufferFull(w);
                break;
            }
            int spec = out;
            out += IoctlRequests.TARGET_SPEC_SIZE;
            remaining = avail - (out - DmIoctl.SIZE);
            byte[] text = bytes(line.text() == null ? "" : line.text());
            if (text.length + 1 >= remaining) {
                bufferFull(w);
                break;
            }
            w.putLong(spec, line.start());
            w.putLong(spec + 8, line.length());
            w.putInt(spec + 16, 0);
            byte[] type = bytes(line.type());
            for (int i = 0; i < IoctlRequests.TARGET_TYPE_LEN; i++) {
                w.put(spec + IoctlRequests.TARGET_TYPE + i,
                        i < Math.min(type.length, IoctlRequests.TARGET_TYPE_LEN - 1) ? type[i] : 0);
            }
            w.put(out, text);
            w.put(out + text.length, (byte) 0);
            out += text.length + 1;
            used = out;
            out = DmIoctl.align8(out);
            w.putInt(spec + 20, out - DmIoctl.SIZE);
        }
        if (used != 0) {
            w.putInt(DmIoctl.DATA_SIZE, used);
        }
        w.putInt(DmIoctl.TARGET_COUNT, lines.size());
    }

    /** dm-ioctl.c: target_message: the output at data_start, DATA_OUT, BUFFER_FULL if it overflowed. */
    private static void message(ByteBuffer w, String output, int avail) {
        resultBuffer(w);
        if (output == null) {
            return;
        }
        w.putInt(DmIoctl.FLAGS, w.getInt(DmIoctl.FLAGS) | DmFlag.DATA_OUT.bit());
        byte[] text = bytes(output);
        if (avail == 0 || text.length + 1 >= avail) {
            bufferFull(w);
            return;
        }
        w.put(DmIoctl.SIZE, text);
        w.put(DmIoctl.SIZE + text.length, (byte) 0);
        w.putInt(DmIoctl.DATA_SIZE, DmIoctl.SIZE + text.length + 1);
    }
}

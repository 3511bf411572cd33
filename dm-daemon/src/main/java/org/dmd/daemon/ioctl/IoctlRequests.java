package org.dmd.daemon.ioctl;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.dmd.core.control.Command;
import org.dmd.core.control.DeviceMapper;
import org.dmd.core.control.DmFlag;
import org.dmd.core.control.Requests;
import org.dmd.core.control.Requests.Request;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.dmd.core.minor.DeviceNumber;

/**
 * Decodes the caller's buffer of one dm-ioctl command into a {@link Request}, with the kernel's
 * checks in the kernel's order ({@code dm-ioctl.c: ctl_ioctl}): version, command number,
 * {@code copy_params}, {@code validate_params}, then the command's own payload. A pure function
 * of the bytes: nothing is executed, and anything malformed is a {@link DmException} carrying the
 * kernel's errno (EINVAL mostly, ENOTTY for an unknown command).
 *
 * <p>Where the kernel checks a payload only after finding the device (TARGET_MSG,
 * DEV_SET_GEOMETRY) the malformed payload is passed on as absent, so that the core answers ENXIO
 * before EINVAL as the kernel does. TABLE_LOAD's target specs are checked here, before the
 * lookup. Stateless.
 */
public final class IoctlRequests {

    /** {@code sizeof(struct dm_target_spec)}. */
    static final int TARGET_SPEC_SIZE = 40;
    static final int TARGET_TYPE = 24;
    static final int TARGET_TYPE_LEN = 16;
    /** dm-table.c: dm_table_create refuses more targets than this with EOVERFLOW. */
    static final long MAX_TARGETS = 1L << 20;
    private static final int KNOWN_FLAGS = DmFlag.mask(EnumSet.allOf(DmFlag.class));
    /** The dm-ioctl commands by _IOC_NR. */
    private static final Command[] BY_NUMBER = byNumber();

    private IoctlRequests() {
    }

    /**
     * Decodes one ioctl.
     *
     * @param number the command's {@code _IOC_NR}
     * @param buffer the bytes sent: the caller's buffer from its start, {@code data_size} bytes or
     *               just the header; not modified
     * @throws DmException with the errno the kernel's ioctl would fail with
     */
    public static IoctlCall decode(int number, byte[] buffer) throws DmException {
        if (buffer.length < DmIoctl.VERSION_BYTES) {
            throw new DmException(Errno.EINVAL, "the buffer is %d bytes, too short for struct dm_ioctl's version",
                    buffer.length);
        }
        ByteBuffer sent = DmIoctl.view(buffer);
        checkVersion(sent.getInt(0), sent.getInt(4), sent.getInt(8));
        Command command = command(number);
        if (command == Command.VERSION) {
            return new IoctlCall(command, new Requests.Version(), DmIoctl.view(Arrays.copyOf(buffer,
                    DmIoctl.VERSION_BYTES)), 0, 0, false, buffer.length);
        }
        if (buffer.length < DmIoctl.MIN_DATA_SIZE) {
            throw new DmException(Errno.EINVAL, "the buffer is %d bytes, shorter than struct dm_ioctl (%d)",
                    buffer.length, DmIoctl.MIN_DATA_SIZE);
        }
        long dataSize = DmIoctl.u32(sent, DmIoctl.DATA_SIZE);
        if (dataSize < DmIoctl.MIN_DATA_SIZE || dataSize > DmIoctl.MAX_DATA_SIZE) {
            throw new DmException(Errno.EINVAL, "data_size %d is outside %d..%d", dataSize, DmIoctl.MIN_DATA_SIZE,
                    DmIoctl.MAX_DATA_SIZE);
        }
        boolean headerOnly = headerOnly(command);
        if (!headerOnly && dataSize > buffer.length) {
            throw new DmException(Errno.EINVAL, "data_size %d is larger than the %d bytes sent", dataSize,
                    buffer.length);
        }
        int inputSize = headerOnly ? DmIoctl.MIN_DATA_SIZE : (int) dataSize;
        byte[] copy = Arrays.copyOf(buffer, headerOnly ? DmIoctl.SIZE : inputSize);
        ByteBuffer work = DmIoctl.view(copy);
        DmIoctl.Header header = DmIoctl.read(work);
        validateParams(command, header);
        Request request = request(command, header, work, inputSize);
        boolean coreMessage = request instanceof Requests.TargetMsg msg && msg.message() != null
                && msg.message().stripLeading().startsWith("@");
        return new IoctlCall(command, request, work, inputSize, header.flags(), coreMessage,
                (int) Math.min(dataSize, buffer.length));
    }

    /** dm-ioctl.c: check_version: the major must be 4, the minor no newer than dmd's. */
    private static void checkVersion(int major, int minor, int patch) throws DmException {
        if (major != DmIoctl.INTERFACE_MAJOR || Integer.compareUnsigned(minor, DeviceMapper.VERSION.minor()) > 0) {
            throw new DmException(Errno.EINVAL, "ioctl interface mismatch: dmd speaks %s, the caller %s.%s.%s",
                    DeviceMapper.VERSION, Integer.toUnsignedString(major), Integer.toUnsignedString(minor),
                    Integer.toUnsignedString(patch));
        }
    }

    /** dm-ioctl.c: lookup_ioctl: 0..17; 18 (DM_MPATH_PROBE_PATHS) is a block-device ioctl. */
    private static Command command(int number) throws DmException {
        if (number >= 0 && number < BY_NUMBER.length && BY_NUMBER[number] != null) {
            return BY_NUMBER[number];
        }
        throw new DmException(Errno.ENOTTY, "%s is not a device-mapper control command",
                Integer.toUnsignedString(number));
    }

    private static Command[] byNumber() {
        Command[] commands = new Command[Command.GET_TARGET_VERSION.ioctlNumber() + 1];
        for (Command command : Command.values()) {
            if (command.ioctlNumber() >= 0) {
                commands[command.ioctlNumber()] = command;
            }
        }
        return commands;
    }

    /** The commands dm-ioctl.c marks IOCTL_FLAGS_NO_PARAMS: the kernel copies in the header alone. */
    static boolean headerOnly(Command command) {
        return switch (command) {
            case REMOVE_ALL, DEV_CREATE, DEV_REMOVE, DEV_SUSPEND, DEV_STATUS, TABLE_CLEAR, DEV_ARM_POLL -> true;
            default -> false;
        };
    }

    /** dm-ioctl.c: validate_params: a name to create, and never both a name and a uuid. */
    private static void validateParams(Command command, DmIoctl.Header header) throws DmException {
        if (command == Command.REMOVE_ALL || command == Command.LIST_DEVICES || command == Command.LIST_VERSIONS) {
            return;
        }
        if (command == Command.DEV_CREATE) {
            if (header.name().isEmpty()) {
                throw new DmException(Errno.EINVAL, "DEV_CREATE needs a device name");
            }
        } else if (!header.name().isEmpty() && !header.uuid().isEmpty()) {
            throw new DmException(Errno.EINVAL, "give the device's name or its uuid, not both");
        }
    }

    private static Request request(Command command, DmIoctl.Header h, ByteBuffer work, int inputSize)
            throws DmException {
        String name = emptyToNull(h.name());
        String uuid = emptyToNull(h.uuid());
        String dev = h.dev() == 0 ? null : dev(h.dev());
        Set<DmFlag> flags = DmFlag.of(h.flags());
        long eventNr = h.eventNr();
        return switch (command) {
            case VERSION -> new Requests.Version();
            case REMOVE_ALL -> new Requests.RemoveAll(flags);
            case LIST_DEVICES -> new Requests.ListDevices(name, uuid, flags);
            case DEV_CREATE -> new Requests.DevCreate(name, uuid,
                    flags.contains(DmFlag.PERSISTENT_DEV) ? dev(h.dev()) : null, flags, eventNr);
            case DEV_REMOVE -> new Requests.DevRemove(name, uuid, dev, flags, eventNr);
            case DEV_RENAME -> rename(h, work, inputSize, flags);
            case DEV_SUSPEND -> new Requests.DevSuspend(name, uuid, dev, flags, eventNr);
            case DEV_STATUS -> new Requests.DevStatus(name, uuid, dev, flags);
            case DEV_WAIT -> new Requests.DevWait(name, uuid, dev, flags, eventNr);
            case TABLE_LOAD -> new Requests.TableLoad(name, uuid, dev, flags, targets(h, work, inputSize));
            case TABLE_CLEAR -> new Requests.TableClear(name, uuid, dev, flags);
            case TABLE_DEPS -> new Requests.TableDeps(name, uuid, dev, flags);
            case TABLE_STATUS -> new Requests.TableStatus(name, uuid, dev, flags);
            case LIST_VERSIONS -> new Requests.ListVersions();
            case TARGET_MSG -> message(name, uuid, dev, flags, h, work, inputSize);
            case DEV_SET_GEOMETRY -> new Requests.DevSetGeometry(name, uuid, dev, flags,
                    payloadString(h, work, inputSize, "geometry"));
            case DEV_ARM_POLL -> new Requests.DevArmPoll();
            case GET_TARGET_VERSION -> new Requests.GetTargetVersion(h.name());
            default -> throw new IllegalStateException(command + " is not a dm-ioctl command");
        };
    }

    /** huge_decode_dev: the low 32 bits in the new encoding, as {@code MAJ:MIN}. */
    private static String dev(long dev) throws DmException {
        return DeviceNumber.decode(dev & 0xFFFF_FFFFL).toString();
    }

    /**
     * The NUL-terminated string at data_start, or null if data_start points into the header
     * (below {@code data}) or the string does not end inside the buffer: dm-ioctl.c's
     * {@code new_data < param->data || invalid_str(...)}.
     */
    private static String payloadString(DmIoctl.Header h, ByteBuffer work, int inputSize, String what)
            throws DmException {
        if (h.dataStart() < DmIoctl.MIN_DATA_SIZE) {
            return null;
        }
        return DmIoctl.terminated(work, h.dataStart(), inputSize, what);
    }

    /** dm-ioctl.c: dev_rename: the new name (or uuid) is checked before the device is looked up. */
    private static Request rename(DmIoctl.Header h, ByteBuffer work, int inputSize, Set<DmFlag> flags)
            throws DmException {
        boolean setUuid = flags.contains(DmFlag.UUID);
        String wanted = payloadString(h, work, inputSize, setUuid ? "new uuid" : "new name");
        if (wanted == null) {
            throw new DmException(Errno.EINVAL, "DEV_RENAME: data_start %d does not point at a NUL-terminated "
                    + "string inside the %d-byte buffer", h.dataStart(), inputSize);
        }
        int limit = (setUuid ? DmIoctl.UUID_LEN : DmIoctl.NAME_LEN) - 1;
        if (wanted.isEmpty() || DmIoctl.utf8Length(wanted) > limit) {
            throw new DmException(Errno.EINVAL, "Invalid new mapped device %s string supplied: it must be 1 to %d "
                    + "bytes", setUuid ? "uuid" : "name", limit);
        }
        return new Requests.DevRename(emptyToNull(h.name()), setUuid ? null : wanted, setUuid ? wanted : null,
                flags, h.eventNr());
    }

    /** struct dm_target_msg at data_start: the sector, then the message; an invalid one is passed on as absent. */
    private static Request message(String name, String uuid, String dev, Set<DmFlag> flags, DmIoctl.Header h,
                                   ByteBuffer work, int inputSize) throws DmException {
        long start = h.dataStart();
        String message = null;
        long sector = 0;
        if (start >= DmIoctl.MIN_DATA_SIZE && start + Long.BYTES <= inputSize) {
            sector = work.getLong((int) start);
            message = DmIoctl.terminated(work, start + Long.BYTES, inputSize, "message");
        }
        return new Requests.TargetMsg(name, uuid, dev, flags, sector, message);
    }

    /**
     * The chain of struct dm_target_spec, as dm-ioctl.c: populate_table and next_target walk it:
     * each spec starts {@code next} bytes after the previous one (the first at data_start), at an
     * 8-byte multiple, past the end of the previous parameter string (the first past the header),
     * with room for itself and one more byte inside the buffer; each parameter string ends inside
     * the buffer. The last spec's {@code next} is not read.
     */
    static List<Requests.TargetSpec> targets(DmIoctl.Header h, ByteBuffer work, int inputSize)
            throws DmException {
        long count = h.targetCount();
        if (count > MAX_TARGETS) {
            throw new DmException(Errno.EOVERFLOW, "target_count %d is over the limit of %d", count, MAX_TARGETS);
        }
        List<Requests.TargetSpec> specs = new ArrayList<>((int) Math.min(count, 1024));
        long last = 0;
        long next = h.dataStart();
        long minSize = DmIoctl.SIZE;
        for (long i = 0; i < count; i++) {
            if (next < minSize) {
                throw new DmException(Errno.EINVAL, "target spec %d (offset %d) overlaps %s", i, next,
                        i == 0 ? "struct dm_ioctl" : "the previous target's parameters");
            }
            long remaining = inputSize - last;
            if (remaining - TARGET_SPEC_SIZE <= next) {
                throw new DmException(Errno.EINVAL, "target spec %d at offset %d does not fit in the %d-byte buffer "
                        + "(target_count %d)", i, last + next, inputSize, count);
            }
            if (next % 8 != 0) {
                throw new DmException(Errno.EINVAL, "target spec %d: next offset %d is not a multiple of 8", i, next);
            }
            int spec = (int) (last + next);
            String type = DmIoctl.terminated(work, spec + TARGET_TYPE, spec + TARGET_TYPE + TARGET_TYPE_LEN,
                    "target type");
            if (type == null) {
                throw new DmException(Errno.EINVAL, "target spec %d: the target type is not NUL-terminated", i);
            }
            int params = spec + TARGET_SPEC_SIZE;
            String text = DmIoctl.terminated(work, params, inputSize, "target parameters");
            if (text == null) {
                throw new DmException(Errno.EINVAL, "target spec %d: the parameters are not NUL-terminated inside "
                        + "the buffer", i);
            }
            specs.add(new Requests.TargetSpec(work.getLong(spec), work.getLong(spec + 8), type, text));
            minSize = TARGET_SPEC_SIZE + DmIoctl.utf8Length(text) + 1;
            last = spec;
            next = DmIoctl.u32(work, spec + 20);
        }
        return specs;
    }

    /** The flag bits dmd names; the others are echoed untouched. */
    static int knownFlags() {
        return KNOWN_FLAGS;
    }

    private static String emptyToNull(String s) {
        return s.isEmpty() ? null : s;
    }
}

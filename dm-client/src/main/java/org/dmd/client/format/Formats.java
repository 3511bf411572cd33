package org.dmd.client.format;

import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;
import org.dmd.client.MonitorEvent;
import org.dmd.core.control.Replies;

/**
 * The smaller outputs: {@code ls}, {@code deps}, {@code targets}, {@code version}, the udev cookie
 * commands, and dmd's own {@code lsmod}, {@code losetup -a} and {@code monitor}, each in the format
 * of the tool it imitates (dmsetup, kmod's lsmod, util-linux losetup, {@code udevadm monitor}).
 */
public final class Formats {

    /** What dmctl reports as its library version: it speaks for libdevmapper 1.02.185 (libdm: dm_get_library_version). */
    public static final String LIBRARY_VERSION = "1.02.185 (2022-05-18)";
    /** The prefix of a udev cookie's semaphore key, {@code DM_COOKIE_MAGIC}. */
    public static final int COOKIE_MAGIC = 0x0D4D;

    /** How {@code -o devno|blkdevname|devname} names a device in {@code ls} and {@code deps}. */
    public enum DevName { DEVNO, BLK, MAP }

    private static final String[] UDEV_FLAG_NAMES = {"DISABLE_DM_RULES", "DISABLE_SUBSYSTEM_RULES",
        "DISABLE_DISK_RULES", "DISABLE_OTHER_RULES", "LOW_PRIORITY", "DISABLE_LIBRARY_FALLBACK", "PRIMARY_SOURCE"};

    private Formats() {
    }

    /**
     * Walks dmsetup's comma-separated {@code -o} words in order, handing each to {@code accept};
     * returns the rest from the first word it rejects, or null if it accepted them all. A trailing
     * comma ends the list; it does not add an empty word.
     */
    public static String optionWords(String options, Predicate<String> accept) {
        if (options == null) {
            return null;
        }
        for (int at = 0; at < options.length(); ) {
            int end = options.indexOf(',', at);
            if (end < 0) {
                end = options.length();
            }
            if (!accept.test(options.substring(at, end))) {
                return options.substring(at);
            }
            at = end + 1;
        }
        return null;
    }

    /** {@code dmsetup ls}: {@code NAME\t(MAJ:MIN)}, or the block or dm name when {@code -o} asks and it resolves. */
    public static void listEntry(StringBuilder out, String name, int major, int minor, DevName type,
                                 BlockNames names) {
        String resolved = type == DevName.DEVNO ? null : names.name(major, minor, type == DevName.BLK);
        out.append(name).append("\t(").append(resolved != null ? resolved : major + ":" + minor).append(")\n");
    }

    /** {@code dmsetup deps}: {@code N dependencies\t:} and {@code  (MAJ, MIN)} per device. */
    public static void deps(StringBuilder out, DmInfo info, List<String> dependencies, boolean multiple,
                            int verbose, DevName type, BlockNames names) {
        if (verbose > 0) {
            InfoFormat.longForm(out, info);
        }
        if (multiple && verbose == 0) {
            out.append(info.name()).append(": ");
        }
        out.append(dependencies.size()).append(" dependencies\t:");
        for (String dev : dependencies) {
            int[] number = DmInfo.majorMinor(dev);
            String resolved = type == DevName.DEVNO ? null : names.name(number[0], number[1], type == DevName.BLK);
            if (resolved != null) {
                out.append(" (").append(resolved).append(')');
            } else {
                out.append(" (").append(number[0]).append(", ").append(number[1]).append(')');
            }
        }
        out.append('\n');
        if (multiple && verbose > 0) {
            out.append('\n');
        }
    }

    /** {@code dmsetup targets} / {@code target-version}: {@code %-16s v%u.%u.%u}. */
    public static void targets(StringBuilder out, List<Replies.TargetVersion> targets) {
        for (Replies.TargetVersion t : targets) {
            out.append(String.format("%-16s v%s", t.name(), t.version())).append('\n');
        }
    }

    /** The library line of {@code dmsetup version}, printed even when the driver cannot be asked. */
    public static void libraryVersion(StringBuilder out) {
        out.append("Library version:   ").append(LIBRARY_VERSION).append('\n');
    }

    public static void driverVersion(StringBuilder out, Replies.DriverVersion version) {
        out.append("Driver version:    ").append(version.major()).append('.').append(version.minor()).append('.')
                .append(version.patch()).append('\n');
    }

    /** {@code dmsetup udevflags COOKIE}: one {@code NAME='1'} line per flag set in the cookie's high half. */
    public static void udevFlags(StringBuilder out, long cookie) {
        int flags = (int) (cookie >>> 16) & 0xFFFF;
        for (int i = 0; i < 16; i++) {
            if ((flags & (1 << i)) == 0) {
                continue;
            }
            if (i < 8 && i < UDEV_FLAG_NAMES.length) {
                out.append("DM_UDEV_").append(UDEV_FLAG_NAMES[i]).append("_FLAG='1'\n");
            } else if (i < 8) {
                out.append("DM_UDEV_FLAG").append(i).append("='1'\n");
            } else {
                out.append("DM_SUBSYSTEM_UDEV_FLAG").append(i - 8).append("='1'\n");
            }
        }
    }

    /** The cookie value libdm shows for dmd's cookie (the semaphore key): the magic in the high half. */
    public static long libdmCookie(long cookie) {
        return ((long) COOKIE_MAGIC << 16) | (cookie & 0xFFFF);
    }

    private static final DateTimeFormatter CTIME = DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss yyyy",
            Locale.US);

    /**
     * {@code dmsetup udevcookies}: dmd keeps no SysV semaphores, so the semid column shows the
     * cookie's own number, and both times are the cookie's creation.
     */
    public static void udevCookies(StringBuilder out, List<Replies.CookieInfo> cookies, ZoneId zone) {
        out.append("Cookie       Semid      Value      Last semop time           Last change time\n");
        for (Replies.CookieInfo c : cookies) {
            String time = CTIME.format(Instant.ofEpochMilli(c.createdEpochMillis()).atZone(zone));
            out.append(String.format("0x%-10x %-10d %-10d %s  %s", libdmCookie(c.cookie()), c.cookie() & 0xFFFF,
                    c.value(), time, time)).append('\n');
        }
    }

    /** kmod's lsmod: {@code %-19s %8ld  %d} and the holders; built-in modules are not listed, sizes are 0. */
    public static void lsmod(StringBuilder out, List<Replies.ModuleInfo> modules) {
        out.append("Module                  Size  Used by\n");
        for (Replies.ModuleInfo m : modules) {
            if (m.builtin()) {
                continue;
            }
            out.append(String.format("%-19s %8d  %d", m.name(), 0, m.refcount()));
            List<String> users = m.usedBy() == null ? List.of() : m.usedBy();
            if (!users.isEmpty()) {
                out.append(' ').append(String.join(",", users));
            }
            out.append('\n');
        }
    }

    /**
     * util-linux's {@code losetup -a}: {@code /dev/loopN: [DEV]:INODE (FILE)} where DEV and INODE
     * identify the backing file ({@code [%04d]} of its st_dev); {@code []: (FILE)} when unknown.
     */
    public static void loop(StringBuilder out, Replies.LoopInfo loop, long fileDevice, long fileInode) {
        String device = loop.device().startsWith("/") ? loop.device() : "/dev/" + loop.device();
        if (fileDevice == 0 && fileInode == 0) {
            out.append(device).append(": []: (").append(loop.file()).append(")\n");
        } else {
            out.append(String.format("%s: [%04d]:%d (%s)", device, fileDevice, fileInode, loop.file())).append('\n');
        }
    }

    /** The header {@code udevadm monitor --kernel --property} prints. */
    public static void monitorHeader(StringBuilder out) {
        out.append("monitor will print the received events for:\nKERNEL - the kernel uevent\n\n");
    }

    /**
     * One uevent as {@code udevadm monitor --kernel --property} prints it: the summary line with a
     * monotonic timestamp, then ACTION, DEVPATH, SUBSYSTEM, the environment, SEQNUM, MAJOR and
     * MINOR (udev lists the device number last), then a blank line. DEVNAME gains {@code /dev/}.
     */
    public static void uevent(StringBuilder out, MonitorEvent.Uevent event, long monotonicMicros) {
        out.append(String.format("KERNEL[%d.%06d] %-8s %s (%s)", monotonicMicros / 1_000_000,
                monotonicMicros % 1_000_000, event.action(), event.devpath(), event.subsystem())).append('\n');
        out.append("ACTION=").append(event.action()).append('\n');
        out.append("DEVPATH=").append(event.devpath()).append('\n');
        out.append("SUBSYSTEM=").append(event.subsystem()).append('\n');
        List<String> last = new ArrayList<>();
        for (Map.Entry<String, String> e : event.env().entrySet()) {
            String key = e.getKey();
            if (key.equals("MAJOR") || key.equals("MINOR")) {
                last.add(key + "=" + e.getValue());
            } else if (key.equals("DEVNAME") && !e.getValue().startsWith("/")) {
                out.append("DEVNAME=/dev/").append(e.getValue()).append('\n');
            } else if (!key.equals("ACTION") && !key.equals("DEVPATH") && !key.equals("SUBSYSTEM")
                    && !key.equals("SEQNUM")) {
                out.append(key).append('=').append(e.getValue()).append('\n');
            }
        }
        out.append("SEQNUM=").append(event.seqnum()).append('\n');
        for (String line : last) {
            out.append(line).append('\n');
        }
        out.append('\n');
    }

    /** A kernel message in the monitor stream, in the uevent line's shape. */
    public static void kernelMessage(StringBuilder out, MonitorEvent.KernelMessage message, long monotonicMicros) {
        out.append(String.format("KMSG[%d.%06d] %-8s %s", monotonicMicros / 1_000_000, monotonicMicros % 1_000_000,
                message.level().toLowerCase(Locale.ROOT), message.text())).append('\n');
    }
}

package org.dmd.client.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.dmd.client.ConnectionException;
import org.dmd.client.DeviceId;
import org.dmd.client.DmClient;
import org.dmd.client.NameMangling;
import org.dmd.client.SocketPaths;
import org.dmd.client.WireCodec;
import org.dmd.client.format.DmInfo;
import org.dmd.core.control.Replies;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;

/**
 * One run of dmctl: the parsed switches, the streams, the environment, the connection (opened on
 * first use, so commands that need no daemon never look for one), and the helpers every command
 * shares — device addressing with name mangling, udev flags, and libdm's error lines.
 * Used by one thread.
 */
final class Session implements AutoCloseable {

    /** Ends the run at once: dmd is unreachable or the connection broke. The message is printed as is. */
    static final class Abort extends RuntimeException {
        Abort(String message) {
            super(message, null, false, false);
        }
    }

    /** libdm's udev flags (libdm-common.c: DM_UDEV_* flags, dm_task_set_cookie) that dmctl sets in event_nr. */
    private static final int UDEV_DISABLE_DM_RULES = 0x01;
    private static final int UDEV_DISABLE_SUBSYSTEM_RULES = 0x02;
    private static final int UDEV_DISABLE_LIBRARY_FALLBACK = 0x20;
    private static final int UDEV_PRIMARY_SOURCE = 0x40;

    final DmctlOptions options;
    final InputStream in;
    final PrintStream out;
    final PrintStream err;
    final Map<String, String> env;
    final NameMangling.Mode mangling;
    /** The udev transaction joined with --udevcookie or DM_UDEV_COOKIE (0: none). */
    final long udevCookie;
    /** The terminal's width for tree drawing (0: dmsetup's default). */
    final int terminalWidth;
    private final List<Object> jsonResults = new ArrayList<>();
    private DmClient client;

    Session(DmctlOptions options, InputStream in, PrintStream out, PrintStream err, Map<String, String> env,
            NameMangling.Mode mangling, long udevCookie, int terminalWidth) {
        this.options = options;
        this.in = in;
        this.out = out;
        this.err = err;
        this.env = env;
        this.mangling = mangling;
        this.udevCookie = udevCookie;
        this.terminalWidth = terminalWidth;
    }

    /** The daemon's socket: --socket, else DMD_SOCKET, else the default for this uid. */
    Path socket() {
        return SocketPaths.resolve(options.socket, env, SocketPaths.currentUid());
    }

    DmClient client() {
        if (client == null) {
            try {
                client = DmClient.connect(socket());
            } catch (DmException e) {
                throw new Abort(e.getMessage());
            }
        }
        return client;
    }

    int verbosity() {
        return options.verbosity();
    }

    boolean json() {
        return options.json;
    }

    // ------------------------------------------------------------------ printing

    void print(CharSequence text) {
        if (!options.json) {
            out.append(text);
        }
    }

    /** libdm's log_error: one line on stderr. */
    void error(String line) {
        err.append(line).append('\n');
    }

    /** A result for {@code --json}: the reply records of the command, printed together at the end. */
    void result(Object record) {
        jsonResults.add(record);
    }

    void printJson() {
        if (!options.json || jsonResults.isEmpty()) {
            return;
        }
        Object value = jsonResults.size() == 1 ? jsonResults.get(0) : jsonResults;
        try {
            ObjectMapper mapper = WireCodec.mapper();
            out.append(mapper.writerWithDefaultPrettyPrinter().writeValueAsString(value)).append('\n');
        } catch (JsonProcessingException e) {
            err.append("dmctl: cannot write JSON: ").append(e.getMessage()).append('\n');
        }
    }

    // ------------------------------------------------------------------ calling the daemon

    /** A daemon call that may fail with the daemon's errno. */
    @FunctionalInterface
    interface Call<T> {
        T run(DmClient client) throws DmException;
    }

    /** What a request was sent for, to name it in libdm's error line. */
    record Target(String name, String uuid, String dev) {
        /** A request about no device in particular: libdm's line then reads "on   failed". */
        static final Target UNNAMED = new Target("", null, null);

        static Target of(DeviceId id) {
            return new Target(id.name(), id.uuid(), id.dev());
        }
    }

    /**
     * Runs a call; on failure prints libdm's line
     * {@code device-mapper: OP ioctl on NAME UUID(MAJ:MIN) failed: STRERROR} (and with -v the
     * daemon's explanation) and returns null. Connection failures end the run.
     */
    <T> T call(String op, Target target, Call<T> call) {
        try {
            return call.run(client());
        } catch (ConnectionException e) {
            throw new Abort(e.getMessage());
        } catch (DmException e) {
            ioctlFailed(op, target, e);
            return null;
        }
    }

    /** Like {@link #call} but hands ENXIO back (as null result and a flag) for info-style queries. */
    <T> Outcome<T> query(String op, Target target, Call<T> call) {
        try {
            return new Outcome<>(call.run(client()), false);
        } catch (ConnectionException e) {
            throw new Abort(e.getMessage());
        } catch (DmException e) {
            if (e.errno() == Errno.ENXIO) {
                return new Outcome<>(null, true);
            }
            ioctlFailed(op, target, e);
            return new Outcome<>(null, false);
        }
    }

    record Outcome<T>(T value, boolean missing) {
    }

    void ioctlFailed(String op, Target target, DmException e) {
        String dev = "";
        if (target.dev() != null) {
            int[] number = DmInfo.majorMinor(target.dev());
            if (number[0] > 0) {
                dev = "(" + number[0] + ":" + number[1] + ")";
            }
        }
        error("device-mapper: " + op + " ioctl on " + nullToEmpty(target.name()) + " " + nullToEmpty(target.uuid())
                + dev + " failed: " + e.errno().strerror());
        if (verbosity() > 0 && !e.getMessage().isEmpty() && !e.getMessage().equals(e.errno().strerror())) {
            error("dmd: " + e.getMessage());
        }
    }

    static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }

    // ------------------------------------------------------------------ devices

    /**
     * The device a command names (libdm's _set_task_device): the name given (mangled as libdm
     * sends it), else -u, else -j/-m; null after printing the reason when there is none or the
     * name cannot be sent.
     */
    DeviceId device(String name) {
        if (name != null) {
            return named(name);
        }
        if (options.uuid != null) {
            try {
                return DeviceId.uuid(NameMangling.mangleUuid(options.uuid, mangling));
            } catch (DmException e) {
                error(e.getMessage());
                return null;
            }
        }
        if (options.major != null && options.minor != null) {
            return DeviceId.dev(atoi(options.major), atoi(options.minor));
        }
        error("No device specified.");
        return null;
    }

    /** True if -u or -j/-m name the device, so no name is taken from the arguments. */
    boolean deviceBySwitch() {
        return options.uuid != null || options.major != null;
    }

    /**
     * A device name as libdm sends it. A path ({@code /}) names an existing device's node: dmd has
     * device nodes only in name, so {@code DM_DEV_DIR/mapper/NAME} (default {@code /dev/mapper})
     * stands for NAME, unmangled, and any other path is not found.
     */
    DeviceId named(String name) {
        int slash = name.lastIndexOf('/');
        if (slash >= 0) {
            String mapper = devDir() + "mapper/";
            if (name.startsWith(mapper) && name.indexOf('/', mapper.length()) < 0 && slash + 1 < name.length()) {
                return DeviceId.name(name.substring(slash + 1));
            }
            error("Device " + name + " not found");
            return null;
        }
        try {
            return DeviceId.name(NameMangling.mangleName(name, mangling));
        } catch (DmException e) {
            error(e.getMessage());
            return null;
        }
    }

    /** DM_DEV_DIR (absolute) with a trailing slash, default {@code /dev/}. */
    String devDir() {
        String dir = env.get("DM_DEV_DIR");
        if (dir == null || dir.isEmpty() || !dir.startsWith("/")) {
            return "/dev/";
        }
        return dir.endsWith("/") ? dir : dir + "/";
    }

    /**
     * The status of a device as shown: name and uuid unmangled as libdm does with replies; null
     * (after printing libdm's complaint) if they cannot be.
     */
    DmInfo shown(Replies.DeviceInfo info) {
        try {
            return DmInfo.of(unmangled(info));
        } catch (DmException e) {
            error(e.getMessage());
            return null;
        }
    }

    /** A reply for {@code --json}: names unmangled where they can be, else as the daemon sent them. */
    Replies.DeviceInfo forJson(Replies.DeviceInfo info) {
        try {
            return unmangled(info);
        } catch (DmException e) {
            return info;
        }
    }

    private Replies.DeviceInfo unmangled(Replies.DeviceInfo info) throws DmException {
        return new Replies.DeviceInfo(NameMangling.unmangleReply(info.name(), "name", mangling),
                NameMangling.unmangleReply(info.uuid(), "UUID", mangling), info.dev(), info.flags(),
                info.openCount(), info.eventNr(), info.targetCount());
    }

    String shownName(String stored) {
        try {
            return NameMangling.unmangleReply(stored, "name", mangling);
        } catch (DmException e) {
            error(e.getMessage());
            return null;
        }
    }

    // ------------------------------------------------------------------ udev cookies in event_nr

    /**
     * event_nr as libdm fills it for a task that may cause a uevent: the udev flags in the high
     * half (library fallback disabled when the device directory is udev's, rules disabled with
     * --noudevrules, primary source for resume, remove and rename), the joined cookie in the low half.
     */
    long eventNr(boolean primarySource) {
        int flags = 0;
        boolean udevDir = devDir().equals("/dev/");
        if (udevDir && (udevCookie != 0 || !options.verifyUdev)) {
            flags |= UDEV_DISABLE_LIBRARY_FALLBACK;
        }
        if (options.noUdevRules) {
            flags |= UDEV_DISABLE_DM_RULES | UDEV_DISABLE_SUBSYSTEM_RULES;
        }
        if (primarySource) {
            flags |= UDEV_PRIMARY_SOURCE;
        }
        return ((long) flags << 16) | (udevCookie & 0xFFFF);
    }

    /** C's atoi: leading blanks, a sign, digits; 0 if none. */
    static int atoi(String s) {
        int i = 0;
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
            i++;
        }
        boolean negative = false;
        if (i < s.length() && (s.charAt(i) == '-' || s.charAt(i) == '+')) {
            negative = s.charAt(i) == '-';
            i++;
        }
        long value = 0;
        while (i < s.length() && Character.isDigit(s.charAt(i)) && value < Integer.MAX_VALUE) {
            value = value * 10 + (s.charAt(i) - '0');
            i++;
        }
        return (int) (negative ? -value : value);
    }

    @Override
    public void close() {
        if (client != null) {
            client.close();
        }
    }
}

package org.dmd.client.cli;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.dmd.client.NameMangling;
import org.dmd.client.bench.Operation;
import org.dmd.client.format.Formats;
import org.dmd.client.format.Report;
import org.dmd.client.format.TreeFormat;
import picocli.CommandLine;

/**
 * dmctl: dmsetup's command set, options and output over dmd, plus dmd's own commands (losetup,
 * modprobe, lsmod, monitor, shutdown, bench). Switches may come before or after the command, as with
 * dmsetup's getopt. Exit status 0 on success, 1 on failure.
 *
 * <p>{@link #run} is the whole program without the process around it, for tests and embedding.
 */
public final class Dmctl {

    /** One command of the table: its argument counts and whether it repeats per device argument. */
    private record Spec(String name, int minArgs, int maxArgs, int repeatable, String help) {
    }

    private static final List<Spec> COMMANDS = List.of(
            new Spec("help", 0, 0, 0, "[-c|-C|--columns]"),
            new Spec("create", 0, 2, 0, "<dev_name>\n"
                    + "\t    [-j|--major <major> -m|--minor <minor>]\n"
                    + "\t    [-U|--uid <uid>] [-G|--gid <gid>] [-M|--mode <octal_mode>]\n"
                    + "\t    [-u|--uuid <uuid>] [--addnodeonresume|--addnodeoncreate]\n"
                    + "\t    [--readahead {[+]<sectors>|auto|none}]\n"
                    + "\t    [-n|--notable|--table {<table>|<table_file>}]\n"
                    + "\tcreate --concise [<concise_device_spec_list>]"),
            new Spec("remove", 0, -1, 2, "[--deferred] [-f|--force] [--retry] <device>..."),
            new Spec("remove_all", 0, 0, 0, "[-f|--force]"),
            new Spec("suspend", 0, -1, 2, "[--noflush] [--nolockfs] <device>..."),
            new Spec("resume", 0, -1, 2, "[--noflush] [--nolockfs] <device>..."),
            new Spec("load", 0, 2, 0, "<device> [<table>|<table_file>]"),
            new Spec("clear", 0, -1, 2, "<device>"),
            new Spec("reload", 0, 2, 0, "<device> [<table>|<table_file>]"),
            new Spec("wipe_table", 0, -1, 2, "[-f|--force] [--noflush] [--nolockfs] <device>..."),
            new Spec("rename", 1, 2, 0, "<device> [--setuuid] <new_name_or_uuid>"),
            new Spec("message", 2, -1, 0, "<device> <sector> <message>"),
            new Spec("ls", 0, 0, 0, "[--target <target_type>] [-o <options>] [--tree]"),
            new Spec("info", 0, -1, 1, "[<device>...]"),
            new Spec("deps", 0, -1, 2, "[-o <options>] [<device>...]"),
            new Spec("status", 0, -1, 2, "[<device>...] [--noflush] [--target <target_type>]"),
            new Spec("table", 0, -1, 2, "[<device>...] [--concise] [--target <target_type>] [--showkeys]"),
            new Spec("wait", 0, 2, 0, "<device> [<event_nr>] [--noflush]"),
            new Spec("mknodes", 0, -1, 1, "[<device>...]"),
            new Spec("udevcreatecookie", 0, 0, 0, ""),
            new Spec("udevreleasecookie", 0, 1, 0, "[<cookie>]"),
            new Spec("udevflags", 1, 1, 0, "<cookie>"),
            new Spec("udevcomplete", 1, 1, 0, "<cookie>"),
            new Spec("udevcomplete_all", 0, 1, 0, "[<age_in_minutes>]"),
            new Spec("udevcookies", 0, 0, 0, ""),
            new Spec("target-version", 1, -1, 1, "[<target>...]"),
            new Spec("targets", 0, 0, 0, ""),
            new Spec("version", 0, 0, 0, ""),
            new Spec("setgeometry", 5, 5, 0, "<device> <cyl> <head> <sect> <start>"),
            new Spec("splitname", 1, 2, 0, "<device> [<subsystem>]"),
            new Spec("losetup", 0, -1, 0, "[-r] <file> | -d <loop_device>... | -a"),
            new Spec("modprobe", 0, -1, 0, "[-r|--remove] [--first-time] <module>..."),
            new Spec("lsmod", 0, 0, 0, ""),
            new Spec("monitor", 0, 0, 0, "[--kernel-messages]"),
            new Spec("shutdown", 0, 0, 0, "[-f|--force]"),
            new Spec("bench", 0, 1, 0, "[--connections <n>] [--ops <op>[=<weight>],...]\n"
                    + "\t    [--duration <time>|--count <n>] [--warmup <time>]\n"
                    + "\t    [--table <table>|--linear <dev>,... [--size <sectors>]]\n"
                    + "\t    [--name-prefix <prefix>] [<device>]\n"
                    + "\t    <op> is one of " + Operation.labels()));

    /** dmd's own commands: they report failures as the tools they imitate do, without "Command failed.". */
    private static final java.util.Set<String> DMD_COMMANDS = java.util.Set.of("losetup", "modprobe", "lsmod",
            "monitor", "shutdown", "bench");

    /** dmsetup commands dmd has no use for, and why. */
    private static final Map<String, String> UNSUPPORTED = Map.of(
            "stats", "dmd keeps no I/O statistics",
            "measure", "dmd has no IMA measurements",
            "mangle", "dmd stores names exactly as dmctl sends them");

    /** The property that names the process's selector provider (see SelectorProvider.provider()). */
    private static final String SELECTOR_PROVIDER_PROPERTY = "java.nio.channels.spi.SelectorProvider";
    /** The selector provider the JDK takes on Linux when none is named and none is a service. */
    static final String JDK_SELECTOR_PROVIDER = "sun.nio.ch.EPollSelectorProvider";

    private Dmctl() {
    }

    public static void main(String[] args) {
        nameJdkSelectorProvider();
        PrintStream out = new PrintStream(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16),
                false, StandardCharsets.UTF_8);
        PrintStream err = new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);
        int status = run(args, System.in, out, err, System.getenv(), terminalWidth(System.getenv()));
        out.flush();
        err.flush();
        System.exit(status);
    }

    /**
     * Names the JDK's own selector provider, so that opening dmd's socket does not first search
     * every jar on the class path for a provider service: that search was a tenth of a dmctl run.
     * Nothing changes where a provider is named already or the JDK has no such class.
     */
    private static void nameJdkSelectorProvider() {
        if (System.getProperty(SELECTOR_PROVIDER_PROPERTY) != null) {
            return;
        }
        try {
            Class.forName(JDK_SELECTOR_PROVIDER, false, null);
        } catch (ClassNotFoundException e) {
            return;
        }
        System.setProperty(SELECTOR_PROVIDER_PROPERTY, JDK_SELECTOR_PROVIDER);
    }

    /** The tree's width when stdout is a terminal (COLUMNS less 3, as dmsetup takes it from the tty), else 0. */
    private static int terminalWidth(Map<String, String> env) {
        if (System.console() == null) {
            return 0;
        }
        int columns = Session.atoi(env.getOrDefault("COLUMNS", "0"));
        return columns > 3 ? columns - 3 : 0;
    }

    /**
     * Runs dmctl: parses {@code args}, executes the command against the daemon, writes to
     * {@code out}/{@code err}, and returns the exit status.
     *
     * @param terminalWidth the tree drawing width, or 0 for dmsetup's default (80)
     */
    public static int run(String[] args, InputStream in, PrintStream out, PrintStream err, Map<String, String> env,
                          int terminalWidth) {
        try {
            return execute(args, in, out, err, env, terminalWidth);
        } finally {
            out.flush();
            err.flush();
        }
    }

    /** What a command line asks for, once it has been read and checked. */
    private record Invocation(DmctlOptions options, NameMangling.Mode mangling, long udevCookie, Spec spec,
                              List<String> arguments) {
    }

    private static int execute(String[] args, InputStream in, PrintStream out, PrintStream err,
                               Map<String, String> env, int terminalWidth) {
        Invocation invocation = prepare(args, env, err);
        if (invocation == null) {
            return 1;
        }
        DmctlOptions options = invocation.options();
        int status;
        try (Session session = new Session(options, in, out, err, env, invocation.mangling(), invocation.udevCookie(),
                terminalWidth)) {
            status = perform(session, invocation.spec(), invocation.arguments());
            session.printJson();
        } catch (Session.Abort abort) {
            err.append(abort.getMessage()).append('\n');
            status = 1;
        }
        return options.help || options.version ? 0 : status;
    }

    /** Reads and checks the command line as dmsetup does; null (after saying why) if it cannot run. */
    private static Invocation prepare(String[] args, Map<String, String> env, PrintStream err) {
        String devDir = env.get("DM_DEV_DIR");
        if (devDir != null && !devDir.isEmpty() && !devDir.startsWith("/")) {
            err.append("Invalid DM_DEV_DIR environment variable value.\n");
            return null;
        }
        DmctlOptions options;
        String problem;
        try {
            options = DmctlOptions.parse(args);
            problem = checkSwitches(options);
        } catch (CommandLine.ParameterException e) {
            options = new DmctlOptions();
            problem = parseProblem(e, args);
        }
        NameMangling.Mode mangling = mangling(options, env);
        if (problem == null && mangling == null) {
            problem = "Unknown name mangling mode.";
        }
        if (problem != null) {
            err.append(problem).append('\n').append("Couldn't process command line.\n");
            return null;
        }
        long cookie = udevCookie(options, env, err);
        List<String> words = options.words;
        String name = options.help ? "help" : options.version ? "version" : words.isEmpty() ? null : words.get(0);
        List<String> arguments = options.help || options.version || words.isEmpty() ? List.of()
                : words.subList(1, words.size());
        Spec spec = command(name, arguments, options, err);
        if (spec == null) {
            return null;
        }
        if (spec.name().equals("splitname") && !options.columnsWanted()) {
            options.columns = 1;
        }
        String optionProblem = checkListOptions(options, env);
        if (optionProblem != null) {
            err.append(optionProblem).append('\n').append("Couldn't process command line.\n");
            return null;
        }
        return new Invocation(options, mangling, cookie, spec, arguments);
    }

    /** The command named, with its argument count checked; null (after saying why) if there is none. */
    private static Spec command(String name, List<String> arguments, DmctlOptions options, PrintStream err) {
        if (name == null) {
            usage(err);
            return null;
        }
        if (UNSUPPORTED.containsKey(name)) {
            err.append("dmctl: ").append(name).append(" is not supported: ").append(UNSUPPORTED.get(name))
                    .append(".\n");
            return null;
        }
        Spec spec = find(name);
        if (spec == null) {
            err.append("Unknown command.\n");
            usage(err);
            return null;
        }
        if (arguments.size() < spec.minArgs() || (spec.maxArgs() >= 0 && arguments.size() > spec.maxArgs())) {
            err.append("Incorrect number of arguments.\n");
            usage(err);
            return null;
        }
        if (options.select != null) {
            err.append("dmctl: -S/--select is not supported: dmd's dmctl has no selection language.\n");
            return null;
        }
        if (options.exec != null) {
            err.append("dmctl: --exec is not supported: dmd's devices have no nodes to pass to a command.\n");
            return null;
        }
        return spec;
    }

    /** getopt_long's complaint about a bad command line. */
    private static String parseProblem(CommandLine.ParameterException failure, String[] args) {
        if (failure instanceof CommandLine.UnmatchedArgumentException unmatched) {
            String arg = unmatched.getUnmatched().isEmpty() ? "" : unmatched.getUnmatched().get(0);
            return arg.startsWith("--") ? "dmctl: unrecognized option '" + arg + "'"
                    : "dmctl: invalid option -- '" + (arg.length() > 1 ? arg.substring(1, 2) : arg) + "'";
        }
        if (failure instanceof CommandLine.MissingParameterException && args.length > 0) {
            // Only the last word can lack its argument.
            String option = args[args.length - 1];
            return option.startsWith("--") ? "dmctl: option '" + option + "' requires an argument"
                    : "dmctl: option requires an argument -- '" + option.charAt(option.length() - 1) + "'";
        }
        return "dmctl: " + failure.getMessage();
    }

    /** The checks dmsetup makes while and after reading its switches. */
    private static String checkSwitches(DmctlOptions options) {
        if (options.mode != null) {
            try {
                if (Integer.parseInt(options.mode, 8) == 0) {
                    return "Invalid argument for --mode: " + options.mode + ". ";
                }
            } catch (NumberFormatException e) {
                return "Invalid argument for --mode: " + options.mode + ". ";
            }
        }
        if (options.readAhead != null && !options.readAhead.equalsIgnoreCase("auto")
                && !options.readAhead.equalsIgnoreCase("none") && Session.atoi(options.readAhead) < -1) {
            return "Negative read ahead value (" + Session.atoi(options.readAhead) + ") is not understood.";
        }
        if ((options.major == null) != (options.minor == null)) {
            return "Please specify both major number and minor number.";
        }
        if (options.table != null && options.notable) {
            return "--table and --notable are incompatible.";
        }
        if (options.addNodeOnCreate && options.addNodeOnResume) {
            return "--addnodeonresume and --addnodeoncreate are incompatible.";
        }
        return null;
    }

    /** --manglename, else DM_DEFAULT_NAME_MANGLING_MODE (ignored if unknown), else auto; null if the switch is bad. */
    private static NameMangling.Mode mangling(DmctlOptions options, Map<String, String> env) {
        if (options.mangleName != null) {
            return NameMangling.Mode.parse(options.mangleName);
        }
        String fromEnv = env.get("DM_DEFAULT_NAME_MANGLING_MODE");
        NameMangling.Mode mode = fromEnv == null ? null : NameMangling.Mode.parse(fromEnv);
        return mode == null ? NameMangling.Mode.AUTO : mode;
    }

    /** The udev transaction to join: --udevcookie, else DM_UDEV_COOKIE. */
    private static long udevCookie(DmctlOptions options, Map<String, String> env, PrintStream err) {
        if (options.udevCookie != null) {
            long cookie = CookieCommands.cookieValue(options.udevCookie);
            if (cookie == 0) {
                err.append("Incorrect cookie value.\n");
            }
            return cookie;
        }
        String fromEnv = env.get("DM_UDEV_COOKIE");
        return fromEnv == null || fromEnv.isEmpty() ? 0 : CookieCommands.cookieValue(fromEnv);
    }

    /** dmsetup's _process_options: -o is tree options with --tree, ls/deps naming options otherwise. */
    private static String checkListOptions(DmctlOptions options, Map<String, String> env) {
        if (options.tree) {
            String bad = new TreeFormat.Options().parse(options.options, utf8Locale(env));
            return bad == null ? null : "Tree options not recognised: " + bad + ".";
        }
        if (options.columnsWanted() || options.options == null) {
            return null;
        }
        String bad = devNameWords(options.options, null);
        return bad == null ? null : "Option not recognised: " + bad + ".";
    }

    /** The -o naming of ls and deps: devno, blkdevname or devname (each may be abbreviated; the last wins). */
    static Formats.DevName devNameType(String options) {
        Formats.DevName[] type = {Formats.DevName.DEVNO};
        devNameWords(options, type);
        return type[0];
    }

    private static String devNameWords(String options, Formats.DevName[] type) {
        return Formats.optionWords(options, word -> {
            Formats.DevName match = "devno".startsWith(word) ? Formats.DevName.DEVNO
                    : "blkdevname".startsWith(word) ? Formats.DevName.BLK
                    : "devname".startsWith(word) ? Formats.DevName.MAP : null;
            if (match != null && type != null) {
                type[0] = match;
            }
            return match != null;
        });
    }

    static TreeFormat.Options treeOptions(Session session) {
        TreeFormat.Options tree = new TreeFormat.Options();
        tree.parse(session.options.options, utf8Locale(session.env));
        if (session.terminalWidth > 0 && tree.symbols != TreeFormat.Symbols.VT100) {
            tree.width = session.terminalWidth;
        }
        return tree;
    }

    /** nl_langinfo(CODESET) is UTF-8 when the first set of LC_ALL, LC_CTYPE, LANG names it. */
    static boolean utf8Locale(Map<String, String> env) {
        for (String variable : new String[] {"LC_ALL", "LC_CTYPE", "LANG"}) {
            String value = env.get(variable);
            if (value != null && !value.isEmpty()) {
                String lower = value.toLowerCase(Locale.ROOT);
                return lower.contains("utf-8") || lower.contains("utf8");
            }
        }
        return false;
    }

    private static Spec find(String name) {
        for (Spec spec : COMMANDS) {
            if (spec.name().equals(name)) {
                return spec;
            }
        }
        return null;
    }

    // ------------------------------------------------------------------ performing a command

    private static int perform(Session s, Spec spec, List<String> args) {
        Report report = null;
        if (s.options.columnsWanted() && !spec.name().equals("help")) {
            try {
                report = Report.of(spec.name().equals("splitname") ? Report.SPLITNAME_FIELDS : Report.DEFAULT_FIELDS,
                        s.options.options, reportSettings(s.options));
            } catch (Report.ReportException e) {
                s.err.append(e.getMessage()).append('\n');
                return 1;
            }
            if (report.helpRequested()) {
                s.err.append(Report.fieldHelp()).append(" \n");
            }
        }
        QueryCommands queries = new QueryCommands(s, report);
        if (!queries.prepareReport()) {
            return 1;
        }
        boolean multiple = spec.repeatable() > 0 && args.size() != 1 && (!args.isEmpty() || !s.deviceBySwitch());
        boolean ok = true;
        int i = 0;
        do {
            String device = i < args.size() ? args.get(i) : null;
            List<String> rest = args.subList(Math.min(i, args.size()), args.size());
            if (!dispatch(s, spec, queries, device, rest, multiple)) {
                if (!DMD_COMMANDS.contains(spec.name())) {
                    s.error("Command failed.");
                }
                ok = false;
                break;
            }
            i++;
        } while (spec.repeatable() > 0 && i < args.size());
        queries.finishTable();
        queries.flushReport();
        return ok ? 0 : 1;
    }

    private static Report.Settings reportSettings(DmctlOptions o) {
        return Report.Settings.of(o.noHeadings, o.separator, o.namePrefixes, o.unquoted, o.rows, o.sort);
    }

    private static boolean dispatch(Session s, Spec spec, QueryCommands queries, String device, List<String> args,
                                    boolean multiple) {
        DeviceCommands devices = new DeviceCommands(s);
        CookieCommands cookies = new CookieCommands(s);
        DmdCommands dmd = new DmdCommands(s);
        switch (spec.name()) {
            case "help":
                usage(s.err);
                if (s.options.columnsWanted()) {
                    s.err.append(Report.fieldHelp()).append(" \n");
                }
                return true;
            case "create":
                return devices.create(args);
            case "remove":
                return devices.remove(device);
            case "remove_all":
                return devices.removeAll();
            case "suspend":
                return devices.suspend(device);
            case "resume":
                return devices.resume(device);
            case "load":
            case "reload":
                return devices.load(args);
            case "clear":
                return devices.clear(device);
            case "wipe_table":
                return devices.errorDevice(device);
            case "rename":
                return devices.rename(args);
            case "message":
                return devices.message(args);
            case "wait":
                return devices.waitEvent(args);
            case "setgeometry":
                return devices.setGeometry(args);
            case "mknodes":
                return devices.mknodes(device);
            case "ls":
                return queries.ls();
            case "info":
                return queries.info(device, multiple);
            case "deps":
                return queries.deps(device, multiple);
            case "status":
                return queries.status(device, multiple);
            case "table":
                return queries.table(device, multiple);
            case "targets":
                return queries.targets();
            case "target-version":
                return queries.targetVersion(device);
            case "version":
                return queries.version();
            case "splitname":
                return queries.splitName(args);
            case "udevcreatecookie":
                return cookies.createCookie();
            case "udevreleasecookie":
                return cookies.releaseCookie(args);
            case "udevflags":
                return cookies.flags(device);
            case "udevcomplete":
                return cookies.complete(device);
            case "udevcomplete_all":
                return cookies.completeAll(args);
            case "udevcookies":
                return cookies.cookies();
            case "losetup":
                return dmd.losetup(args);
            case "modprobe":
                return dmd.modprobe(args);
            case "lsmod":
                return dmd.lsmod();
            case "monitor":
                return dmd.monitor();
            case "shutdown":
                return dmd.shutdown();
            case "bench":
                return new BenchCommand(s).run(device);
            default:
                throw new IllegalStateException("no handler for " + spec.name());
        }
    }

    static void usage(PrintStream err) {
        StringBuilder out = new StringBuilder();
        out.append("Usage:\n\n"
                + "dmctl\n"
                + "        [--version] [-h|--help [-c|-C|--columns]]\n"
                + "        [-v|--verbose [-v|--verbose ...]] [-f|--force]\n"
                + "        [--checks] [--manglename {none|hex|auto}]\n"
                + "        [-r|--readonly] [--noopencount] [--noflush] [--nolockfs] [--inactive]\n"
                + "        [--udevcookie <cookie>] [--noudevrules] [--noudevsync] [--verifyudev]\n"
                + "        [-y|--yes] [--readahead {[+]<sectors>|auto|none}] [--retry]\n"
                + "        [-c|-C|--columns] [-o <fields>] [-O|--sort <sort_fields>]\n"
                + "        [--nameprefixes] [--noheadings] [--separator <separator>]\n"
                + "        [--socket <path>] [--json]\n\n");
        for (Spec spec : COMMANDS) {
            out.append('\t').append(spec.name()).append(' ').append(spec.help()).append('\n');
        }
        out.append("\n<device> may be device name or (if only one) -u <uuid> or -j <major> -m <minor>\n"
                + "<mangling_mode> is one of 'none', 'auto' and 'hex'.\n"
                + "<fields> are comma-separated.  Use 'help -c' for list.\n"
                + "<concise_device_specification> has single-device entries separated by semi-colons:\n"
                + "    <name>,<uuid>,<minor>,<flags>,<table>\n"
                + "        where <flags> is 'ro' or 'rw' (the default) and any of <uuid>, <minor>\n"
                + "        and <flags> may be empty. Separate extra table lines with commas.\n"
                + "    E.g.: dev1,,,,0 100 linear 253:1 0,100 100 error;dev2,,,ro,0 1 error\n"
                + "Table_file contents may be supplied on stdin.\n"
                + "Options are: devno, devname, blkdevname.\n"
                + "Tree specific options are: ascii, utf, vt100; compact, inverted, notrunc;\n"
                + "                           blkdevname, [no]device, active, open, rw and uuid.\n"
                + "The daemon's socket is --socket, else $DMD_SOCKET, else dmd's default.\n\n");
        err.append(out);
    }
}

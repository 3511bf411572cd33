package org.dmd.daemon;

import com.sun.security.auth.module.UnixSystem;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.dmd.core.control.DeviceMapper;
import org.dmd.core.errno.DmException;
import org.dmd.core.journal.StateDirException;
import org.dmd.core.journal.StateJournal;
import org.dmd.core.module.ModuleFaults;
import org.dmd.core.module.ModuleIndex;
import org.dmd.core.module.ModulePolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code dmd}: the userspace device-mapper daemon. Runs in the foreground until SIGTERM, SIGINT
 * or a SHUTDOWN request; exit status 0 after a stop, 1 if it cannot start, 2 for bad options.
 */
@Command(name = "dmd", mixinStandardHelpOptions = true, versionProvider = Dmd.VersionProvider.class,
        sortOptions = false, usageHelpAutoWidth = true,
        description = "A userspace device-mapper: serves the dm-ioctl command set on a Unix domain socket.")
public final class Dmd implements Callable<Integer> {

    /** The logback.xml property that --verbose sets before anything logs. */
    static final String LOG_LEVEL_PROPERTY = "dmd.log.level";
    static final String SOCKET_ENVIRONMENT = "DMD_SOCKET";

    @Spec
    private CommandSpec spec;

    @Option(names = "--socket", paramLabel = "PATH", description = "The control socket. Default: $DMD_SOCKET, else "
            + "/run/dmd/control.sock as root, $XDG_RUNTIME_DIR/dmd/control.sock, or /tmp/dmd-UID/control.sock.")
    private Path socket;

    @Option(names = "--socket-mode", paramLabel = "MODE", defaultValue = "0600", converter = OctalMode.class,
            description = "Permission bits of the socket, in octal (default: ${DEFAULT-VALUE}). 0666 lets every uid "
                    + "connect and leaves the decision to the peer-credential check.")
    private int socketMode;

    @Option(names = "--allow-group", paramLabel = "GROUP", converter = GroupId.class,
            description = "Members of this group (name or gid) may use dmd besides uid 0 and dmd's own uid. Repeatable.")
    private List<Integer> allowGroups = new ArrayList<>();

    @Option(names = "--max-frame", paramLabel = "BYTES", defaultValue = "1M", converter = ByteSize.class,
            description = "The largest request or reply frame, in bytes; K and M suffixes accepted "
                    + "(default: ${DEFAULT-VALUE}).")
    private int maxFrame;

    @Option(names = "--idle-timeout", paramLabel = "DURATION", defaultValue = "5m", converter = TimeSpan.class,
            description = "Close a connection that sends nothing for this long and waits for nothing: 300, 300s, 5m, "
                    + "1h, 500ms (default: ${DEFAULT-VALUE}).")
    private Duration idleTimeout;

    @Option(names = "--workers", paramLabel = "N", description = "Threads executing commands (default: 4 per core, "
            + "at least 4: ${DEFAULT-VALUE}). When all are busy and 4 commands per worker wait, requests get EAGAIN.")
    private int workers = DaemonConfig.DEFAULT_WORKERS;

    @Option(names = "--nbd-socket", paramLabel = "PATH", description = "The NBD server's Unix socket: every device "
            + "with a live table is an export named like the device (default: nbd.sock beside the control socket).")
    private Path nbdSocket;

    @Option(names = "--nbd-listen", paramLabel = "HOST:PORT", converter = LoopbackPort.class,
            description = "Also serve NBD on this loopback address and TCP port (e.g. 127.0.0.1:10809; port 0 picks "
                    + "one). TCP has no peer credentials: every local user may connect.")
    private InetSocketAddress nbdListen;

    @Option(names = "--nbd-threads", paramLabel = "N", defaultValue = "" + DaemonConfig.DEFAULT_NBD_THREADS,
            description = "Threads submitting NBD requests to the devices, which read and write the loop files in "
                    + "that thread; 0 submits them from the event loops (default: ${DEFAULT-VALUE}).")
    private int nbdThreads;

    @Option(names = "--nbd-inflight", paramLabel = "BYTES", defaultValue = "64M", converter = ByteSize.class,
            description = "Bytes of NBD requests in flight per connection above which dmd stops reading from it "
                    + "until replies drain; K and M suffixes accepted (default: ${DEFAULT-VALUE}).")
    private int nbdInflight;

    @Option(names = "--major", paramLabel = "MAJOR",
            description = "The block major of mapped devices, 1..4095 but not 7 (dmd's loop devices); a host block "
                    + "major is accepted with a warning. Default: as the kernel picks a dynamic one, the highest "
                    + "from 254 down that /proc/devices does not list as a block major.")
    private Integer major;

    @Option(names = "--module-index", paramLabel = "DIR",
            description = "Read the module index (modules.dep, and modules.alias, modules.builtin, modules.softdep, "
                    + "modprobe.d/*.conf if present) from DIR instead of the one shipped with dmd.")
    private ModuleIndex moduleIndex;

    @Option(names = "--module-policy", paramLabel = "SPEC",
            description = "Reproduce older kernel or kmod behaviour; comma-separated key=value: "
                    + "loader=legacy-eexist-on-going|retry-until-gone|ebusy-no-retry, same-file=on|off, "
                    + "safety-net=on|off, registry-dup=EBUSY|EEXIST, kmod=18|19|20, coming-types=wait|take. "
                    + "Default: current kernel and kmod.")
    private ModulePolicy modulePolicy = ModulePolicy.DEFAULT;

    @Option(names = "--module-faults", paramLabel = "SPEC",
            description = "Faults injected into module init, comma-separated module:key=value[:key=value] with "
                    + "keys delay=DURATION, errno=E, fail-after-register=E; e.g. dm-mirror:delay=2s.")
    private ModuleFaults moduleFaults = ModuleFaults.NONE;

    @Option(names = "--state-dir", paramLabel = "DIR",
            description = "Keep devices, tables, loop devices and loaded modules across restarts and crashes: every "
                    + "change is journaled in DIR (fsync'd before its reply) and replayed at start. Off by default.")
    private Path stateDir;

    @Option(names = {"-v", "--verbose"}, description = "Log at debug level.")
    private boolean verbose;

    public static void main(String[] args) {
        System.exit(commandLine(new Dmd()).execute(args));
    }

    /** The command line of {@code dmd}, with the converters for dm-core's option values. */
    static CommandLine commandLine(Dmd dmd) {
        return new CommandLine(dmd)
                .registerConverter(ModuleIndex.class, fromCore(dir -> ModuleIndex.load(Path.of(dir))))
                .registerConverter(ModulePolicy.class, fromCore(ModulePolicy::parse))
                .registerConverter(ModuleFaults.class, fromCore(ModuleFaults::parse));
    }

    @Override
    public Integer call() {
        System.setProperty(LOG_LEVEL_PROPERTY, verbose ? "DEBUG" : "INFO");
        Logger log = LoggerFactory.getLogger(Dmd.class);
        DaemonConfig config;
        DeviceMapper mapper;
        try {
            config = config(System.getenv(), (int) new UnixSystem().getUid());
            mapper = deviceMapper().build();
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage(), e);
        }
        StateJournal journal = null;
        if (stateDir != null) {
            try {
                journal = StateJournal.open(stateDir, mapper, StateJournal.Options.DEFAULT);
            } catch (StateDirException e) {
                log.error("cannot start: {}", e.getMessage());
                mapper.close();
                return 1;
            }
            StateJournal.Recovered recovered = journal.recovered();
            log.info("state directory {}: replayed a snapshot of {} request(s) and {} journal record(s){}", stateDir,
                    recovered.snapshotEntries(), recovered.records(),
                    recovered.tornTail() ? "; dropped a torn last record (never acknowledged)" : "");
        }
        ControlServer server;
        try {
            server = ControlServer.start(config, mapper);
        } catch (StartupException e) {
            log.error(e.getMessage());
            mapper.close();
            if (journal != null) {
                journal.close();
            }
            return 1;
        }
        StateJournal opened = journal;
        Runnable stop = () -> {
            server.stop();
            if (opened != null) {
                opened.close();
            }
        };
        Runtime.getRuntime().addShutdownHook(new Thread(stop, "dmd-signal"));
        server.stopped().join();
        stop.run();
        return 0;
    }

    /** The options as a daemon configuration; IllegalArgumentException for values out of range. */
    DaemonConfig config(Map<String, String> environment, int uid) {
        return DaemonConfig.builder(socketPath(socket, environment, uid))
                .socketMode(socketMode)
                .allowedGroups(Set.copyOf(allowGroups))
                .maxFrame(maxFrame)
                .idleTimeout(idleTimeout)
                .workers(workers)
                .nbdSocket(nbdSocket)
                .nbdListen(nbdListen)
                .nbdThreads(nbdThreads)
                .nbdInflight(nbdInflight)
                .build();
    }

    /** The core as the options configure it; IllegalArgumentException for values out of range. */
    DeviceMapper.Builder deviceMapper() {
        Logger log = LoggerFactory.getLogger(Dmd.class);
        DeviceMapper.Builder builder = DeviceMapper.builder()
                .major(BlockMajor.choose(major, BlockMajor.PROC_DEVICES, log::warn)).modulePolicy(modulePolicy)
                .moduleFaults(moduleFaults);
        if (moduleIndex != null) {
            builder.moduleIndex(moduleIndex);
        }
        return builder;
    }

    /** {@code --socket}, else {@code $DMD_SOCKET}, else the default for this uid. */
    static Path socketPath(Path option, Map<String, String> environment, int uid) {
        if (option != null) {
            return option;
        }
        String fromEnvironment = environment.get(SOCKET_ENVIRONMENT);
        if (fromEnvironment != null && !fromEnvironment.isEmpty()) {
            return Path.of(fromEnvironment);
        }
        if (uid == 0) {
            return Path.of("/run/dmd/control.sock");
        }
        String runtime = environment.get("XDG_RUNTIME_DIR");
        if (runtime != null && !runtime.isEmpty()) {
            return Path.of(runtime, "dmd", "control.sock");
        }
        return Path.of("/tmp", "dmd-" + uid, "control.sock");
    }

    // ------------------------------------------------------------------ option values

    static final class OctalMode implements CommandLine.ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            if (!value.matches("0?[0-7]{3}")) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not an octal mode like 0600");
            }
            return Integer.parseInt(value, 8);
        }
    }

    /** Bytes, with an optional K (1024) or M (1024²) suffix. */
    static final class ByteSize implements CommandLine.ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            String digits = value;
            long unit = 1;
            if (value.endsWith("K") || value.endsWith("k")) {
                unit = 1024;
                digits = value.substring(0, value.length() - 1);
            } else if (value.endsWith("M") || value.endsWith("m")) {
                unit = 1024 * 1024;
                digits = value.substring(0, value.length() - 1);
            }
            if (!digits.matches("[0-9]{1,10}") || Long.parseLong(digits) * unit > Integer.MAX_VALUE) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not a size like 1048576, 64K or 1M");
            }
            return (int) (Long.parseLong(digits) * unit);
        }
    }

    /** A duration: a number with an optional unit, ms, s (the default), m or h. */
    static final class TimeSpan implements CommandLine.ITypeConverter<Duration> {
        private static final Pattern DURATION = Pattern.compile("([0-9]{1,9})(ms|s|m|h)?");

        @Override
        public Duration convert(String value) {
            Matcher m = DURATION.matcher(value);
            if (!m.matches()) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not a duration like 300, 300s, 5m, "
                        + "1h or 500ms");
            }
            long amount = Long.parseLong(m.group(1));
            String unit = m.group(2) == null ? "s" : m.group(2);
            switch (unit) {
                case "ms":
                    return Duration.ofMillis(amount);
                case "m":
                    return Duration.ofMinutes(amount);
                case "h":
                    return Duration.ofHours(amount);
                default:
                    return Duration.ofSeconds(amount);
            }
        }
    }

    /** HOST:PORT, with HOST an IP address or a name resolved now ({@code [::1]:PORT} for IPv6). */
    static final class LoopbackPort implements CommandLine.ITypeConverter<InetSocketAddress> {
        private static final Pattern HOST_PORT = Pattern.compile("\\[?([^\\]]*?)\\]?:([0-9]{1,5})");

        @Override
        public InetSocketAddress convert(String value) {
            Matcher m = HOST_PORT.matcher(value);
            if (!m.matches() || m.group(1).isEmpty() || Integer.parseInt(m.group(2)) > 65535) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not an address like 127.0.0.1:10809");
            }
            InetSocketAddress address = new InetSocketAddress(m.group(1), Integer.parseInt(m.group(2)));
            if (address.isUnresolved()) {
                throw new CommandLine.TypeConversionException("cannot resolve '" + m.group(1) + "'");
            }
            return address;
        }
    }

    /** A gid, or a group name looked up through the system's group database ({@code getent group}). */
    static final class GroupId implements CommandLine.ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) throws Exception {
            if (value.matches("[0-9]{1,10}")) {
                return Integer.parseUnsignedInt(value);
            }
            Process getent = new ProcessBuilder("getent", "group", value).redirectErrorStream(true).start();
            String line = new String(getent.getInputStream().readAllBytes(), StandardCharsets.UTF_8)
                    .strip();
            String[] fields = line.split(":", -1);
            if (getent.waitFor() != 0 || fields.length < 3 || !fields[0].equals(value)) {
                throw new CommandLine.TypeConversionException("no group named '" + value + "'");
            }
            return Integer.parseInt(fields[2]);
        }
    }

    /** A dm-core parser, whose EINVAL message becomes the usage error. */
    @FunctionalInterface
    interface CoreParser<T> {
        T parse(String value) throws DmException;
    }

    static <T> CommandLine.ITypeConverter<T> fromCore(CoreParser<T> parser) {
        return value -> {
            try {
                return parser.parse(value);
            } catch (DmException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        };
    }

    static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"dmd " + Versions.dmd() + " (interface " + DeviceMapper.VERSION + ", Netty "
                    + Versions.netty() + ")"};
        }
    }
}

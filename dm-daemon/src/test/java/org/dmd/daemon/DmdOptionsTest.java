package org.dmd.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.dmd.core.control.DeviceMapper;
import org.dmd.core.control.Requests;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The command line: where the socket goes, how values are written, what --help says. */
class DmdOptionsTest {

    private static Dmd parsed(String... args) {
        Dmd dmd = new Dmd();
        Dmd.commandLine(dmd).parseArgs(args);
        return dmd;
    }

    private static DaemonConfig parse(String... args) {
        return parsed(args).config(Map.of(), 1000);
    }

    @Test
    void socketPathFollowsOptionThenEnvironmentThenUid() {
        Path option = Path.of("/srv/dmd.sock");
        assertEquals(option, Dmd.socketPath(option, Map.of("DMD_SOCKET", "/env.sock"), 0));
        assertEquals(Path.of("/env.sock"), Dmd.socketPath(null, Map.of("DMD_SOCKET", "/env.sock"), 1000));
        assertEquals(Path.of("/run/dmd/control.sock"), Dmd.socketPath(null, Map.of("XDG_RUNTIME_DIR", "/run/user/0"), 0));
        assertEquals(Path.of("/run/user/1000/dmd/control.sock"),
                Dmd.socketPath(null, Map.of("XDG_RUNTIME_DIR", "/run/user/1000"), 1000));
        assertEquals(Path.of("/tmp/dmd-1000/control.sock"), Dmd.socketPath(null, Map.of("XDG_RUNTIME_DIR", ""), 1000));
        assertEquals(Path.of("/tmp/dmd-1000/control.sock"), Dmd.socketPath(null, Map.of(), 1000));
    }

    @Test
    void defaults() {
        DaemonConfig config = parse();
        assertEquals(Path.of("/tmp/dmd-1000/control.sock"), config.socket());
        assertEquals(0600, config.socketMode());
        assertEquals(Set.of(), config.allowedGroups());
        assertEquals(1 << 20, config.maxFrame());
        assertEquals(Duration.ofMinutes(5), config.idleTimeout());
        assertEquals(DaemonConfig.DEFAULT_WORKERS, config.workers());
        assertEquals(4 * DaemonConfig.DEFAULT_WORKERS, config.workQueue());
        assertEquals(1024, config.monitorBuffer());
    }

    @Test
    void everyOption() {
        DaemonConfig config = parse("--socket", "/x/control.sock", "--socket-mode", "0666", "--allow-group", "0",
                "--allow-group", "root", "--allow-group", "990", "--max-frame", "64K", "--idle-timeout", "90s",
                "--workers", "3", "--major", "252", "--verbose");
        assertEquals(Path.of("/x/control.sock"), config.socket());
        assertEquals(0666, config.socketMode());
        assertEquals(Set.of(0, 990), config.allowedGroups());
        assertEquals(64 * 1024, config.maxFrame());
        assertEquals(Duration.ofSeconds(90), config.idleTimeout());
        assertEquals(3, config.workers());
    }

    @Test
    void nbdOptions() {
        DaemonConfig defaults = parse("--socket", "/x/control.sock");
        assertEquals(Path.of("/x/nbd.sock"), defaults.nbdSocket());
        assertEquals(null, defaults.nbdListen());
        assertEquals(DaemonConfig.DEFAULT_NBD_THREADS, defaults.nbdThreads());
        assertEquals(64L << 20, defaults.nbdInflight());
        DaemonConfig config = parse("--nbd-socket", "/y/n.sock", "--nbd-listen", "127.0.0.1:10809", "--nbd-threads", "0",
                "--nbd-inflight", "48M");
        assertEquals(Path.of("/y/n.sock"), config.nbdSocket());
        assertEquals(new java.net.InetSocketAddress("127.0.0.1", 10809), config.nbdListen());
        assertEquals(0, config.nbdThreads());
        assertEquals(48L << 20, config.nbdInflight());
        assertEquals(new java.net.InetSocketAddress("::1", 0), new Dmd.LoopbackPort().convert("[::1]:0"));
        assertThrows(CommandLine.TypeConversionException.class, () -> new Dmd.LoopbackPort().convert("10809"));
        assertThrows(CommandLine.TypeConversionException.class, () -> new Dmd.LoopbackPort().convert("host:99999"));
        IllegalArgumentException open = assertThrows(IllegalArgumentException.class,
                () -> parse("--nbd-listen", "0.0.0.0:10809"));
        assertTrue(open.getMessage().contains("only a loopback address"), open.getMessage());
        assertThrows(IllegalArgumentException.class, () -> parse("--nbd-inflight", "1M"));
        assertThrows(IllegalArgumentException.class, () -> parse("--socket", "/x/s", "--nbd-socket", "/x/s"));
    }

    @Test
    void valueFormats() throws Exception {
        assertEquals(0600, new Dmd.OctalMode().convert("600"));
        assertEquals(1 << 20, new Dmd.ByteSize().convert("1M"));
        assertEquals(4096, new Dmd.ByteSize().convert("4096"));
        assertEquals(Duration.ofMillis(500), new Dmd.TimeSpan().convert("500ms"));
        assertEquals(Duration.ofSeconds(300), new Dmd.TimeSpan().convert("300"));
        assertEquals(Duration.ofHours(1), new Dmd.TimeSpan().convert("1h"));
        assertThrows(CommandLine.TypeConversionException.class, () -> new Dmd.OctalMode().convert("0800"));
        assertThrows(CommandLine.TypeConversionException.class, () -> new Dmd.ByteSize().convert("-1"));
        assertThrows(CommandLine.TypeConversionException.class, () -> new Dmd.ByteSize().convert("3G"));
        assertThrows(CommandLine.TypeConversionException.class, () -> new Dmd.TimeSpan().convert("5 minutes"));
        assertThrows(CommandLine.TypeConversionException.class,
                () -> new Dmd.GroupId().convert("no-such-group-for-dmd"));
    }

    @Test
    void badValuesAreUsageErrors() {
        StringWriter err = new StringWriter();
        CommandLine cli = Dmd.commandLine(new Dmd()).setErr(new PrintWriter(err));
        assertEquals(2, cli.execute("--max-frame", "1K", "--socket", "/nonexistent/x.sock"));
        assertTrue(err.toString().contains("max frame 1024 is below 4096 bytes"), err.toString());
        assertEquals(2, cli.execute("--idle-timeout", "soon"));
        assertEquals(2, cli.execute("--major", "0", "--socket", "/nonexistent/x.sock"));
        assertEquals(2, cli.execute("--module-policy", "loader=sometimes"));
        assertTrue(err.toString().contains("loader=sometimes"), err.toString());
        assertEquals(2, cli.execute("--module-faults", "dm-mirror"));
        assertEquals(2, cli.execute("--module-index", "/nonexistent/modules"));
    }

    @Test
    void moduleOptionsReachTheCore() throws Exception {
        Path index = Files.createTempDirectory("dmd-index");
        Files.writeString(index.resolve("modules.dep"), "kernel/drivers/md/dm-zero.ko:\n");
        Files.writeString(index.resolve("modules.builtin"), "kernel/drivers/md/dm-mod.ko\n");
        Dmd dmd = parsed("--module-index", index.toString(), "--module-policy", "loader=retry-until-gone,kmod=18",
                "--module-faults", "dm-zero:errno=ENODEV", "--major", "252");
        try (DeviceMapper mapper = dmd.deviceMapper().build()) {
            assertEquals(252, mapper.major());
            DmException faulted = assertThrows(DmException.class,
                    () -> mapper.modprobe(new Requests.Modprobe("dm-zero", false, false)));
            assertEquals(Errno.ENODEV, faulted.errno(), faulted::toString);
            DmException notIndexed = assertThrows(DmException.class,
                    () -> mapper.modprobe(new Requests.Modprobe("dm-mirror", false, false)));
            assertTrue(notIndexed.getMessage().contains(index.toString()), notIndexed::toString);
        }
    }

    @Test
    void helpListsEveryOption() {
        String usage = Dmd.commandLine(new Dmd()).getUsageMessage();
        for (String option : new String[] {"--socket", "--socket-mode", "--allow-group", "--max-frame",
                "--idle-timeout", "--workers", "--major", "--module-index", "--module-policy", "--module-faults",
                "--verbose", "--help", "--version"}) {
            assertTrue(usage.contains(option), option);
        }
    }
}

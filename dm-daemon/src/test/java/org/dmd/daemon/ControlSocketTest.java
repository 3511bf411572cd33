package org.dmd.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.dmd.core.concurrent.StepHook;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where the socket lives, with which modes, and one daemon per socket. */
class ControlSocketTest {

    @TempDir
    Path dir;

    private static int mode(Path path) throws IOException {
        return (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
    }

    private TestDaemon start(Path socketDir, int socketMode) throws StartupException {
        return TestDaemon.startOn(socketDir.resolve("control.sock"), config -> config.socketMode(socketMode),
                StepHook.NONE);
    }

    /** The directory dmd makes for its socket: {@code dmd} in the test's directory, mode 0700. */
    private Path privateSocketDir() throws IOException {
        Path socketDir = Files.createDirectory(dir.resolve("dmd"));
        Files.setPosixFilePermissions(socketDir, PosixFilePermissions.fromString("rwx------"));
        return socketDir;
    }

    @Test
    void createsAPrivateDirectoryAndAnOwnerOnlySocket() throws Exception {
        Path socketDir = dir.resolve("run").resolve("dmd");
        try (TestDaemon daemon = start(socketDir, 0600)) {
            assertEquals(0700, mode(socketDir));
            assertEquals(0600, mode(daemon.socket()));
            daemon.client().ok("VERSION");
        }
        assertTrue(Files.notExists(socketDir.resolve("control.sock")), "the socket is removed on stop");
    }

    @Test
    void anOpenSocketModeMakesTheDirectorySearchable() throws Exception {
        Path socketDir = dir.resolve("shared-dmd");
        try (TestDaemon daemon = start(socketDir, 0666)) {
            assertEquals(0711, mode(socketDir));
            assertEquals(0666, mode(daemon.socket()));
        }
    }

    @Test
    void tightensItsOwnLooseDirectory() throws Exception {
        Path socketDir = Files.createDirectory(dir.resolve("loose"));
        Files.setPosixFilePermissions(socketDir, PosixFilePermissions.fromString("rwxr-xr-x"));
        try (LogCapture log = new LogCapture(ControlSocket.class)) {
            start(socketDir, 0600).close();
            assertEquals(0700, mode(socketDir));
            assertEquals(1, log.count("changed the mode of " + socketDir + " from 0755 to 0700"));
        }
    }

    @Test
    void refusesALooseDirectoryThatHoldsOtherFiles() throws IOException {
        Path home = Files.createDirectory(dir.resolve("home"));
        Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(home.resolve("notes.txt"), "mine");
        StartupException refused = assertThrows(StartupException.class, () -> start(home, 0600));
        assertTrue(refused.getMessage().contains("has mode 0755 and holds other files (notes.txt)"),
                refused.getMessage());
        assertEquals(0755, mode(home), "left as it was");
    }

    @Test
    void secondDaemonOnALiveSocketIsRefused() throws Exception {
        Path socketDir = dir.resolve("dmd");
        try (TestDaemon first = start(socketDir, 0600)) {
            StartupException refused = assertThrows(StartupException.class, () -> start(socketDir, 0600));
            assertEquals("dmd is already running on " + first.socket(), refused.getMessage());
            first.client().ok("VERSION");
        }
    }

    @Test
    void staleSocketIsReplaced() throws Exception {
        Path socketDir = privateSocketDir();
        Path socket = socketDir.resolve("control.sock");
        try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            dead.bind(UnixDomainSocketAddress.of(socket));
        }
        assertTrue(Files.exists(socket), "closing a JDK server socket leaves its file, as a crashed daemon does");
        try (LogCapture log = new LogCapture(ControlSocket.class); TestDaemon daemon = start(socketDir, 0600)) {
            daemon.client().ok("VERSION");
            assertEquals(1, log.count("replacing stale socket " + socket));
        }
    }

    @Test
    void socketAcceptedOnByAnotherProgramIsLeftAlone() throws Exception {
        Path socketDir = privateSocketDir();
        Path socket = socketDir.resolve("control.sock");
        try (ServerSocketChannel other = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            other.bind(UnixDomainSocketAddress.of(socket));
            StartupException refused = assertThrows(StartupException.class, () -> start(socketDir, 0600));
            assertEquals("dmd is already running on " + socket, refused.getMessage());
        }
    }

    @Test
    void aFileThatIsNotASocketIsRefused() throws IOException {
        Path socketDir = privateSocketDir();
        Files.writeString(socketDir.resolve("control.sock"), "not a socket");
        StartupException refused = assertThrows(StartupException.class, () -> start(socketDir, 0600));
        assertTrue(refused.getMessage().endsWith("control.sock exists and is not a socket; remove it or choose another "
                + "--socket"), refused.getMessage());
    }

    @Test
    void tooLongAPathIsRefusedWithTheLimit() {
        Path socketDir = dir.resolve("d".repeat(120));
        StartupException refused = assertThrows(StartupException.class, () -> start(socketDir, 0600));
        assertTrue(refused.getMessage().contains("a Unix socket path holds at most 107"), refused.getMessage());
    }

    @Test
    void directoryModeAddsSearchPermissionForWhoeverTheSocketAdmits() {
        assertEquals(0700, ControlSocket.directoryMode(0600));
        assertEquals(0710, ControlSocket.directoryMode(0660));
        assertEquals(0711, ControlSocket.directoryMode(0666));
        assertEquals(0701, ControlSocket.directoryMode(0606));
    }
}

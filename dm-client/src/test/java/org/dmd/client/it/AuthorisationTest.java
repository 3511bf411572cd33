package org.dmd.client.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.dmd.client.DmClient;
import org.dmd.client.SocketPaths;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client running as another uid (nobody, through setpriv) reaches a daemon whose socket mode
 * lets it connect, and is refused every command with EACCES, as the kernel refuses the ioctl.
 * Needs root (to change uid) and setpriv.
 */
class AuthorisationTest {

    private static final Path SETPRIV = Path.of("/usr/bin/setpriv");
    private static final String NOBODY = "65534";

    @TempDir
    Path dir;

    @Test
    void anotherUidIsRefusedWithEacces() throws Exception {
        assumeTrue(SocketPaths.currentUid() == 0 && Files.isExecutable(SETPRIV), "needs root and setpriv");
        // nobody must be able to reach the socket and read the client's classes.
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
        String classPath = readableClassPath(dir.resolve("cp"));
        try (RealDaemon daemon = RealDaemon.start(dir, "--socket-mode", "0666")) {
            try (DmClient root = daemon.client()) {
                root.create("guarded");
            }
            List<String> command = List.of(SETPRIV.toString(), "--reuid=" + NOBODY, "--regid=" + NOBODY,
                    "--clear-groups", Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", classPath, "org.dmd.client.cli.Dmctl", "--socket", daemon.socket().toString(),
                    "info", "guarded");
            Process process = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .start();
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(true, process.waitFor(60, TimeUnit.SECONDS));
            assertEquals("", out);
            assertEquals("device-mapper: info ioctl on guarded  failed: Permission denied\nCommand failed.\n", err);
            assertEquals(1, process.exitValue());
            try (DmClient root = daemon.client()) {
                root.remove("guarded");
            }
        }
    }

    /** The client's runtime class path, copied where nobody can read it (the build's lives under /root). */
    private static String readableClassPath(Path target) throws IOException {
        Files.createDirectories(target);
        List<String> copied = new ArrayList<>();
        String testClassPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        int n = 0;
        for (String entry : testClassPath.split(File.pathSeparator)) {
            boolean needed = entry.contains("dm-client") && entry.endsWith("classes") && !entry.endsWith("test-classes")
                    || entry.contains("dm-core") && !entry.contains("test")
                    || entry.contains("jackson-") || entry.contains("picocli");
            if (!needed) {
                continue;
            }
            Path source = Path.of(entry);
            Path copy = target.resolve(n++ + "-" + source.getFileName());
            copyTree(source, copy);
            copied.add(copy.toString());
        }
        try (Stream<Path> all = Files.walk(target)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "rwxr-xr-x"
                        : "rw-r--r--"));
            }
        }
        return String.join(File.pathSeparator, copied);
    }

    private static void copyTree(Path source, Path copy) throws IOException {
        try (Stream<Path> all = Files.walk(source)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                Files.copy(p, copy.resolve(source.relativize(p).toString()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }
}

package org.dmd.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.security.auth.module.UnixSystem;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.dmd.core.concurrent.StepHook;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Who may talk: the decision on synthetic credentials, then a real peer of another uid. */
class AuthorisationTest {

    private static final int NOBODY = 65534;

    @TempDir
    Path dir;

    // ------------------------------------------------------------------ the decision

    private static AccessPolicy policy(int daemonUid, Set<Integer> groups, Map<Integer, Set<Integer>> supplementary) {
        return new AccessPolicy(daemonUid, groups, pid -> supplementary.getOrDefault(pid, Set.of()));
    }

    @Test
    void rootAndTheDaemonsOwnUidAreAllowed() {
        AccessPolicy policy = policy(1000, Set.of(), Map.of());
        assertTrue(policy.permits(new PeerIdentity(10, 0, 0)));
        assertTrue(policy.permits(new PeerIdentity(11, 1000, 1000)));
        assertFalse(policy.permits(new PeerIdentity(12, 1001, 1000)));
    }

    @Test
    void allowedGroupByPrimaryOrSupplementaryGid() {
        AccessPolicy policy = policy(0, Set.of(6, 990), Map.of(21, Set.of(100, 990), 22, Set.of(100)));
        assertTrue(policy.permits(new PeerIdentity(20, 1001, 6)), "primary gid");
        assertTrue(policy.permits(new PeerIdentity(21, 1002, 100)), "supplementary gid");
        assertFalse(policy.permits(new PeerIdentity(22, 1003, 100)), "in no allowed group");
        assertFalse(policy.permits(new PeerIdentity(23, 1004, 100)), "groups unreadable: primary gid only");
    }

    @Test
    void describesWhoIsServed() {
        assertEquals("uid 0", policy(0, Set.of(), Map.of()).describe());
        assertEquals("uid 0 and uid 1000 and members of groups 6, 990", policy(1000, Set.of(990, 6), Map.of())
                .describe());
    }

    @Test
    void supplementaryGroupsComeFromProcStatus() throws IOException {
        Path proc = dir.resolve("proc");
        Files.createDirectories(proc.resolve("42"));
        Files.writeString(proc.resolve("42").resolve("status"), "Name:\tdmctl\nUid:\t1000\t1000\t1000\t1000\n"
                + "Gid:\t1000\t1000\t1000\t1000\nGroups:\t4 24 27 1000 \nVmPeak:\t1 kB\n");
        Files.createDirectories(proc.resolve("43"));
        Files.writeString(proc.resolve("43").resolve("status"), "Name:\tx\nGroups:\t\n");
        assertEquals(Set.of(4, 24, 27, 1000), AccessPolicy.procGroups(proc, 42));
        assertEquals(Set.of(), AccessPolicy.procGroups(proc, 43));
        assertEquals(Set.of(), AccessPolicy.procGroups(proc, 44), "a peer that has exited");
    }

    @Test
    void ownProcessGroupsAreRead() {
        long[] groups = new UnixSystem().getGroups();
        Set<Integer> expected = new java.util.HashSet<>();
        for (long gid : groups) {
            expected.add((int) gid);
        }
        assertTrue(AccessPolicy.procGroups(Path.of("/proc"), (int) ProcessHandle.current().pid())
                .containsAll(expected));
    }

    // ------------------------------------------------------------------ a real peer of another uid

    /**
     * A JDK-only client, run by the source launcher as another user: sends three requests, one at a
     * time, and prints each reply; it stops quietly when the daemon closes the connection.
     */
    private static final String PROBE = """
            import java.net.UnixDomainSocketAddress;
            import java.nio.ByteBuffer;
            import java.nio.channels.SocketChannel;
            import java.nio.charset.StandardCharsets;
            public class Probe {
                public static void main(String[] args) throws Exception {
                    try (SocketChannel s = SocketChannel.open(UnixDomainSocketAddress.of(args[0]))) {
                        String[] requests = {
                            "{\\"id\\":1,\\"command\\":\\"VERSION\\"}",
                            "{\\"id\\":2,\\"command\\":\\"DEV_CREATE\\",\\"name\\":\\"intruder\\"}",
                            "{\\"id\\":3,\\"command\\":\\"MONITOR\\"}"};
                        for (String request : requests) {
                            byte[] bytes = request.getBytes(StandardCharsets.UTF_8);
                            ByteBuffer out = ByteBuffer.allocate(4 + bytes.length).putInt(bytes.length).put(bytes).flip();
                            while (out.hasRemaining()) s.write(out);
                            ByteBuffer length = ByteBuffer.allocate(4);
                            while (length.hasRemaining()) if (s.read(length) < 0) return;
                            ByteBuffer reply = ByteBuffer.allocate(length.flip().getInt());
                            while (reply.hasRemaining()) if (s.read(reply) < 0) return;
                            System.out.println(new String(reply.array(), StandardCharsets.UTF_8));
                        }
                    } catch (java.io.IOException closed) {
                        // The daemon closed the connection (a refused peer's first request closes it).
                    }
                }
            }
            """;

    /**
     * A binary (dm-ioctl) client as another user: sends one DMIO DEV_CREATE frame and prints the
     * JSON of what it reads back, after checking that it does not start with DMIO.
     */
    private static final String BINARY_PROBE = """
            import java.net.UnixDomainSocketAddress;
            import java.nio.ByteBuffer;
            import java.nio.ByteOrder;
            import java.nio.channels.SocketChannel;
            import java.nio.charset.StandardCharsets;
            public class Probe {
                public static void main(String[] args) throws Exception {
                    try (SocketChannel s = SocketChannel.open(UnixDomainSocketAddress.of(args[0]))) {
                        ByteBuffer out = ByteBuffer.allocate(12 + 312).order(ByteOrder.LITTLE_ENDIAN);
                        out.putInt(0x4F494D44).putInt(3).putInt(312).putInt(4).putInt(0).putInt(0).putInt(312)
                                .putInt(312);
                        out.position(12 + 48).put("intruder".getBytes(StandardCharsets.US_ASCII)).position(out.limit());
                        out.flip();
                        while (out.hasRemaining()) s.write(out);
                        ByteBuffer length = ByteBuffer.allocate(4);
                        while (length.hasRemaining()) if (s.read(length) < 0) return;
                        if (length.getInt(0) == 0x444D494F) throw new IllegalStateException("a DMIO reply");
                        ByteBuffer reply = ByteBuffer.allocate(length.flip().getInt());
                        while (reply.hasRemaining()) if (s.read(reply) < 0) return;
                        System.out.println(new String(reply.array(), StandardCharsets.UTF_8));
                    }
                }
            }
            """;

    private List<JsonNode> probeAsNobody(Path socket) throws Exception {
        return probeAsNobody(socket, PROBE);
    }

    private List<JsonNode> probeAsNobody(Path socket, String source) throws Exception {
        Path probeDir = Files.createDirectory(dir.resolve("probe"));
        Files.setPosixFilePermissions(probeDir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path probe = Files.writeString(probeDir.resolve("Probe.java"), source);
        Files.setPosixFilePermissions(probe, PosixFilePermissions.fromString("rw-r--r--"));
        Process process = new ProcessBuilder("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-XX:-UsePerfData",
                probe.toString(), socket.toString()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, process.exitValue(), output);
        List<JsonNode> replies = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        for (String line : output.strip().split("\n")) {
            replies.add(json.readTree(line));
        }
        return replies;
    }

    private TestDaemon openDaemon(Set<Integer> allowedGroups) throws IOException, StartupException {
        assumeTrue(new UnixSystem().getUid() == 0, "needs root to run a peer as another uid");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")) || Files.isExecutable(Path.of("/bin/setpriv")),
                "needs setpriv");
        // The peer must reach the socket: the test directory is searchable, the socket open to all (--socket-mode 0666).
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
        return TestDaemon.start(dir, config -> config.socketMode(0666).allowedGroups(allowedGroups), StepHook.NONE);
    }

    @Test
    void anotherUidGetsOneEaccesAndIsClosed() throws Exception {
        try (TestDaemon daemon = openDaemon(Set.of())) {
            List<JsonNode> replies = probeAsNobody(daemon.socket());
            assertEquals(1, replies.size(), replies::toString);
            JsonNode reply = replies.get(0);
            assertTrue(reply.get("id").isNull(), reply::toString);
            assertEquals("EACCES", reply.get("error").asText(), reply::toString);
            assertEquals(13, reply.get("errno").asInt());
            assertEquals("uid 65534 may not use dmd: it serves uid 0", reply.get("message").asText());
            assertEquals(List.of(), daemon.mapper.listDevices(new org.dmd.core.control.Requests.ListDevices(null,
                    null, Set.of())).devices());
            daemon.client().ok("VERSION");
        }
    }

    @Test
    void aRefusedBinaryPeerGetsTheJsonEaccesBeforeItsFrameIsRead() throws Exception {
        try (TestDaemon daemon = openDaemon(Set.of())) {
            List<JsonNode> replies = probeAsNobody(daemon.socket(), BINARY_PROBE);
            assertEquals(1, replies.size(), replies::toString);
            assertEquals(13, replies.get(0).get("errno").asInt(), replies::toString);
            assertEquals(List.of(), daemon.mapper.listDevices(new org.dmd.core.control.Requests.ListDevices(null,
                    null, Set.of())).devices(), "the DEV_CREATE frame was not executed");
        }
    }

    @Test
    void anotherUidInAnAllowedGroupIsServed() throws Exception {
        try (TestDaemon daemon = openDaemon(Set.of(NOBODY))) {
            List<JsonNode> replies = probeAsNobody(daemon.socket());
            assertEquals(List.of(0, 0, 0), replies.stream().map(r -> r.get("errno").asInt()).toList(),
                    replies::toString);
            assertEquals("intruder", replies.get(1).get("name").asText());
        }
    }
}

package org.dmd.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.security.auth.module.UnixSystem;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollEventLoopGroup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.dmd.daemon.testing.Tool;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The NBD server with the clients storage people use (libnbd's nbdinfo and nbdcopy, qemu-io,
 * qemu-img, fio's nbd engine), in front of in-memory devices: what each client negotiates and
 * does is what proto.md lets it.
 */
@Timeout(120)
class NbdClientsTest {

    private static final int SIZE = 4 << 20;

    @TempDir
    static Path dir;

    private static final FakeExports EXPORTS = new FakeExports();
    private static EventLoopGroup loops;
    private static IdleCloser idle;
    private static NbdServer server;

    @BeforeAll
    static void start() throws StartupException {
        EXPORTS.add("disk", SIZE, false);
        EXPORTS.add("copy", SIZE, false);
        EXPORTS.add("fio", SIZE, false);
        EXPORTS.add("frozen", SIZE, true);
        loops = new EpollEventLoopGroup(2);
        idle = new IdleCloser(Duration.ofMinutes(5));
        server = NbdServer.start(DaemonConfig.builder(dir.resolve("control.sock")).build(), loops, EXPORTS,
                AccessPolicy.forDaemon((int) new UnixSystem().getUid(), Set.of()), idle);
    }

    @AfterAll
    static void stop() {
        server.stopAccepting();
        server.closeConnections(Duration.ofSeconds(5));
        server.release();
        idle.close();
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static String uri(String export) {
        return "nbd+unix:///" + export + "?socket=" + server.socket();
    }

    @Test
    void nbdinfoSeesTheExportAsProtoMdDescribesIt() throws Exception {
        JsonNode info = new ObjectMapper().readTree(Tool.run("nbdinfo", "--json", uri("disk")).checked());
        JsonNode export = info.get("exports").get(0);
        assertEquals("disk", export.get("export-name").asText());
        assertEquals(SIZE, export.get("export-size").asLong());
        assertEquals(512, export.get("block_size_minimum").asInt());
        assertEquals(4096, export.get("block_size_preferred").asInt());
        assertEquals(32 << 20, export.get("block_size_maximum").asInt());
        for (String can : List.of("can_flush", "can_fua", "can_trim", "can_zero", "can_multi_conn")) {
            assertTrue(export.get(can).asBoolean(), can);
        }
        assertTrue(!export.get("is_read_only").asBoolean());
        assertTrue(info.get("protocol").asText().contains("newstyle-fixed"), info.toString());

        String frozen = Tool.run("nbdinfo", "--json", uri("frozen")).checked();
        assertTrue(new ObjectMapper().readTree(frozen).get("exports").get(0).get("is_read_only").asBoolean());
    }

    @Test
    void nbdinfoListsTheExports() throws Exception {
        String list = Tool.run("nbdinfo", "--list", "--json", "nbd+unix://?socket=" + server.socket()).checked();
        JsonNode exports = new ObjectMapper().readTree(list).get("exports");
        assertEquals(List.of("copy", "disk", "fio", "frozen"), List.of(exports.findValuesAsText("export-name")
                .toArray(String[]::new)));
    }

    @Test
    void nbdinfoOnAnUnknownExportFails() throws Exception {
        Tool.Result result = Tool.run("nbdinfo", uri("nosuch"));
        assertNotEquals(0, result.exit());
        assertTrue(result.output().contains("server replied with error to opt_go request"), result.output());
    }

    @Test
    void qemuIoWritesAndReadsBack() throws Exception {
        String out = Tool.run("qemu-io", "-f", "raw", "-c", "write -P 0xab 65536 131072", "-c",
                "read -P 0xab 65536 131072", "-c", "write -z 65536 4096", "-c", "flush", uri("disk")).checked();
        assertTrue(out.contains("wrote 131072/131072 bytes") && out.contains("read 131072/131072 bytes"), out);
        byte[] expected = new byte[131072];
        Arrays.fill(expected, 4096, 131072, (byte) 0xab);
        assertArrayEquals(expected, EXPORTS.device("disk").bytes(65536, 131072));
    }

    @Test
    void qemuIoCannotWriteAReadOnlyExport() throws Exception {
        Tool.Result result = Tool.run("qemu-io", "-f", "raw", "-c", "write -P 1 0 4096", uri("frozen"));
        assertTrue(result.output().contains("write failed") || result.exit() != 0, result.output());
        assertArrayEquals(new byte[4096], EXPORTS.device("frozen").bytes(0, 4096));
    }

    @Test
    void nbdcopyCopiesAFileInAndQemuImgComparesIt() throws Exception {
        Path file = dir.resolve("source.img");
        byte[] data = new byte[SIZE];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i / 4096 + i);
        }
        Files.write(file, data);
        Tool.run("nbdcopy", file.toString(), uri("copy")).checked();
        assertArrayEquals(data, EXPORTS.device("copy").bytes(0, SIZE));
        Tool.run("qemu-img", "compare", "-f", "raw", "-F", "raw", file.toString(), uri("copy")).checked();
        Path back = dir.resolve("back.img");
        Tool.run("nbdcopy", uri("copy"), back.toString()).checked();
        assertArrayEquals(data, Files.readAllBytes(back));
    }

    @Test
    void fioRandomWritesAtQueueDepth32VerifyOnReadBack() throws Exception {
        String out = Tool.run("fio", "--name=nbd", "--ioengine=nbd", "--uri=" + uri("fio"), "--rw=randwrite",
                "--bs=4k", "--iodepth=32", "--size=" + SIZE, "--verify=crc32c", "--do_verify=1", "--verify_state_save=0",
                "--output-format=terse").checked();
        String[] terse = out.lines().filter(line -> line.startsWith("3;")).findFirst().orElseThrow().split(";");
        assertEquals("0", terse[4], "fio's error field: " + out);
        assertTrue(!Arrays.equals(new byte[SIZE], EXPORTS.device("fio").bytes(0, SIZE)), "fio wrote the device");
    }
}

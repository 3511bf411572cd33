package org.dmd.daemon;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.dmd.daemon.testing.Tool;
import org.dmd.daemon.testing.WireClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mapped devices over loop files, served by the daemon's NBD server to the real clients (nbdcopy,
 * nbdinfo, qemu-io, fio): the bytes land in the files at the offsets the tables say, zero and
 * error behave as in the kernel, a suspended device holds a client's write until resume, a
 * connected client holds the device open (EBUSY, deferred removal at its disconnect), and many
 * clients at once on one device and on several see their own data.
 */
@Timeout(180)
class NbdDevicesTest {

    private static final int SECTOR = 512;
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private TestDaemon daemon;
    private WireClient control;
    private final List<Path> files = new ArrayList<>();
    private final List<Process> processes = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        daemon = TestDaemon.start(dir);
        control = daemon.client();
    }

    @AfterEach
    void stop() throws IOException {
        processes.forEach(Process::destroyForcibly);
        daemon.close();
    }

    private String uri(String device) {
        return "nbd+unix:///" + device + "?socket=" + daemon.server.nbdSocket();
    }

    /** A zeroed backing file of {@code sectors}, attached; returns {@code /dev/loopN}. */
    private String loop(long sectors) throws IOException {
        Path file = dir.resolve("loop-" + files.size() + ".img");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(sectors * SECTOR);
        }
        files.add(file);
        return control.ok("LOOP_ATTACH", "file", file.toString(), "readOnly", false).get("device").asText();
    }

    private byte[] file(int loop) throws IOException {
        return Files.readAllBytes(files.get(loop));
    }

    /** Creates {@code name} with the table's lines ({@code start length type params...}) and resumes it. */
    private void live(String name, String... lines) throws IOException {
        control.ok("DEV_CREATE", "name", name);
        List<Object> targets = new ArrayList<>();
        for (String line : lines) {
            String[] words = line.split(" ", 4);
            targets.add(WireClient.object("start", Long.parseLong(words[0]), "length", Long.parseLong(words[1]),
                    "type", words[2], "params", words.length > 3 ? words[3] : ""));
        }
        control.ok("TABLE_LOAD", "name", name, "targets", targets);
        control.ok("DEV_SUSPEND", "name", name);
    }

    private int openCount(String name) throws IOException {
        return control.ok("DEV_STATUS", "name", name).get("openCount").asInt();
    }

    private static byte[] slice(byte[] from, long sector, int sectors) {
        return Arrays.copyOfRange(from, (int) (sector * SECTOR), (int) ((sector + sectors) * SECTOR));
    }

    /** qemu-io on {@code device} reading commands from its stdin: connected until {@link QemuIo#quit}. */
    private QemuIo qemuIo(String device) throws IOException {
        Process process = new ProcessBuilder("qemu-io", "-f", "raw", uri(device)).redirectErrorStream(true).start();
        processes.add(process);
        return new QemuIo(process);
    }

    private static final class QemuIo {
        final Process process;
        final OutputStream in;
        final CompletableFuture<String> output;

        QemuIo(Process process) {
            this.process = process;
            this.in = process.getOutputStream();
            this.output = CompletableFuture.supplyAsync(() -> {
                try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    StringBuilder all = new StringBuilder();
                    for (String line; (line = reader.readLine()) != null; ) {
                        all.append(line).append('\n');
                    }
                    return all.toString();
                } catch (IOException e) {
                    return e.toString();
                }
            });
        }

        void command(String command) throws IOException {
            in.write((command + "\n").getBytes(StandardCharsets.UTF_8));
            in.flush();
        }

        /** Ends the session and returns everything it printed. */
        String quit() throws Exception {
            command("quit");
            in.close();
            assertTrue(process.waitFor(WAIT.toMillis(), TimeUnit.MILLISECONDS), "qemu-io did not exit");
            return output.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    // ------------------------------------------------------------------ where the bytes land

    @Test
    void aStripedOverLinearStackWritesWhereItsTablesSay() throws Exception {
        String a = loop(4096);
        String b = loop(4096);
        String c = loop(2048);
        live("low1", "0 3072 linear " + a + " 128");
        live("low2", "0 3072 linear " + b + " 0");
        live("top", "0 4096 striped 2 64 /dev/mapper/low1 0 /dev/mapper/low2 512", "4096 1024 linear " + c + " 8");
        JsonNode info = new ObjectMapper().readTree(Tool.run("nbdinfo", "--json", uri("top")).checked());
        assertEquals(5120L * SECTOR, info.get("exports").get(0).get("export-size").asLong());

        byte[] data = new byte[5120 * SECTOR];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i / SECTOR * 31 + i / 97);
        }
        Path source = dir.resolve("source.img");
        Files.write(source, data);
        Tool.run("nbdcopy", source.toString(), uri("top")).checked();

        byte[] fa = file(0);
        byte[] fb = file(1);
        byte[] fc = file(2);
        for (int s = 0; s < 5120; s++) {
            byte[] landed;
            if (s < 4096) {
                long chunk = s / 64;
                long onStripe = chunk / 2 * 64 + s % 64;
                landed = chunk % 2 == 0 ? slice(fa, 128 + onStripe, 1) : slice(fb, 512 + onStripe, 1);
            } else {
                landed = slice(fc, 8 + s - 4096, 1);
            }
            assertArrayEquals(slice(data, s, 1), landed, "sector " + s);
        }
        assertArrayEquals(new byte[128 * SECTOR], slice(fa, 0, 128), "nothing before low1's offset");
        assertArrayEquals(new byte[512 * SECTOR], slice(fb, 0, 512), "nothing before the stripe's offset");

        Path back = dir.resolve("back.img");
        Tool.run("nbdcopy", uri("top"), back.toString()).checked();
        assertArrayEquals(data, Files.readAllBytes(back));
        Tool.run("qemu-img", "compare", "-f", "raw", "-F", "raw", source.toString(), uri("top")).checked();
    }

    @Test
    void zeroReadsZerosAndErrorGivesEio() throws Exception {
        live("ze", "0 2048 zero", "2048 2048 error");
        String out = Tool.run("qemu-io", "-f", "raw", "-c", "write -P 0x11 0 65536", "-c", "read -P 0 0 1048576",
                uri("ze")).checked();
        assertTrue(out.contains("read 1048576/1048576 bytes"), out);
        Tool.Result error = Tool.run("qemu-io", "-f", "raw", "-c", "read 1048576 4096", uri("ze"));
        assertTrue(error.output().contains("Input/output error"), error.output());
        Tool.Result write = Tool.run("qemu-io", "-f", "raw", "-c", "write -P 1 2093056 8192", uri("ze"));
        assertTrue(write.output().contains("Input/output error"), write.output());
    }

    @Test
    void fioVerifiesRandomWritesAtQueueDepth32ThroughTheStack() throws Exception {
        String a = loop(4096);
        String b = loop(4096);
        live("low", "0 4096 linear " + a + " 0");
        live("fio", "0 8192 striped 2 8 /dev/mapper/low 0 " + b + " 0");
        String out = Tool.run("fio", "--name=nbd", "--ioengine=nbd", "--uri=" + uri("fio"), "--rw=randwrite",
                "--bs=4k", "--iodepth=32", "--size=" + 8192 * SECTOR, "--verify=crc32c", "--do_verify=1",
                "--verify_state_save=0", "--output-format=terse").checked();
        String[] terse = out.lines().filter(line -> line.startsWith("3;")).findFirst().orElseThrow().split(";");
        assertEquals("0", terse[4], "fio's error field: " + out);
        assertTrue(!Arrays.equals(new byte[4096 * SECTOR], file(0)) && !Arrays.equals(new byte[4096 * SECTOR], file(1)),
                "both stripes were written");
    }

    @Test
    void aSnapshotKeepsTheOldDataWhenTheOriginIsWrittenAndAfterItsTableIsReloaded() throws Exception {
        String base = loop(2048);
        String cow = loop(1024);
        live("origin", "0 2048 snapshot-origin " + base);
        Tool.run("qemu-io", "-f", "raw", "-c", "write -P 0x11 0 1048576", uri("origin")).checked();
        live("snap", "0 2048 snapshot " + base + " " + cow + " P 8");
        assertEquals("16/1024 16", snapshotStatus("snap"), "header and first area");

        Tool.run("qemu-io", "-f", "raw", "-c", "write -P 0x22 65536 8192", uri("origin")).checked();
        String read = Tool.run("qemu-io", "-f", "raw", "-c", "read -P 0x11 0 1048576", uri("snap")).checked();
        assertTrue(read.contains("read 1048576/1048576 bytes"), read);
        Tool.run("qemu-io", "-f", "raw", "-c", "read -P 0x22 65536 8192", "-c", "read -P 0x11 73728 4096",
                uri("origin")).checked();
        byte[] expected = new byte[8192];
        Arrays.fill(expected, (byte) 0x22);
        assertArrayEquals(expected, Arrays.copyOfRange(file(0), 65536, 73728), "the origin's file has the new data");
        // Two chunks copied: they sit after the header and the first metadata area.
        assertEquals("32/1024 16", snapshotStatus("snap"));
        byte[] cowFile = file(1);
        assertEquals("SnAp", new String(cowFile, 0, 4, StandardCharsets.US_ASCII), "the kernel's header magic");
        Arrays.fill(expected, (byte) 0x11);
        assertArrayEquals(expected, Arrays.copyOfRange(cowFile, 2 * 4096, 4 * 4096), "the old chunks on the COW");

        control.ok("DEV_REMOVE", "name", "snap");
        live("again", "0 2048 snapshot " + base + " " + cow + " P 8");
        assertEquals("32/1024 16", snapshotStatus("again"), "the exceptions were read back from the COW device");
        Tool.run("qemu-io", "-f", "raw", "-c", "read -P 0x11 0 1048576", uri("again")).checked();
    }

    private String snapshotStatus(String name) throws IOException {
        return control.ok("TABLE_STATUS", "name", name).get("targets").get(0).get("text").asText();
    }

    // ------------------------------------------------------------------ suspend, open count, removal

    @Test
    void aSuspendedDeviceHoldsAClientsWriteUntilResume() throws Exception {
        String a = loop(2048);
        live("held", "0 2048 linear " + a + " 0");
        QemuIo client = qemuIo("held");
        await().atMost(WAIT).until(() -> openCount("held") == 1);
        control.ok("DEV_SUSPEND", "name", "held", "flags", List.of("SUSPEND"));
        client.command("write -P 0x5a 4096 4096");
        await().atMost(WAIT).until(() -> daemon.device(0).deferredBios() == 1);
        assertArrayEquals(new byte[4096], Arrays.copyOfRange(file(0), 4096, 8192), "held while suspended");

        control.ok("DEV_SUSPEND", "name", "held");
        String out = client.quit();
        assertTrue(out.contains("wrote 4096/4096 bytes"), out);
        byte[] expected = new byte[4096];
        Arrays.fill(expected, (byte) 0x5a);
        assertArrayEquals(expected, Arrays.copyOfRange(file(0), 4096, 8192));
    }

    @Test
    void aConnectedClientHoldsTheDeviceOpenAndADeferredRemoveWaitsForIt() throws Exception {
        String a = loop(2048);
        live("busy", "0 2048 linear " + a + " 0");
        assertEquals(0, openCount("busy"));
        QemuIo client = qemuIo("busy");
        await().atMost(WAIT).until(() -> openCount("busy") == 1);
        JsonNode refused = control.call("DEV_REMOVE", "name", "busy");
        assertEquals("EBUSY", refused.get("error").asText(), refused::toString);
        control.ok("DEV_REMOVE", "name", "busy", "flags", List.of("DEFERRED_REMOVE"));
        assertTrue(control.ok("DEV_STATUS", "name", "busy").get("flags").toString().contains("DEFERRED_REMOVE"));
        client.command("write -P 7 0 512");
        String out = client.quit();
        assertTrue(out.contains("wrote 512/512 bytes"), out);
        await().atMost(WAIT).until(() -> control.call("DEV_STATUS", "name", "busy").path("error").asText()
                .equals("ENXIO"));
        assertEquals(7, file(0)[511]);
    }

    @Test
    void manyClientsAtOnceOnOneDeviceAndOnSeveral() throws Exception {
        String a = loop(4096);
        String b = loop(4096);
        live("one", "0 4096 linear " + a + " 0");
        live("two", "0 4096 linear " + b + " 0");
        List<CompletableFuture<Tool.Result>> runs = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            int offset = i * 262144;
            String pattern = Integer.toString(0x10 + i);
            runs.add(CompletableFuture.supplyAsync(() -> run("qemu-io", "-f", "raw", "-c",
                    "write -P " + pattern + " " + offset + " 262144", "-c", "read -P " + pattern + " " + offset
                            + " 262144", uri("one"))));
            runs.add(CompletableFuture.supplyAsync(() -> run("qemu-io", "-f", "raw", "-c",
                    "write -P " + pattern + " " + offset + " 262144", "-c", "flush", uri("two"))));
        }
        for (CompletableFuture<Tool.Result> run : runs) {
            run.get(WAIT.toMillis(), TimeUnit.MILLISECONDS).checked();
        }
        for (int loop = 0; loop < 2; loop++) {
            byte[] bytes = file(loop);
            for (int i = 0; i < 4; i++) {
                byte[] expected = new byte[262144];
                Arrays.fill(expected, (byte) (0x10 + i));
                assertArrayEquals(expected, Arrays.copyOfRange(bytes, i * 262144, (i + 1) * 262144), "loop " + loop
                        + " region " + i);
            }
        }
        await().atMost(WAIT).until(() -> openCount("one") == 0 && openCount("two") == 0);
    }

    private static Tool.Result run(String... command) {
        try {
            return Tool.run(command);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}

package org.dmd.client.cli;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.dmd.client.FakeDaemon;
import org.dmd.client.WireCodec;
import org.dmd.core.control.DmFlag;
import org.dmd.core.control.Replies;
import org.dmd.core.errno.Errno;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * dmctl against a scripted daemon: the requests each command sends (the ioctl sequence of dmsetup.c's command), and what
 * it prints for replies and failures (dmsetup.c's output, libdm's log_error texts).
 */
class DmctlTest {

    @TempDir
    Path dir;

    /** A tiny device table for the scripted daemon: stored name -> minor. */
    private final Map<String, Integer> devices = new ConcurrentHashMap<>();
    private FakeDaemon daemon;

    @AfterEach
    void stop() throws Exception {
        if (daemon != null) {
            daemon.close();
        }
    }

    private DmctlRunner start(FakeDaemon.Handler handler) throws Exception {
        daemon = FakeDaemon.start(dir, handler);
        return new DmctlRunner(daemon.socket());
    }

    private static Replies.DeviceInfo info(String name, String uuid, int minor, DmFlag... flags) {
        EnumSet<DmFlag> set = EnumSet.of(DmFlag.EXISTS);
        set.addAll(List.of(flags));
        return new Replies.DeviceInfo(name, uuid, "253:" + minor, set, 0, 0, 1);
    }

    /** Answers the common commands from {@link #devices}. */
    private ObjectNode simple(JsonNode r) {
        String name = r.path("name").asText(null);
        switch (r.path("command").asText()) {
            case "DEV_CREATE":
                if (devices.containsKey(name)) {
                    return FakeDaemon.error(Errno.EBUSY, "name " + name + " is taken");
                }
                devices.put(name, devices.size());
                return FakeDaemon.ok(info(name, r.path("uuid").asText(null), devices.get(name)));
            case "DEV_STATUS":
            case "DEV_SUSPEND":
            case "TABLE_LOAD":
                String key = name != null ? name : devices.entrySet().stream()
                        .filter(e -> ("253:" + e.getValue()).equals(r.path("dev").asText()))
                        .map(Map.Entry::getKey).findFirst().orElse(null);
                if (key == null || !devices.containsKey(key)) {
                    return FakeDaemon.error(Errno.ENXIO, "no such device");
                }
                return FakeDaemon.ok(info(key, null, devices.get(key), DmFlag.ACTIVE_PRESENT));
            case "DEV_REMOVE":
                if (devices.remove(name) == null) {
                    return FakeDaemon.error(Errno.ENXIO, "no such device");
                }
                return FakeDaemon.ok(new Replies.Removed(name, null, EnumSet.noneOf(DmFlag.class)));
            case "LIST_DEVICES":
                return FakeDaemon.ok(new Replies.Names(devices.entrySet().stream().sorted(Map.Entry.comparingByKey())
                        .map(e -> new Replies.NameEntry(e.getKey(), "253:" + e.getValue(), 0, null)).toList()));
            case "TABLE_STATUS":
                if (!devices.containsKey(name)) {
                    return FakeDaemon.error(Errno.ENXIO, "no such device");
                }
                return FakeDaemon.ok(new Replies.TableLines(info(name, null, devices.get(name), DmFlag.ACTIVE_PRESENT),
                        List.of(new Replies.TargetLine(0, 8, "zero", ""))));
            default:
                return FakeDaemon.error(Errno.ENOTTY, "not scripted");
        }
    }

    @Test
    void createSendsCreateThenLoadByNumberThenResumeWithLibdmsCookieFlags() throws Exception {
        DmctlRunner dmctl = start(this::simple);
        DmctlRunner.Result result = dmctl.run("create", "test1", "--table", "0 2048 zero", "-u", "LVM-abc def");
        assertEquals(0, result.status(), result.toString());
        assertEquals("", result.out() + result.err());
        List<JsonNode> sent = daemon.requests();
        assertEquals(List.of("DEV_CREATE", "TABLE_LOAD", "DEV_SUSPEND"), daemon.commands());
        assertEquals("test1", sent.get(0).get("name").asText());
        assertEquals("LVM-abc\\x20def", sent.get(0).get("uuid").asText(), "uuids are mangled like names");
        assertEquals(0x00200000L, sent.get(0).get("eventNr").asLong());
        assertFalse(sent.get(1).has("name"), "the table goes by device number");
        assertEquals("253:0", sent.get(1).get("dev").asText());
        assertEquals("zero", sent.get(1).get("targets").get(0).get("type").asText());
        assertEquals("test1", sent.get(2).get("name").asText());
        assertEquals(0x00600000L, sent.get(2).get("eventNr").asLong());
        assertFalse(sent.get(2).get("flags").toString().contains("SUSPEND"));
    }

    @Test
    void aTakenNameFailsWithLibdmsLineAndCommandFailed() throws Exception {
        devices.put("x", 0);
        DmctlRunner.Result result = start(this::simple).run("create", "x", "--notable");
        assertEquals(1, result.status());
        assertEquals("device-mapper: create ioctl on x  failed: Device or resource busy\nCommand failed.\n",
                result.err());
    }

    @Test
    void aLoadThatFailsRevertsTheCreation() throws Exception {
        DmctlRunner dmctl = start(r -> "TABLE_LOAD".equals(r.path("command").asText())
                ? FakeDaemon.error(Errno.EINVAL, "unknown target type 'bogus'") : simple(r));
        DmctlRunner.Result result = dmctl.runWithInput("0 8 bogus\n", "create", "bad");
        assertEquals(1, result.status());
        assertEquals("device-mapper: reload ioctl on bad (253:0) failed: Invalid argument\nCommand failed.\n",
                result.err());
        assertEquals(List.of("DEV_CREATE", "TABLE_LOAD", "DEV_REMOVE"), daemon.commands());
        assertEquals(0x00600000L, daemon.requests().get(2).get("eventNr").asLong());
        assertTrue(devices.isEmpty());
        DmctlRunner.Result verbose = dmctl.runWithInput("0 8 bogus\n", "create", "bad", "-v");
        assertTrue(verbose.err().contains("\ndmd: unknown target type 'bogus'\n"), verbose.toString());
    }

    @Test
    void aTableThatDoesNotParseFailsBeforeAnyRequest() throws Exception {
        DmctlRunner.Result result = start(this::simple).run("create", "x", "--table", "0 8 zero\nnonsense");
        assertEquals("Invalid format on line 2 of table .\nCommand failed.\n", result.err());
        assertTrue(daemon.requests().isEmpty());
        Path table = dir.resolve("t.table");
        Files.writeString(table, "# comment\n\n0 x linear\n");
        assertEquals("Invalid format on line 3 of table " + table + ".\nCommand failed.\n",
                new DmctlRunner(daemon.socket()).run("load", "x", table.toString()).err());
        assertEquals("Couldn't open '/no/such' for reading.\nCommand failed.\n",
                new DmctlRunner(daemon.socket()).run("load", "x", "/no/such").err());
    }

    @Test
    void infoPrintsTheLongFormAndAMissingDeviceDoesNotExist() throws Exception {
        devices.put("test1", 0);
        DmctlRunner dmctl = start(this::simple);
        DmctlRunner.Result result = dmctl.run("info", "test1");
        assertEquals(0, result.status());
        assertEquals("Name:              test1\nState:             ACTIVE\nRead Ahead:        256\n"
                + "Tables present:    LIVE\nOpen count:        0\nEvent number:      0\nMajor, minor:      253, 0\n"
                + "Number of targets: 1\n\n", result.out());
        DmctlRunner.Result missing = dmctl.run("info", "nothing");
        assertEquals(1, missing.status());
        assertEquals("Device does not exist.\nCommand failed.\n", missing.err());
    }

    @Test
    void switchesMayFollowTheCommandAndColumnsGoThroughTheReport() throws Exception {
        devices.put("a1", 0);
        devices.put("a2", 1);
        DmctlRunner dmctl = start(this::simple);
        assertEquals("a1:253:0:L--w:0:1:0:\na2:253:1:L--w:0:1:0:\n", dmctl.run("info", "-c", "--noheadings").out());
        assertEquals("a2,1\n", dmctl.run("--noheadings", "--separator", ",", "-o", "name,minor", "-c", "info", "a2")
                .out());
        assertEquals(List.of("DEV_STATUS"), daemon.commands().subList(daemon.commands().size() - 1,
                daemon.commands().size()));
    }

    @Test
    void namesAreMangledOnTheWayOutAndUnmangledOnTheWayBack() throws Exception {
        DmctlRunner dmctl = start(this::simple);
        assertEquals(0, dmctl.run("create", "a b", "--notable").status());
        assertEquals("a\\x20b", daemon.requests().get(0).get("name").asText());
        assertEquals("a b\t(253:0)\n", dmctl.run("ls").out());
        assertEquals("a\\x20b", daemon.requests().get(daemon.requests().size() - 1).path("name").asText("a\\x20b"));
        assertEquals(0, dmctl.run("--manglename", "none", "create", "c d", "--notable").status());
        assertEquals("c d", daemon.requests().get(daemon.requests().size() - 1).get("name").asText());
        DmctlRunner.Result refused = dmctl.run("ls");
        assertEquals("The name \"c d\" should be mangled but it contains blacklisted characters.\n",
                refused.err().lines().filter(l -> l.startsWith("The name")).findFirst().orElse("") + "\n");
    }

    @Test
    void severalDevicesStopAtTheFirstFailure() throws Exception {
        devices.put("a", 0);
        devices.put("c", 2);
        DmctlRunner.Result result = start(this::simple).run("remove", "a", "b", "c");
        assertEquals(1, result.status());
        assertEquals("device-mapper: remove ioctl on b  failed: No such device or address\nCommand failed.\n",
                result.err());
        assertTrue(devices.containsKey("c"));
    }

    @Test
    void removeRetriesABusyDeviceWithRetry() throws Exception {
        AtomicInteger attempts = new AtomicInteger();
        DmctlRunner dmctl = start(r -> attempts.incrementAndGet() < 3
                ? FakeDaemon.error(Errno.EBUSY, "open") : FakeDaemon.ok(new Replies.Removed("x", null, null)));
        DmctlRunner.Result result = dmctl.run("remove", "--retry", "x");
        assertEquals(0, result.status(), result.toString());
        assertEquals(3, attempts.get());
        assertEquals("device-mapper: remove ioctl on x  failed: Device or resource busy\n".repeat(2), result.err());
    }

    @Test
    void tableWithoutDevicesPrefixesEveryLine() throws Exception {
        devices.put("a1", 0);
        devices.put("a2", 1);
        DmctlRunner dmctl = start(this::simple);
        assertEquals("a1: 0 8 zero \na2: 0 8 zero \n", dmctl.run("table").out());
        assertEquals("0 8 zero \n", dmctl.run("status", "a1").out());
        assertEquals("a1,,0,rw,0 8 zero ;a2,,1,rw,0 8 zero \n", dmctl.run("table", "--concise").out());
        DmctlRunner.Result missing = dmctl.run("table", "zz");
        assertEquals("device-mapper: table ioctl on zz  failed: No such device or address\nCommand failed.\n",
                missing.err());
        assertEquals("Device does not exist.\nCommand failed.\n", dmctl.run("status", "zz").err());
    }

    @Test
    void emptyListingsSayNoDevicesFound() throws Exception {
        DmctlRunner dmctl = start(this::simple);
        assertEquals("No devices found\n", dmctl.run("ls").out());
        assertEquals("No devices found\n", dmctl.run("info").out());
        assertEquals("No devices found\n", dmctl.run("ls", "--tree").out());
    }

    @Test
    void jsonPrintsTheReplyRecords() throws Exception {
        devices.put("x", 3);
        DmctlRunner dmctl = start(this::simple);
        JsonNode one = WireCodec.mapper().readTree(dmctl.run("--json", "info", "x").out());
        assertEquals("x", one.get("name").asText());
        assertEquals("253:3", one.get("dev").asText());
        JsonNode listing = WireCodec.mapper().readTree(dmctl.run("ls", "--json").out());
        assertEquals("x", listing.get("devices").get(0).get("name").asText());
    }

    @Test
    void cookiesAreShownAndTakenInLibdmsForm() throws Exception {
        DmctlRunner dmctl = start(r -> {
            switch (r.path("command").asText()) {
                case "UDEV_CREATE_COOKIE":
                    return FakeDaemon.ok(new Replies.Cookie(0x1234));
                case "UDEV_COMPLETE":
                    return r.get("cookie").asLong() == 0x1234 ? FakeDaemon.ok(new Replies.Done())
                            : FakeDaemon.error(Errno.EINVAL, "no udev cookie");
                default:
                    return FakeDaemon.ok(new Replies.Done());
            }
        });
        assertEquals("0x0D4D1234\n", dmctl.run("udevcreatecookie").out());
        assertEquals("DM_COOKIE_COMPLETED=0x601234    \n", dmctl.run("udevcomplete", "0x601234").out());
        assertEquals(0x1234, daemon.requests().get(1).get("cookie").asLong());
        DmctlRunner.Result unknown = dmctl.run("udevcomplete", "0x0d4d0007");
        assertEquals(1, unknown.status());
        assertEquals("Could not find notification semaphore identified by cookie value 223150087 (0xd4d0007)\n"
                + "Command failed.\n", unknown.err());
        assertEquals("Could not continue to access notification semaphore identified by cookie value 4660 (0x1234). "
                + "Incorrect cookie prefix.\nCommand failed.\n", dmctl.run("udevreleasecookie", "0x1234").err());
        assertEquals("No udev transaction cookie given.\nCommand failed.\n", dmctl.run("udevreleasecookie").err());
        assertEquals(0, dmctl.run("udevreleasecookie", "0x0D4D1234").status());
    }

    @Test
    void aJoinedUdevTransactionTravelsInEventNr() throws Exception {
        devices.put("x", 0);
        DmctlRunner dmctl = start(this::simple).env("DM_UDEV_COOKIE", "0x0D4D0042");
        assertEquals(0, dmctl.run("resume", "x", "--noudevrules").status());
        assertEquals(0x00630042L, daemon.requests().get(0).get("eventNr").asLong());
    }

    @Test
    void dmdsOwnCommandsSpeakLikeTheirTools() throws Exception {
        Path image = Files.write(dir.resolve("disk.img"), new byte[4096]);
        DmctlRunner dmctl = start(r -> {
            switch (r.path("command").asText()) {
                case "LOOP_ATTACH":
                    return FakeDaemon.ok(new Replies.LoopInfo("/dev/loop0", "7:0", r.get("file").asText(), 8,
                            r.get("readOnly").asBoolean(), 0));
                case "LOOP_DETACH":
                    return FakeDaemon.error(Errno.EBUSY, "/dev/loop0 is in use");
                case "LOOP_LIST":
                    return FakeDaemon.ok(new Replies.Loops(List.of(new Replies.LoopInfo("/dev/loop0", "7:0",
                            image.toString(), 8, false, 0))));
                case "MODPROBE":
                    return FakeDaemon.error(Errno.ENOENT, "Module dm-bogus not found in directory /lib/modules/x");
                case "LSMOD":
                    return FakeDaemon.ok(new Replies.Modules(List.of(
                            new Replies.ModuleInfo("dm_zero", "LIVE", 1, List.of(), false))));
                case "SHUTDOWN":
                    return FakeDaemon.error(Errno.EBUSY, "2 devices exist; use --force");
                default:
                    return FakeDaemon.ok(new Replies.Done());
            }
        });
        DmctlRunner.Result attached = dmctl.run("losetup", "-r", image.toString());
        assertEquals("/dev/loop0\n", attached.out());
        assertTrue(daemon.requests().get(0).get("readOnly").asBoolean());
        assertEquals("losetup: /dev/loop0: detach failed: Device or resource busy\n",
                dmctl.run("losetup", "-d", "/dev/loop0").err());
        long dev = ((Number) Files.getAttribute(image, "unix:dev")).longValue();
        long ino = ((Number) Files.getAttribute(image, "unix:ino")).longValue();
        assertEquals(String.format("/dev/loop0: [%04d]:%d (%s)%n", dev, ino, image), dmctl.run("losetup", "-a").out());
        DmctlRunner.Result modprobe = dmctl.run("modprobe", "dm-bogus");
        assertEquals(1, modprobe.status());
        assertEquals("modprobe: FATAL: Module dm-bogus not found in directory /lib/modules/x\n", modprobe.err());
        assertEquals("Module                  Size  Used by\ndm_zero                    0  1\n",
                dmctl.run("lsmod").out());
        DmctlRunner.Result shutdown = dmctl.run("shutdown");
        assertEquals(1, shutdown.status());
        assertEquals("shutdown: 2 devices exist; use --force\n", shutdown.err());
    }

    @Test
    void monitorPrintsEventsUntilTheDaemonGoes() throws Exception {
        DmctlRunner dmctl = start(r -> FakeDaemon.ok(new Replies.Subscribed()));
        CompletableFuture<DmctlRunner.Result> monitor = CompletableFuture.supplyAsync(() -> dmctl.run("monitor"));
        await().atMost(Duration.ofSeconds(20)).until(() -> daemon.monitorCount() == 1);
        ObjectNode event = WireCodec.mapper().createObjectNode();
        event.put("event", "uevent").put("seqnum", 9).put("action", "remove").put("subsystem", "block")
                .put("devpath", "/devices/virtual/block/dm-3");
        event.putObject("env").put("DM_COOKIE", "0").put("DEVNAME", "dm-3").put("MAJOR", "253").put("MINOR", "3");
        daemon.push(event);
        daemon.close();
        DmctlRunner.Result result = monitor.get(20, TimeUnit.SECONDS);
        assertEquals(0, result.status(), result.toString());
        assertTrue(result.out().startsWith("monitor will print the received events for:\nKERNEL - the kernel uevent\n\n"
                + "KERNEL["), result.out());
        assertTrue(result.out().endsWith("] remove   /devices/virtual/block/dm-3 (block)\nACTION=remove\n"
                + "DEVPATH=/devices/virtual/block/dm-3\nSUBSYSTEM=block\nDM_COOKIE=0\nDEVNAME=/dev/dm-3\n"
                + "SEQNUM=9\nMAJOR=253\nMINOR=3\n\n"), result.out());
    }

    @Test
    void aDaemonThatIsNotRunningIsOneLine() {
        DmctlRunner.Result result = new DmctlRunner(dir.resolve("none.sock")).run("info", "x");
        assertEquals(1, result.status());
        assertEquals("dmd is not running (no socket at " + dir.resolve("none.sock") + ")\n", result.err());
        assertEquals("", result.out());
    }

    @Test
    void helpAndVersionSwitchesExitZero() throws Exception {
        DmctlRunner dmctl = start(r -> FakeDaemon.ok(new Replies.DriverVersion(4, 50, 0)));
        DmctlRunner.Result help = dmctl.run("--help");
        assertEquals(0, help.status());
        assertTrue(help.err().startsWith("Usage:\n\ndmctl\n"));
        assertEquals("Library version:   1.02.185 (2022-05-18)\nDriver version:    4.50.0\n",
                dmctl.run("--version").out());
        assertEquals(1, dmctl.run().status());
        assertEquals("Incorrect number of arguments.", dmctl.run("rename").err().lines().findFirst().orElse(""));
    }
}

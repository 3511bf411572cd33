package org.dmd.client.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.dmd.client.DmClient;
import org.dmd.client.WireCodec;
import org.dmd.client.cli.DmctlRunner;
import org.junit.jupiter.api.Test;

/**
 * dmctl's main logic in-process against the real daemon: every command's success path and its
 * main failures, with the exact text dmsetup.c prints and libdm's log_error messages. Each test starts from an
 * empty daemon (remove_all), so minors start at 0.
 */
class DmctlIntegrationTest extends EmptiedDaemonTest {

    private DmctlRunner.Result ok(String... args) {
        DmctlRunner.Result result = dmctl.run(args);
        assertEquals(0, result.status(), result.toString());
        return result;
    }

    private DmctlRunner.Result fails(String... args) {
        DmctlRunner.Result result = dmctl.run(args);
        assertEquals(1, result.status(), result.toString());
        return result;
    }

    @Test
    void versionAndTargets() {
        assertEquals("Library version:   1.02.185 (2022-05-18)\nDriver version:    4.50.0\n", ok("version").out());
        String targets = ok("targets").out();
        assertTrue(targets.contains("striped          v1.7.0\n"), targets);
        assertTrue(targets.endsWith("linear           v1.5.0\nerror            v1.7.0\n"), targets);
        assertEquals("linear           v1.5.0\n", ok("target-version", "linear").out());
        assertEquals("device-mapper: target-version ioctl on bogus  failed: Invalid argument\nCommand failed.\n",
                fails("target-version", "bogus").err());
    }

    @Test
    void createThenInfoInBothForms() {
        assertEquals("", ok("create", "test1", "--table", "0 2048 zero").out());
        assertEquals("Name:              test1\nState:             ACTIVE\nRead Ahead:        256\n"
                + "Tables present:    LIVE\nOpen count:        0\nEvent number:      0\nMajor, minor:      253, 0\n"
                + "Number of targets: 1\n\n", ok("info", "test1").out());
        ok("create", "x", "-u", "LVM-abc def", "--table", "0 8 zero");
        // dmsetup 1.02.185's `info -c` output (dmsetup.c: _report_init), with dmd's devices.
        assertEquals("Name             Maj Min Stat Open Targ Event  UUID                            \n"
                + "test1            253   0 L--w    0    1      0                                 \n"
                + "x                253   1 L--w    0    1      0 LVM-abc def                     \n",
                ok("info", "-c").out());
        assertEquals("test1:253:0:L--w:0:1:0:\n", ok("info", "-C", "--noheadings", "test1").out());
        assertEquals("Name Maj Min Stat Open Targ Event UUID\nDM_NAME='x' DM_MAJOR='253' DM_MINOR='1' "
                + "DM_ATTR='L--w' DM_OPEN='0' DM_SEGMENTS='1' DM_EVENTS='0' DM_UUID='LVM-abc def'\n",
                ok("info", "-c", "--nameprefixes", "x").out());
        assertEquals("test1,253:0,Live\n", ok("info", "-c", "--separator", ",", "-o", "name,devno,tables_loaded",
                "--noheadings", "test1").out());
        assertEquals("UUID: LVM-abc def", ok("info", "-u", "LVM-abc def").out().lines().toList().get(8));
        assertEquals("Name:              x", ok("info", "-j", "253", "-m", "1").out().lines().findFirst().orElseThrow());
    }

    @Test
    void tablesStatusesAndTheConciseForm() {
        ok("create", "--concise", "a1,U-1,0,,0 8 zero;a2,,1,ro,0 8 zero,8 8 error");
        assertEquals("a1,U-1,0,rw,0 8 zero ;a2,,1,ro,0 8 zero ,8 8 error \n", ok("table", "--concise").out());
        assertEquals("0 8 zero \n", ok("table", "a1").out());
        assertEquals("a1: 0 8 zero \na2: 0 8 zero \na2: 8 8 error \n", ok("table").out());
        assertEquals("a2: 8 8 error \n", ok("table", "--target", "error").out());
        assertEquals("a1: 0 8 zero \na2: 0 8 zero \na2: 8 8 error \n", ok("status").out());
        assertEquals("a2\t(253, 1)\n", ok("ls", "--target", "error").out());
        ok("load", "a1", "--table", "0 16 error");
        assertEquals("0 16 error \n", ok("table", "--inactive", "a1").out());
        assertEquals("State:             ACTIVE", ok("info", "a1").out().lines().toList().get(1));
        assertEquals("Tables present:    LIVE & INACTIVE", ok("info", "a1").out().lines().toList().get(3));
        ok("clear", "a1");
        assertEquals("Tables present:    LIVE", ok("info", "a1").out().lines().toList().get(3));
        assertEquals("device-mapper: table ioctl on zz  failed: No such device or address\nCommand failed.\n",
                fails("table", "zz").err());
        assertEquals("Device does not exist.\nCommand failed.\n", fails("status", "zz").err());
    }

    @Test
    void listingsDependenciesAndTheTree() throws Exception {
        Path image = Files.write(dir.resolve("tree.img"), new byte[1 << 20]);
        assertEquals("/dev/loop0\n", ok("losetup", image.toString()).out());
        ok("create", "base", "--table", "0 8 zero");
        ok("create", "top", "--table", "0 8 linear 253:0 0\n8 8 linear 7:0 0");
        assertEquals("base\t(253:0)\ntop\t(253:1)\n", ok("ls").out());
        assertEquals("base\t(dm-0)\ntop\t(dm-1)\n", ok("ls", "-o", "blkdevname").out());
        assertEquals("base\t(base)\ntop\t(top)\n", ok("ls", "-o", "devname").out());
        // Kernel order: reverse order of first reference.
        assertEquals("2 dependencies\t: (7, 0) (253, 0)\n", ok("deps", "top").out());
        assertEquals("2 dependencies\t: (loop0) (dm-0)\n", ok("deps", "-o", "blkdevname", "top").out());
        assertEquals("base: 0 dependencies\t:\ntop: 2 dependencies\t: (7, 0) (253, 0)\n", ok("deps").out());
        assertEquals("top (253:1)\n |- (7:0)\n `-base (253:0)\n", ok("ls", "--tree", "-o", "ascii").out());
        assertEquals("top (253:1)\n \u251c\u2500 (7:0)\n \u2514\u2500base (253:0)\n",
                dmctl.env("LANG", "en_US.UTF-8").run("ls", "--tree").out());
        assertEquals("top:base:0::\nbase::1:top:253:1\n", ok("info", "-c", "--noheadings", "-o",
                "name,devs_used,device_ref_count,names_using_dev,devnos_using_dev", "top", "base").out());
    }

    @Test
    void failuresPrintLibdmsMessages() {
        ok("create", "x", "--notable");
        assertEquals("device-mapper: create ioctl on x  failed: Device or resource busy\nCommand failed.\n",
                fails("create", "x", "--notable").err());
        assertEquals("Device does not exist.\nCommand failed.\n", fails("info", "ghost").err());
        assertEquals("device-mapper: remove ioctl on ghost  failed: No such device or address\nCommand failed.\n",
                fails("remove", "ghost").err());
        DmctlRunner.Result bad = dmctl.runWithInput("0 8 no-such-type\n", "create", "bad");
        assertEquals(1, bad.status());
        assertEquals("device-mapper: reload ioctl on bad (253:1) failed: Invalid argument\nCommand failed.\n",
                bad.err());
        assertEquals("x\t(253:0)\n", ok("ls").out(), "the failed create was reverted");
        ok("suspend", "x");
        assertEquals("device-mapper: resume ioctl on x  failed: Invalid argument\nCommand failed.\n",
                fails("resume", "x").err(), "a device suspended without any table cannot resume");
    }

    @Test
    void suspendResumeRenameMessageWaitAndGeometry() {
        ok("create", "x", "--table", "0 8 zero");
        ok("suspend", "x", "--nolockfs", "--noflush");
        assertEquals("State:             SUSPENDED", ok("info", "x").out().lines().toList().get(1));
        ok("resume", "x");
        ok("rename", "x", "y");
        assertEquals("Event number:      1", ok("info", "y").out().lines().toList().get(5));
        ok("rename", "y", "--setuuid", "U-y");
        assertEquals("UUID: U-y", ok("info", "y").out().lines().toList().get(8));
        assertEquals("device-mapper: rename ioctl on y  failed: Invalid argument\nCommand failed.\n",
                fails("rename", "y", "--setuuid", "U-other").err());
        assertEquals("", ok("message", "y", "0", "@cancel_deferred_remove").out());
        assertEquals("Invalid sector.\nCommand failed.\n", fails("message", "y", "x1", "hello").err());
        ok("wait", "y", "0");
        ok("setgeometry", "y", "100", "16", "63", "0");
        assertEquals("device-mapper: setgeometry ioctl on y  failed: Invalid argument\nCommand failed.\n",
                fails("setgeometry", "y", "70000", "16", "63", "0").err());
        String verbose = ok("resume", "-v", "y").out();
        assertTrue(verbose.startsWith("Name:              y\n"), verbose);
        ok("remove", "y");
        assertEquals("No devices found\n", ok("ls").out());
    }

    @Test
    void namesTravelMangledAndShowUnmangled() {
        ok("create", "a b", "--table", "0 8 zero");
        assertEquals("a b\t(253:0)\n", ok("ls").out());
        assertEquals("a b\t(a\\x20b)\n", ok("ls", "-o", "devname").out());
        assertEquals("Name:              a b", ok("info", "a b").out().lines().findFirst().orElseThrow());
        assertEquals("a b:a\\x20b\n", ok("info", "-c", "--noheadings", "-o", "name,mangled_name", "a b").out());
        assertEquals("Name:              a\\x20b",
                ok("--manglename", "none", "info", "a\\x20b").out().lines().findFirst().orElseThrow());
    }

    @Test
    void removeAllAndWipeTable() {
        ok("create", "a", "--table", "0 8 zero");
        ok("create", "b", "--table", "0 8 zero");
        ok("wipe_table", "a");
        assertEquals("0 8 error \n", ok("table", "a").out());
        ok("remove_all");
        assertEquals("No devices found\n", ok("ls").out());
    }

    @Test
    void udevCookieCommands() {
        String created = ok("udevcreatecookie").out();
        Matcher cookie = Pattern.compile("0x0D4D([0-9A-F]{4})\n").matcher(created);
        assertTrue(cookie.matches(), created);
        String listing = ok("udevcookies").out();
        assertTrue(listing.startsWith("Cookie       Semid      Value      Last semop time           Last change time\n"
                + "0xd4d" + cookie.group(1).toLowerCase() + "  "), listing);
        ok("udevreleasecookie", created.strip());
        assertEquals("Cookie       Semid      Value      Last semop time           Last change time\n",
                ok("udevcookies").out());
        assertEquals("Could not find notification semaphore identified by cookie value 223150081 (0xd4d0001)\n"
                + "Command failed.\n", fails("udevcomplete", "0x0d4d0001").err());
        ok("udevcreatecookie");
        assertEquals("1 semaphores with keys prefixed by 3405 (0xd4d) destroyed. 0 skipped.\n",
                ok("udevcomplete_all", "-y").out());
        assertEquals("DM_UDEV_DISABLE_LIBRARY_FALLBACK_FLAG='1'\nDM_UDEV_PRIMARY_SOURCE_FLAG='1'\n",
                ok("udevflags", "0x00600000").out());
    }

    @Test
    void losetupModprobeAndLsmod() throws Exception {
        Path image = Files.write(dir.resolve("disk.img"), new byte[1 << 20]);
        assertEquals("/dev/loop0\n", ok("losetup", "-r", image.toString()).out());
        long dev = ((Number) Files.getAttribute(image, "unix:dev")).longValue();
        long ino = ((Number) Files.getAttribute(image, "unix:ino")).longValue();
        assertEquals(String.format("/dev/loop0: [%04d]:%d (%s)%n", dev, ino, image), ok("losetup", "-a").out());
        ok("losetup", "-d", "/dev/loop0");
        assertEquals("losetup: /dev/loop0: detach failed: No such device or address\n",
                fails("losetup", "-d", "/dev/loop0").err());
        ok("modprobe", "dm-delay");
        assertTrue(ok("lsmod").out().contains("\ndm_delay                   0  0\n"), ok("lsmod").out());
        ok("modprobe", "-r", "dm-delay");
        assertEquals("modprobe: FATAL: Module dm-no-such not found in directory", fails("modprobe", "dm-no-such").err()
                .substring(0, "modprobe: FATAL: Module dm-no-such not found in directory".length()));
    }

    @Test
    void jsonPrintsTheReplies() throws Exception {
        ok("create", "j", "--table", "0 8 zero");
        JsonNode info = WireCodec.mapper().readTree(ok("--json", "info", "j").out());
        assertEquals("253:0", info.get("dev").asText());
        JsonNode table = WireCodec.mapper().readTree(ok("table", "j", "--json").out());
        assertEquals("zero", table.get("targets").get(0).get("type").asText());
    }
}

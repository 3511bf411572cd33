package org.dmd.client.format;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dmd.client.MonitorEvent;
import org.dmd.core.control.DmFlag;
import org.dmd.core.control.Replies;
import org.junit.jupiter.api.Test;

class FormatsTest {

    private static final BlockNames NAMES = new BlockNames(253, Map.of("253:0", "a\\x20b"));

    @Test
    void lsLinesByNumberBlockNameOrDmName() {
        StringBuilder out = new StringBuilder();
        Formats.listEntry(out, "test1", 253, 0, Formats.DevName.DEVNO, NAMES);
        Formats.listEntry(out, "a b", 253, 0, Formats.DevName.BLK, NAMES);
        Formats.listEntry(out, "a b", 253, 0, Formats.DevName.MAP, NAMES);
        Formats.listEntry(out, "odd", 9, 1, Formats.DevName.BLK, NAMES);
        assertEquals("test1\t(253:0)\na b\t(dm-0)\na b\t(a\\x20b)\nodd\t(9:1)\n", out.toString());
    }

    @Test
    void depsLines() {
        DmInfo top = Devices.live("top", "", 1, 0);
        StringBuilder out = new StringBuilder();
        Formats.deps(out, top, List.of("253:0", "7:0"), false, 0, Formats.DevName.DEVNO, NAMES);
        Formats.deps(out, top, List.of(), false, 0, Formats.DevName.DEVNO, NAMES);
        Formats.deps(out, top, List.of("253:0", "7:0"), true, 0, Formats.DevName.BLK, NAMES);
        Formats.deps(out, top, List.of("253:0", "8:0"), true, 0, Formats.DevName.MAP, NAMES);
        assertEquals("2 dependencies\t: (253, 0) (7, 0)\n"
                + "0 dependencies\t:\n"
                + "top: 2 dependencies\t: (dm-0) (loop0)\n"
                + "top: 2 dependencies\t: (a\\x20b) (8, 0)\n", out.toString());
    }

    @Test
    void targetsAndVersion() {
        StringBuilder out = new StringBuilder();
        Formats.targets(out, List.of(new Replies.TargetVersion("striped", "1.7.0"),
                new Replies.TargetVersion("linear", "1.5.0"), new Replies.TargetVersion("error", "1.7.0"),
                new Replies.TargetVersion("a-very-long-type-name", "2.0.1")));
        assertEquals("striped          v1.7.0\nlinear           v1.5.0\nerror            v1.7.0\n"
                + "a-very-long-type-name v2.0.1\n", out.toString());
        StringBuilder version = new StringBuilder();
        Formats.libraryVersion(version);
        Formats.driverVersion(version, new Replies.DriverVersion(4, 50, 0));
        assertEquals("Library version:   1.02.185 (2022-05-18)\nDriver version:    4.50.0\n", version.toString());
    }

    @Test
    void udevFlagsNameLibdmsFlagsAndNumberTheRest() {
        StringBuilder out = new StringBuilder();
        Formats.udevFlags(out, 0x00600000L);
        assertEquals("DM_UDEV_DISABLE_LIBRARY_FALLBACK_FLAG='1'\nDM_UDEV_PRIMARY_SOURCE_FLAG='1'\n", out.toString());
        out.setLength(0);
        Formats.udevFlags(out, 0x81830D4DL);
        assertEquals("DM_UDEV_DISABLE_DM_RULES_FLAG='1'\nDM_UDEV_DISABLE_SUBSYSTEM_RULES_FLAG='1'\n"
                + "DM_UDEV_FLAG7='1'\nDM_SUBSYSTEM_UDEV_FLAG0='1'\nDM_SUBSYSTEM_UDEV_FLAG7='1'\n", out.toString());
    }

    @Test
    void udevCookiesLikeDmsetupsSemaphoreListing() {
        long created = LocalDateTime.of(2025, 3, 7, 9, 5, 1).toInstant(ZoneOffset.UTC).toEpochMilli();
        StringBuilder out = new StringBuilder();
        Formats.udevCookies(out, List.of(new Replies.CookieInfo(0x1234, 2, created)), ZoneOffset.UTC);
        assertEquals("Cookie       Semid      Value      Last semop time           Last change time\n"
                + "0xd4d1234    4660       2          Fri Mar  7 09:05:01 2025  Fri Mar  7 09:05:01 2025\n",
                out.toString());
        assertEquals(0x0D4D0001L, Formats.libdmCookie(0x00600001L));
    }

    @Test
    void lsmodListsLoadedModulesWithHolders() {
        StringBuilder out = new StringBuilder();
        Formats.lsmod(out, List.of(new Replies.ModuleInfo("dm_mirror", "live", 3, List.of(), false),
                new Replies.ModuleInfo("dm_region_hash", "live", 1, List.of("dm_mirror"), false),
                new Replies.ModuleInfo("dm_mod", "live", 0, List.of(), true),
                new Replies.ModuleInfo("dm_log", "live", 2, List.of("dm_region_hash", "dm_mirror"), false)));
        assertEquals("Module                  Size  Used by\n"
                + "dm_mirror                  0  3\n"
                + "dm_region_hash             0  1 dm_mirror\n"
                + "dm_log                     0  2 dm_region_hash,dm_mirror\n", out.toString());
    }

    @Test
    void losetupListsLikeUtilLinux() {
        StringBuilder out = new StringBuilder();
        Formats.loop(out, new Replies.LoopInfo("/dev/loop0", "7:0", "/tmp/disk.img", 2048, false, 0), 2049, 131);
        Formats.loop(out, new Replies.LoopInfo("loop1", "7:1", "/gone.img", 8, true, 1), 0, 0);
        assertEquals("/dev/loop0: [2049]:131 (/tmp/disk.img)\n/dev/loop1: []: (/gone.img)\n", out.toString());
    }

    @Test
    void monitorPrintsLikeUdevadmWithTheDeviceNumberLast() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("DM_COOKIE", "6291456");
        env.put("MAJOR", "253");
        env.put("MINOR", "0");
        env.put("DEVNAME", "dm-0");
        env.put("DEVTYPE", "disk");
        env.put("DM_NAME", "x");
        StringBuilder out = new StringBuilder();
        Formats.monitorHeader(out);
        Formats.uevent(out, new MonitorEvent.Uevent(7, "change", "block", "/devices/virtual/block/dm-0", env),
                1_234_000_056L);
        assertEquals("monitor will print the received events for:\nKERNEL - the kernel uevent\n\n"
                + "KERNEL[1234.000056] change   /devices/virtual/block/dm-0 (block)\n"
                + "ACTION=change\nDEVPATH=/devices/virtual/block/dm-0\nSUBSYSTEM=block\n"
                + "DM_COOKIE=6291456\nDEVNAME=/dev/dm-0\nDEVTYPE=disk\nDM_NAME=x\n"
                + "SEQNUM=7\nMAJOR=253\nMINOR=0\n\n", out.toString());
    }

    @Test
    void dmInfoReadsTheFlags() {
        DmInfo info = DmInfo.of(Devices.reply("n", null, "253:1048575", 1, 4294967295L, 0, DmFlag.SUSPEND));
        assertEquals(1048575, info.minor());
        assertEquals("", info.uuid());
        assertEquals("--s-", Report.attr(info).substring(0, 3) + "-");
    }
}

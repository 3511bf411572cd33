package org.dmd.daemon.ioctl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.ByteBuffer;
import java.util.HexFormat;
import org.dmd.core.errno.Errno;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Each command's request decode and reply encode against the buffers the real dmsetup 1.02.185
 * sent ({@link Libdm}), run through a real core: what comes back is what the kernel's
 * ctl_ioctl would copy back, byte for byte where the layout is fixed.
 */
class LibdmBuffersTest {

    private static final int EXISTS = 0x4;
    private static final int ACTIVE_PRESENT = 0x20;
    private static final int INACTIVE_PRESENT = 0x40;
    private static final int SUSPEND = 0x2;
    private static final int UEVENT_GENERATED = 0x2000;

    private final Harness dm = new Harness(252);

    @AfterEach
    void close() {
        dm.close();
    }

    /** dmsetup create test1 --table '0 2048 zero': VERSION, DEV_CREATE, TABLE_LOAD by dev, resume. */
    private void create() {
        dm.ok("create-00-cmd0");
        dm.ok("create-01-cmd3");
        dm.ok("create-02-cmd9");
        dm.ok("create-03-cmd6");
    }

    @Test
    void versionWritesTheTripleOnly() {
        Harness.Outcome version = dm.ok("version-00-cmd0");
        assertArrayEquals(HexFormat.of().parseHex("04000000" + "32000000" + "00000000"), version.bytes());
    }

    @Test
    void createLoadResume() {
        dm.ok("create-00-cmd0");
        Harness.Outcome created = dm.ok("create-01-cmd3");
        assertEquals(305, created.bytes().length);
        assertEquals(305, created.dataSize());
        assertEquals(0xFC00, created.dev(), "252:0, huge_encode_dev");
        assertEquals(EXISTS, created.flags());
        assertEquals("test1", created.string(48));
        assertEquals(0x0020_0000, Libdm.fixture("create-01-cmd3").buffer()[32 + 2] << 16, "the cookie's udev flags");

        Harness.Outcome loaded = dm.ok("create-02-cmd9");
        assertEquals(0xC | INACTIVE_PRESENT, loaded.flags(), "PERSISTENT_DEV and EXISTS echoed");
        assertEquals("test1", loaded.string(48), "found by dev, the name is written back");
        assertEquals(0, loaded.targetCount(), "target_count reports the live table");

        Harness.Outcome resumed = dm.ok("create-03-cmd6");
        assertEquals(EXISTS | ACTIVE_PRESENT, resumed.flags() & ~UEVENT_GENERATED);
        assertEquals(1, resumed.targetCount());
        assertEquals(0, resumed.view().getInt(32), "event_nr out is the device's counter, not the cookie");
        assertEquals(1, dm.devices().size());
    }

    @Test
    void listDevicesWithTheTrailer() {
        create();
        Harness.Outcome list = dm.ok("ls-01-cmd2");
        assertEquals(344, list.dataSize());
        assertEquals(344, list.bytes().length);
        ByteBuffer records = ByteBuffer.wrap(list.bytes(), 312, 32).slice();
        assertArrayEquals(HexFormat.of().parseHex("00fc000000000000" + "00000000" + "7465737431000000"
                + "00000000" + "00000000" + "00000000"), java.util.Arrays.copyOfRange(list.bytes(), 312, 344),
                records::toString);
    }

    @Test
    void anEmptyListCopiesBackTheHeaderAndDataStartOnly() {
        Harness.Outcome list = dm.ok("ls-01-cmd2");
        assertEquals(312, list.dataSize());
        assertEquals(312, list.bytes().length, "the zero dev marker at 312 is not copied back");
    }

    @Test
    void infoStatusTableDeps() {
        create();
        Harness.Outcome info = dm.ok("info-01-cmd7");
        assertEquals(305, info.bytes().length);
        assertEquals(EXISTS | ACTIVE_PRESENT, info.flags());
        assertEquals(1, info.targetCount());
        assertEquals(0xFC00, info.dev());

        Harness.Outcome table = dm.ok("table-01-cmd12");
        assertEquals(353, table.dataSize(), "spec (40) + empty string + NUL after 312");
        assertEquals(0x14 | ACTIVE_PRESENT, table.flags());
        assertEquals(312, table.view().getInt(16));
        assertEquals(0, table.view().getLong(312));
        assertEquals(2048, table.view().getLong(320));
        assertEquals(0, table.view().getInt(328), "status");
        assertEquals(48, table.view().getInt(332), "next, from data_start, 8-aligned");
        assertEquals("zero", table.string(336));
        assertEquals("", table.string(352));

        assertEquals(353, dm.ok("status-02-cmd12").dataSize());

        Harness.Outcome deps = dm.ok("deps-01-cmd11");
        assertEquals(320, deps.dataSize());
        assertEquals(0, deps.view().getInt(312), "count");
    }

    @Test
    void treeAsksDepsByDev() {
        create();
        Harness.Outcome deps = dm.ok("tree-02-cmd11");
        assertEquals(320, deps.dataSize());
        assertEquals("test1", deps.string(48));
        assertEquals("test1", dm.ok("info-dev-01-cmd7").string(48), "info -j 252 -m 0");
    }

    @Test
    void targetsAndTargetVersion() {
        Harness.Outcome targets = dm.ok("targets-01-cmd13");
        ByteBuffer v = targets.view();
        int needed = 0;
        int record = 312;
        int count = 0;
        while (true) {
            String name = targets.string(record + 16);
            needed += 16 + name.length() + 1 + 7;
            count++;
            if (v.getInt(record) == 0) {
                break;
            }
            assertEquals(0, (record + v.getInt(record)) % 8, "records are 8-aligned");
            record += v.getInt(record);
        }
        assertEquals(312 + needed, targets.dataSize(), count + " types, with 7 bytes of slack each");

        Harness.Outcome zero = dm.ok("target-version-01-cmd17");
        assertEquals(312 + 16 + 5 + 7, zero.dataSize());
        assertEquals("zero", zero.string(328));
        assertEquals(0, zero.view().getInt(312), "the only record");
        assertEquals(1, zero.view().getInt(316));
        assertEquals(2, zero.view().getInt(320));
    }

    @Test
    void suspendResumeRenameSetUuid() {
        create();
        Harness.Outcome suspended = dm.ok("suspend-01-cmd6");
        assertEquals(EXISTS | SUSPEND | ACTIVE_PRESENT, suspended.flags());
        Harness.Outcome info = dm.ok("info-suspended-01-cmd7");
        assertEquals(SUSPEND, info.flags() & SUSPEND);
        Harness.Outcome resumed = dm.ok("resume-01-cmd6");
        assertEquals(0, resumed.flags() & SUSPEND);
        assertEquals(UEVENT_GENERATED, resumed.flags() & UEVENT_GENERATED, "the resume's change uevent");
        assertEquals(0, dm.ok("resume-01-cmd6").flags() & UEVENT_GENERATED,
                "resuming a device that is not suspended, without a new table, generates none");

        Harness.Outcome renamed = dm.ok("rename-01-cmd5");
        assertEquals("test1", renamed.string(48), "the old name stays in the header");
        assertEquals("test2", dm.devices().get(0).name());
        dm.ok("setuuid-01-cmd5");
        assertEquals("UUID-1", dm.ok("info-dev-01-cmd7").string(176));
    }

    @Test
    void loadInactiveClearGeometryWaitMessage() {
        create();
        dm.ok("rename-01-cmd5");
        assertEquals(EXISTS | ACTIVE_PRESENT | INACTIVE_PRESENT, dm.ok("load-01-cmd9").flags());
        Harness.Outcome inactive = dm.ok("table-inactive-01-cmd12");
        assertEquals("error", inactive.string(336));
        assertEquals(8, inactive.view().getLong(320));
        assertEquals(0, dm.ok("clear-01-cmd10").flags() & INACTIVE_PRESENT);
        assertEquals(12, dm.ok("setgeometry-01-cmd15").bytes().length, "data_size 0: the version alone");

        Harness.Outcome waited = dm.ok("wait-01-cmd8");
        assertEquals(1, waited.view().getInt(32), "the rename's table event; 5 was asked, so no wait");
        assertEquals(353, waited.dataSize(), "status lines of the live table");

        assertEquals(Errno.EINVAL, dm.ioctl(Libdm.fixture("message-01-cmd14")).errno(), "zero takes no messages");
    }

    @Test
    void removeAndRemoveAll() {
        create();
        dm.ok("rename-01-cmd5");
        Harness.Outcome removed = dm.ok("remove-01-cmd4");
        assertEquals(305, removed.bytes().length);
        assertEquals(0x0060_0000, removed.view().getInt(32) & 0xFFFF_0000, "event_nr echoed");
        assertEquals(0, dm.devices().size());

        create();
        assertEquals(12, dm.ok("remove_all-01-cmd1").bytes().length, "data_size 0");
        assertEquals(0, dm.devices().size());
    }

    @Test
    void aTableWithAnUnknownTargetIsEinvalAndTheCreateIsUndone() {
        create();
        dm.ok("bad-01-cmd3");
        Harness.Outcome load = dm.ioctl(Libdm.fixture("bad-02-cmd9"));
        assertEquals(Errno.EINVAL, load.errno());
        assertEquals(0, load.bytes().length);
        assertNull(dm.ok("bad-03-cmd4").errno());
        assertEquals(1, dm.devices().size(), "test1 alone");
    }
}

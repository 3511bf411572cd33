package org.dmd.client.format;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.dmd.core.control.DmFlag;
import org.junit.jupiter.api.Test;

class InfoFormatTest {

    private static String render(DmInfo info) {
        StringBuilder out = new StringBuilder();
        InfoFormat.longForm(out, info);
        return out.toString();
    }

    @Test
    void theObservedExampleOfSection10_3() {
        DmInfo info = DmInfo.of(Devices.reply("test1", "LVM-abc def", "253:0", 0, 0, 1, DmFlag.ACTIVE_PRESENT));
        assertEquals("Name:              test1\n"
                + "State:             ACTIVE\n"
                + "Read Ahead:        256\n"
                + "Tables present:    LIVE\n"
                + "Open count:        0\n"
                + "Event number:      0\n"
                + "Major, minor:      253, 0\n"
                + "Number of targets: 1\n"
                + "UUID: LVM-abc def\n"
                + "\n", render(info));
    }

    @Test
    void suspendedReadOnlyDeferredWithBothTablesAndNoUuid() {
        DmInfo info = DmInfo.of(Devices.reply("d", null, "253:17", 2, 5, 3, DmFlag.SUSPEND, DmFlag.READONLY,
                DmFlag.DEFERRED_REMOVE, DmFlag.ACTIVE_PRESENT, DmFlag.INACTIVE_PRESENT));
        assertEquals("Name:              d\n"
                + "State:             SUSPENDED (READ-ONLY) (DEFERRED REMOVE)\n"
                + "Read Ahead:        256\n"
                + "Tables present:    LIVE & INACTIVE\n"
                + "Open count:        2\n"
                + "Event number:      5\n"
                + "Major, minor:      253, 17\n"
                + "Number of targets: 3\n"
                + "\n", render(info));
    }

    @Test
    void tablesPresentNoneAndInactiveOnly() {
        assertEquals("Tables present:    None",
                render(DmInfo.of(Devices.reply("n", "", "253:1", 0, 0, 0))).lines().toList().get(3));
        assertEquals("Tables present:    INACTIVE", render(DmInfo.of(Devices.reply("n", "", "253:1", 0, 0, 0,
                DmFlag.INACTIVE_PRESENT))).lines().toList().get(3));
    }
}

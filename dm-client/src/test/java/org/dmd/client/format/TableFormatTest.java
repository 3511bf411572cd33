package org.dmd.client.format;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.dmd.core.control.DmFlag;
import org.dmd.core.control.Replies.TargetLine;
import org.junit.jupiter.api.Test;

class TableFormatTest {

    private static final DmInfo A1 = DmInfo.of(Devices.reply("a1", "U-1", "253:0", 0, 0, 1, DmFlag.ACTIVE_PRESENT));
    private static final DmInfo A2 = DmInfo.of(Devices.reply("a2", null, "253:1", 0, 0, 2, DmFlag.ACTIVE_PRESENT,
            DmFlag.READONLY));

    private static TargetLine line(long start, long length, String type, String text) {
        return new TargetLine(start, length, type, text);
    }

    @Test
    void singleDeviceLinesHaveNoPrefixAndEmptyStringsLeaveATrailingSpace() {
        StringBuilder out = new StringBuilder();
        TableFormat format = new TableFormat(true, false, false, null, 0);
        format.device(out, A1, List.of(line(0, 2048, "zero", ""), line(2048, 8, "linear", "7:0 0")), false);
        format.finish(out);
        assertEquals("0 2048 zero \n2048 8 linear 7:0 0\n", out.toString());
    }

    @Test
    void severalDevicesArePrefixedAndADeviceWithoutTableIsAnEmptyEntry() {
        StringBuilder out = new StringBuilder();
        TableFormat format = new TableFormat(false, false, false, null, 0);
        format.device(out, A1, List.of(line(0, 8, "zero", "")), true);
        format.device(out, A2, List.of(), true);
        assertEquals("a1: 0 8 zero \na2: \n", out.toString());
        StringBuilder single = new StringBuilder();
        new TableFormat(false, false, false, null, 0).device(single, A2, List.of(), false);
        assertEquals("\n", single.toString());
    }

    @Test
    void conciseIsOneEscapedLineForAllDevices() {
        StringBuilder out = new StringBuilder();
        TableFormat format = new TableFormat(true, true, false, null, 0);
        format.device(out, A1, List.of(line(0, 8, "zero", "")), true);
        format.device(out, A2, List.of(line(0, 8, "zero", ""), line(8, 8, "error", "")), true);
        format.finish(out);
        // The output dmsetup.c's _display_status prints for this table (dmsetup 1.02.185).
        assertEquals("a1,U-1,0,rw,0 8 zero ;a2,,1,ro,0 8 zero ,8 8 error \n", out.toString());

        StringBuilder quoted = new StringBuilder();
        TableFormat escaping = new TableFormat(true, true, false, null, 0);
        escaping.device(quoted, DmInfo.of(Devices.reply("n,a;m\\e", "u;1", "253:3", 0, 0, 1)),
                List.of(line(0, 1, "x", "a,b;c\\d")), false);
        escaping.finish(quoted);
        assertEquals("n\\,a\\;m\\\\e,u\\;1,3,rw,0 1 x a\\,b\\;c\\\\d\n", quoted.toString());
    }

    @Test
    void cryptAndIntegrityKeysAreHiddenUnlessShowkeys() {
        List<TargetLine> lines = List.of(
                line(0, 8, "crypt", "aes-xts-plain64 0123456789abcdef 0 7:0 0"),
                line(8, 8, "crypt", "aes-xts-plain64 :32:logon:my:key 0 7:0 0"),
                line(16, 8, "integrity", "7:1 0 32 J 2 internal_hash:hmac(sha256):abcd journal_mac:crc32c"));
        StringBuilder hidden = new StringBuilder();
        new TableFormat(true, false, false, null, 0).device(hidden, A1, lines, false);
        assertEquals("0 8 crypt aes-xts-plain64 0000000000000000 0 7:0 0\n"
                + "8 8 crypt aes-xts-plain64 :32:logon:my:key 0 7:0 0\n"
                + "16 8 integrity 7:1 0 32 J 2 internal_hash:hmac(sha256):0000 journal_mac:crc32c\n",
                hidden.toString());
        StringBuilder shown = new StringBuilder();
        new TableFormat(true, false, true, null, 0).device(shown, A1, lines, false);
        assertEquals("0 8 crypt aes-xts-plain64 0123456789abcdef 0 7:0 0\n", shown.toString().lines().findFirst()
                .orElseThrow() + "\n");
        StringBuilder status = new StringBuilder();
        new TableFormat(false, false, false, null, 0).device(status, A1, lines.subList(0, 1), false);
        assertEquals("0 8 crypt aes-xts-plain64 0123456789abcdef 0 7:0 0\n", status.toString());
    }

    @Test
    void targetFilterKeepsOnlyLinesOfThatType() {
        StringBuilder out = new StringBuilder();
        TableFormat format = new TableFormat(true, false, false, "error", 0);
        format.device(out, A2, List.of(line(0, 8, "zero", ""), line(8, 8, "error", "")), true);
        format.device(out, A1, List.of(line(0, 8, "zero", "")), true);
        assertEquals("a2: 8 8 error \n", out.toString());
        StringBuilder listed = new StringBuilder();
        TableFormat.listMatching(listed, A2, List.of(line(0, 8, "zero", ""), line(8, 8, "error", "")), "error");
        TableFormat.listMatching(listed, A1, List.of(line(0, 8, "zero", "")), "error");
        assertEquals("a2\t(253, 1)\n", listed.toString());
    }

    @Test
    void verbosePrintsTheInfoBlockInsteadOfThePrefix() {
        StringBuilder out = new StringBuilder();
        new TableFormat(false, false, false, null, 1).device(out, A1, List.of(line(0, 8, "zero", "")), true);
        StringBuilder info = new StringBuilder();
        InfoFormat.longForm(info, A1);
        assertEquals(info + "0 8 zero \n\n", out.toString());
    }
}

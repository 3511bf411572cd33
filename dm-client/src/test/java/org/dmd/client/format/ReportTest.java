package org.dmd.client.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.dmd.client.NameMangling;
import org.dmd.core.control.DmFlag;
import org.junit.jupiter.api.Test;

class ReportTest {

    private static String report(String fields, Report.Settings settings, DmInfo... devices) throws Exception {
        Report report = Report.of(Report.DEFAULT_FIELDS, fields, settings);
        for (DmInfo info : devices) {
            report.add(Devices.row(info));
        }
        return report.output();
    }

    private static Report.Settings plain() {
        return Report.Settings.of(false, null, false, false, false, null);
    }

    @Test
    void alignedDefaultColumnsPadEvenTheLastColumn() throws Exception {
        // The output of dmsetup 1.02.185's `info -c` (dmsetup.c: _report_init, libdm-report.c).
        assertEquals("Name             Maj Min Stat Open Targ Event  UUID                            \n"
                        + "test1            253   0 L--w    0    1      0                                 \n"
                        + "x                253   1 L--w    0    1      1 LVM-abc def                     \n",
                report(null, plain(), Devices.live("test1", "", 0, 0), Devices.live("x", "LVM-abc def", 1, 1)));
    }

    @Test
    void noHeadingsSeparatesWithColonsUnaligned() throws Exception {
        assertEquals("test1:253:0:L--w:0:1:0:\n", report(null, Report.Settings.of(true, null, false, false, false,
                null), Devices.live("test1", "", 0, 0)));
    }

    @Test
    void separatorDisablesAlignmentAndKeepsHeadings() throws Exception {
        assertEquals("Name,Maj,Min,Stat,Open,Targ,Event,UUID\na1,253,0,L--w,0,1,0,U-1\n",
                report(null, Report.Settings.of(false, ",", false, false, false, null),
                        Devices.live("a1", "U-1", 0, 0)));
    }

    @Test
    void namePrefixesQuoteUpperCasedFieldIds() throws Exception {
        assertEquals("Name Maj Min Stat Open Targ Event UUID\n"
                        + "DM_NAME='a1' DM_MAJOR='253' DM_MINOR='0' DM_ATTR='L--w' DM_OPEN='0' DM_SEGMENTS='1' "
                        + "DM_EVENTS='0' DM_UUID='U-1'\n",
                report(null, Report.Settings.of(false, null, true, false, false, null),
                        Devices.live("a1", "U-1", 0, 0)));
        assertEquals("DM_NAME=a1\n", report("name", Report.Settings.of(true, null, true, true, false, null),
                Devices.live("a1", "U-1", 0, 0)));
    }

    @Test
    void chosenFieldsAndAppendedFields() throws Exception {
        DmInfo both = DmInfo.of(Devices.reply("dev", "", "253:4", 0, 0, 2, DmFlag.ACTIVE_PRESENT,
                DmFlag.INACTIVE_PRESENT, DmFlag.SUSPEND, DmFlag.READONLY));
        assertEquals("DevNo Tables Suspended Read-only BlkDevName       RAhead\n"
                        + "253:4 Both   Suspended Read-only dm-4                256\n",
                report("devno,tables_loaded,suspended,readonly,blkdevname,read_ahead", plain(), both));
        assertEquals("dev:253:4:LIsr:0:2:0::Both\n",
                report("+tablesloaded", Report.Settings.of(true, null, false, false, false, null), both));
    }

    @Test
    void widthsGrowWithLongValuesAndNumbersAlignRight() throws Exception {
        assertEquals("Name                 Min  \n"
                        + "a-rather-long-name-x     7\n"
                        + "b                    12345\n",
                report("name,minor", plain(), Devices.live("a-rather-long-name-x", "", 7, 0),
                        Devices.live("b", "", 12345, 0)));
    }

    @Test
    void sortKeysOrderRowsAscendingOrDescending() throws Exception {
        DmInfo a = Devices.live("a", "", 2, 0);
        DmInfo b = Devices.live("b", "", 10, 0);
        DmInfo c = Devices.live("c", "", 1, 0);
        Report.Settings byMinorDown = Report.Settings.of(true, null, false, false, false, "-minor");
        assertEquals("b\na\nc\n", report("name", byMinorDown, a, b, c));
        Report.Settings byName = Report.Settings.of(true, null, false, false, false, "name");
        assertEquals("a\nb\nc\n", report("name", byName, c, b, a));
    }

    @Test
    void rowsTurnColumnsIntoLines() throws Exception {
        assertEquals("Name a b\nMin 2 10\n", report("name,minor", Report.Settings.of(false, null, false, false,
                true, null), Devices.live("a", "", 2, 0), Devices.live("b", "", 10, 0)));
    }

    @Test
    void nothingIsPrintedWithoutRows() throws Exception {
        assertEquals("", report(null, plain()));
    }

    @Test
    void unknownFieldsFailWithTheFieldListAndLibdmsLine() {
        Report.ReportException e = assertThrows(Report.ReportException.class,
                () -> Report.of(Report.DEFAULT_FIELDS, "name,bogus", plain()));
        assertTrue(e.getMessage().startsWith("Mapped Device Name Fields\n-------------------------\n"));
        assertTrue(e.getMessage().endsWith(" \nUnrecognised field: bogus"), e.getMessage());
    }

    @Test
    void helpIsRequestedByHelpOrQuestionMark() throws Exception {
        assertTrue(Report.of(Report.DEFAULT_FIELDS, "help", plain()).helpRequested());
        assertTrue(Report.of(Report.DEFAULT_FIELDS, "?", plain()).helpRequested());
        assertFalse(Report.of(Report.DEFAULT_FIELDS, null, plain()).helpRequested());
    }

    @Test
    void fieldNamesIgnoreCaseAndUnderscoresAndSectionsSelectTheirFields() throws Exception {
        assertEquals("Name             Stat\nx                L--w\n", report("NAME,At_tr", plain(), Devices.live("x", "", 0, 0)));
        Report info = Report.of(Report.DEFAULT_FIELDS, "info_all", plain());
        assertTrue(info.uses(Report.Type.INFO));
        assertFalse(info.uses(Report.Type.TASK));
    }

    @Test
    void dependencyAndTreeFields() throws Exception {
        BlockNames names = new BlockNames(253, Map.of());
        DeviceTree tree = new DeviceTree(names, (major, minor) -> minor == 1
                ? new DeviceTree.Entry("top", "", Devices.live("top", "", 1, 0), List.of(new int[] {253, 0},
                        new int[] {7, 0}))
                : new DeviceTree.Entry("base", "", Devices.live("base", "", 0, 0), List.of()));
        tree.add(253, 1);
        tree.add(253, 0);
        Report report = Report.of(Report.DEFAULT_FIELDS,
                "name,device_count,devnos_used,blkdevs_used,devs_used,device_ref_count,names_using_dev,devnos_using_dev",
                Report.Settings.of(true, null, false, false, false, null));
        report.add(ReportRow.of(Devices.live("top", "", 1, 0), NameMangling.Mode.AUTO, List.of("253:0", "7:0"), tree,
                names));
        report.add(ReportRow.of(Devices.live("base", "", 0, 0), NameMangling.Mode.AUTO, List.of(), tree, names));
        assertEquals("top:2:253:0,7:0:dm-0,loop0:base:0::\nbase:0::::1:top:253:1\n", report.output());
    }

    @Test
    void nameComponentsSplitLvmNames() throws Exception {
        Report report = Report.of(Report.DEFAULT_FIELDS, "name,subsystem,vg_name,lv_name,lv_layer",
                Report.Settings.of(true, null, false, false, false, null));
        report.add(Devices.row(Devices.live("vg-lv--x-tpool", "LVM-abc", 0, 0)));
        report.add(Devices.row(Devices.live("plain-name", "CRYPT-1", 1, 0)));
        assertEquals("vg-lv--x-tpool:LVM:vg:lv-x:tpool\nplain-name:CRYPT:::\n", report.output());
    }

    @Test
    void mangledAndUnmangledNames() throws Exception {
        Report report = Report.of(Report.DEFAULT_FIELDS, "name,mangled_name,unmangled_name",
                Report.Settings.of(true, null, false, false, false, null));
        report.add(Devices.row(Devices.live("a b", "", 0, 0)));
        assertEquals("a b:a\\x20b:a b\n", report.output());
    }
}

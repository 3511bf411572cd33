package org.dmd.core.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.dmd.core.concurrent.Step;
import org.dmd.core.control.Replies.DeviceInfo;
import org.dmd.core.control.Replies.TargetLine;
import org.dmd.core.control.Requests.TargetSpec;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.dmd.core.table.TableFactory;
import org.dmd.core.target.TargetFeature;
import org.dmd.core.testing.CoreInvariants;
import org.dmd.core.testing.EventRecorder;
import org.dmd.core.testing.GatedDeviceMapperTest;
import org.dmd.core.testing.Outcome;
import org.dmd.core.testing.TestLoops;
import org.dmd.core.testing.TestRequests;
import org.dmd.core.testing.TestTargets;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TABLE_LOAD's validation (dm-ioctl.c: table_load, populate_table; dm-table.c: dm_table_add_target, dm_table_complete): every rejected table is
 * EINVAL (EOVERFLOW, ENXIO, ENOENT where noted) for the kernel's reason, found in the kernel's
 * order of checks, and changes nothing: the staged and live tables, the open counts of
 * underlying devices, the module reference counts and the set of loaded modules, the devices held
 * by tables, and the uevents are as before.
 */
class TableValidationTest extends GatedDeviceMapperTest {

    @TempDir
    Path backing;

    private EventRecorder recorder;
    /** 4096 sectors. */
    private String loop0;
    /** 2048 sectors. */
    private String loop1;

    @BeforeEach
    void setUp() throws DmException {
        TestLoops loops = new TestLoops(backing);
        loop0 = loops.attach(dm, 4096);
        loop1 = loops.attach(dm, 2048);
        TestTargets.registerBuiltin(dm, TestTargets.type("always-rw", Set.of(TargetFeature.ALWAYS_WRITEABLE), false));
        TestTargets.registerBuiltin(dm, TestTargets.type("immutable-t", Set.of(TargetFeature.IMMUTABLE), false));
        TestTargets.registerBuiltin(dm, TestTargets.type("rq", Set.of(), true));
        // Modules the tables below use, loaded up front: a failed load may leave an autoloaded
        // module loaded (as the kernel does), which is not what these tests look at.
        for (String module : List.of("dm-zero", "dm-multipath", "dm-round-robin")) {
            Outcome.of(() -> dm.modprobe(TestRequests.modprobe(module))).value();
        }
        recorder = recordEvents();
        // Device v: a bio-based device with a live table and a staged one, both holding things.
        create("v");
        load("v", "0 1024 linear " + loop0 + " 0\n1024 1024 zero");
        Outcome.of(() -> dm.devSuspend(TestRequests.resume("v"))).value();
        load("v", "0 512 linear " + loop1 + " 0\n512 512 zero");
    }

    private void load(String device, String table) {
        Outcome.of(() -> dm.tableLoad(TestRequests.load(device, table))).value();
    }

    private String multipath(String loop) {
        return "multipath 0 0 1 1 round-robin 0 1 1 " + loop + " 1";
    }

    /** Everything a rejected table load must leave as it was. */
    private record State(Set<DmFlag> flags, List<TargetLine> live, List<TargetLine> staged, Map<String, Integer> loops,
                         Map<String, Integer> modules, int holders, long uevents) {
    }

    private State state(String device) {
        DeviceInfo info = status(device).value();
        Map<String, Integer> loops = new TreeMap<>();
        dm.loopList().loops().forEach(l -> loops.put(l.device(), l.openCount()));
        Map<String, Integer> modules = new TreeMap<>();
        dm.lsmod().modules().forEach(m -> modules.put(m.name(), m.refcount()));
        recorder.sync();
        return new State(info.flags(),
                Outcome.of(() -> dm.tableStatus(TestRequests.tableText(device))).value().targets(),
                Outcome.of(() -> dm.tableStatus(TestRequests.tableTextInactive(device))).value().targets(),
                loops, modules, dm.tableDevices().holders(), recorder.uevents().size());
    }

    /** Sends {@code request}, expects {@code errno} with {@code reason}, and that nothing changed. */
    private void rejected(String device, Requests.TableLoad request, Errno errno, String reason) {
        State before = state(device);
        Outcome<DeviceInfo> outcome = Outcome.of(() -> dm.tableLoad(request));
        assertEquals(errno, outcome.errno(), outcome::toString);
        assertTrue(outcome.message().contains(reason), () -> "expected '" + reason + "' in: " + outcome.message());
        assertEquals(before, state(device), "a rejected load changed something");
    }

    private void rejected(String table, Errno errno, String reason) {
        rejected("v", TestRequests.load("v", table), errno, reason);
    }

    // ------------------------------------------------------------------ one check at a time

    @Test
    void aDeviceThatDoesNotExistIsEnxio() {
        assertEquals(Errno.ENXIO, Outcome.of(() -> dm.tableLoad(TestRequests.load("nobody", "0 8 zero"))).errno());
    }

    @Test
    void aTableWithoutTargetsIsEinval() {
        rejected("v", TestRequests.load("v", List.of()), Errno.EINVAL, "no targets");
    }

    @Test
    void moreThanAMillionTargetsIsEoverflowBeforeAnyLineIsLookedAt() {
        List<TargetSpec> tooMany = Collections.nCopies(TableFactory.MAX_TARGETS + 1,
                new TargetSpec(0, 8, "nosuch", ""));
        rejected("v", TestRequests.load("v", tooMany), Errno.EOVERFLOW, "the limit is 1048576");
        assertEquals(0, gate.count(Step.REQUEST_MODULE, "dm-nosuch"), "no line was looked at");
    }

    /** Found by TableTextFuzzTest: a NUL in a device path threw InvalidPathException out of TABLE_LOAD. */
    @Test
    void aDevicePathWithANulNamesNoDevice() {
        rejected("0 1024 linear /dev/l\0oop0 0", Errno.ENOENT, "no such device");
        rejected("0 1024 linear /dev/\0 0", Errno.ENOENT, "no such device");
    }

    /** Found by TableTextFuzzTest: a loop minor beyond 2^20-1 threw IllegalArgumentException out of TABLE_LOAD. */
    @Test
    void aLoopDeviceBeyondTheMinorRangeNamesNoDevice() {
        rejected("0 1024 linear /dev/loop2051204 0", Errno.ENOENT, "/dev/loop2051204: no such block device");
        rejected("0 1024 linear /dev/loop1048576 0", Errno.ENOENT, "no such block device");
        rejected("0 1024 linear /dev/loop1048575 0", Errno.ENXIO, "");
    }

    @Test
    void aZeroLengthTargetIsEinval() {
        rejected("0 1024 zero\n1024 0 zero", Errno.EINVAL, "zero-length target");
    }

    @Test
    void aTargetEndingBeyondTwoToTheSixtyThreeBytesIsTooLarge() {
        rejected("0 1024 zero\n1024 " + ((Long.MAX_VALUE >> 9) - 1000) + " zero", Errno.EINVAL, "Too large device");
        rejected("9223372036854775807 2 zero", Errno.EINVAL, "Too large device");
    }

    @Test
    void anUnknownTypeIsEinvalAfterTryingToAutoloadIt() {
        rejected("0 1024 zero\n1024 1024 nosuchtype", Errno.EINVAL, "unknown target type");
        assertEquals(1, gate.count(Step.REQUEST_MODULE, "dm-nosuchtype"), "the kernel tries dm-<type> once");
    }

    @Test
    void aTypeNameLongerThanTheKernelsFieldIsEinval() {
        rejected("0 1024 a-very-long-type-name", Errno.EINVAL, "invalid target type name");
        assertEquals(0, gate.count(Step.REQUEST_MODULE, "dm-a-very-long-type-name"));
    }

    @Test
    void aGapOrAnOverlapOrAFirstTargetNotAtSectorZeroIsEinval() {
        rejected("0 1024 zero\n2048 1024 zero", Errno.EINVAL, "Gap in table");
        rejected("0 1024 zero\n512 1024 zero", Errno.EINVAL, "Gap in table");
        rejected("8 1024 zero", Errno.EINVAL, "Gap in table");
    }

    @Test
    void aSingletonTypeMustBeAlone() {
        rejected("0 1024 zero\n1024 2048 " + multipath(loop0), Errno.EINVAL, "singleton target type");
        rejected("0 2048 " + multipath(loop0) + "\n2048 1024 zero", Errno.EINVAL,
                "target type multipath must appear alone in table");
    }

    @Test
    void anAlwaysWriteableTypeMayNotBeInAReadOnlyTable() {
        rejected("v", TestRequests.loadReadOnly("v", "0 1024 always-rw"), Errno.EINVAL,
                "may not be included in a read-only table");
        // Read-write it is fine.
        load("v", "0 1024 always-rw");
    }

    @Test
    void anImmutableTypeCannotBeMixedWithOtherTypes() {
        rejected("0 1024 immutable-t\n1024 1024 zero", Errno.EINVAL,
                "immutable target type cannot be mixed with other target types");
        rejected("0 1024 zero\n1024 1024 immutable-t", Errno.EINVAL,
                "immutable target type cannot be mixed with other target types");
        load("v", "0 1024 immutable-t\n1024 1024 immutable-t");
    }

    @Test
    void requestBasedAndBioBasedTargetsCannotBeMixedAndRequestBasedTablesHaveOneTarget() {
        create("r");
        rejected("r", TestRequests.load("r", "0 1024 rq\n1024 1024 zero"), Errno.EINVAL,
                "different target types can't be mixed up");
        rejected("r", TestRequests.load("r", "0 1024 rq\n1024 1024 rq"), Errno.EINVAL,
                "request-based target devices only support 1 target");
    }

    @Test
    void theDeviceTypeCannotChangeAfterTheFirstLoad() {
        rejected("0 2048 " + multipath(loop0), Errno.EINVAL,
                "can't change device type (from bio-based to request-based) after initial table load");
        create("r");
        load("r", "0 2048 " + multipath(loop0));
        rejected("r", TestRequests.load("r", "0 1024 zero"), Errno.EINVAL,
                "can't change device type (from request-based to bio-based) after initial table load");
    }

    @Test
    void anUnderlyingDeviceTooSmallForItsTargetIsEinval() {
        rejected("0 4097 linear " + loop0 + " 0", Errno.EINVAL, "too small for target");
        rejected("0 1024 linear " + loop1 + " 1025", Errno.EINVAL, "too small for target");
    }

    @Test
    void aMissingUnderlyingDeviceIsTheLookupsErrno() {
        rejected("0 1024 linear /dev/loop9 0", Errno.ENXIO, "/dev/loop9 is not attached");
        rejected("0 1024 linear /dev/nosuchdisk 0", Errno.ENOENT, "no such device");
        rejected("0 1024 linear /dev/mapper/nobody 0", Errno.ENOENT, "no such device");
    }

    @Test
    void aConstructorErrorAfterEarlierLinesReleasesWhatTheyTook() {
        // Line 1 opens loop1 and line 2 takes dm-zero before line 3's constructor fails.
        rejected("0 1024 linear " + loop1 + " 0\n1024 1024 zero\n2048 1024 linear " + loop0, Errno.EINVAL,
                "Invalid argument count");
        rejected("0 1024 linear " + loop1 + " 0\n1024 1024 zero\n2048 1024 linear /dev/loop9 0", Errno.ENXIO,
                "/dev/loop9");
    }

    // ------------------------------------------------------------------ the kernel's order

    @Test
    void aZeroLengthIsFoundBeforeTheTypeIsLookedUp() {
        rejected("0 0 nosuchtype", Errno.EINVAL, "zero-length target");
        rejected("0 1024 zero\n1024 0 nosuchtype", Errno.EINVAL, "zero-length target");
        assertEquals(0, gate.count(Step.REQUEST_MODULE, "dm-nosuchtype"));
    }

    @Test
    void anUnknownTypeIsFoundBeforeAGapAndAGapBeforeTheConstructor() {
        rejected("100 1024 nosuchtype", Errno.EINVAL, "unknown target type");
        rejected("0 1024 zero\n4096 1024 linear /dev/loop9 0", Errno.EINVAL, "Gap in table");
    }

    @Test
    void aLineAfterASingletonIsRefusedBeforeItsLengthOrTypeIsLookedAt() {
        // dm_table_add_target's first check: the table already holds a singleton target.
        rejected("0 2048 " + multipath(loop0) + "\n2048 0 zero", Errno.EINVAL,
                "target type multipath must appear alone in table");
        rejected("0 2048 " + multipath(loop0) + "\n2048 1024 flakey " + loop0 + " 0 1 1", Errno.EINVAL,
                "target type multipath must appear alone in table");
        assertEquals(0, gate.count(Step.REQUEST_MODULE, "dm-flakey"), "the second line's type is never looked up");
        assertEquals(-1, CoreInvariants.refcount(dm, "dm_flakey"), "so dm-flakey is not autoloaded");
    }

    @Test
    void theReadOnlyRuleIsCheckedBeforeTheImmutableRule() {
        rejected("v", TestRequests.loadReadOnly("v", "0 1024 immutable-t\n1024 1024 always-rw"), Errno.EINVAL,
                "may not be included in a read-only table");
    }

    @Test
    void theImmutableReplacementRuleIsCheckedBeforeTheDeviceType() {
        create("mp");
        load("mp", "0 2048 " + multipath(loop0));
        Outcome.of(() -> dm.devSuspend(TestRequests.resume("mp"))).value();
        rejected("mp", TestRequests.load("mp", "0 1024 zero"), Errno.EINVAL,
                "can't replace immutable target type multipath");
    }

    // ------------------------------------------------------------------ accepted tables

    @Test
    void theWildcardErrorTargetMayReplaceALiveMultipathTable() {
        create("mp");
        load("mp", "0 2048 " + multipath(loop0));
        Outcome.of(() -> dm.devSuspend(TestRequests.resume("mp"))).value();
        // dmsetup wipe_table: error is a hybrid target and takes the device's request-based type.
        DeviceInfo staged = Outcome.of(() -> dm.tableLoad(TestRequests.load("mp", "0 2048 error"))).value();
        assertTrue(staged.flags().contains(DmFlag.INACTIVE_PRESENT));
        Outcome.of(() -> dm.devSuspend(TestRequests.resume("mp"))).value();
        assertEquals(List.of(new TargetLine(0, 2048, "error", "")),
                Outcome.of(() -> dm.tableStatus(TestRequests.tableText("mp"))).value().targets());
        assertEquals(0, TestLoops.openCount(dm, loop0) - 1, "only v's live table still holds loop0");
        // The device stays request-based: two error targets are one too many for it.
        rejected("mp", TestRequests.load("mp", "0 1024 error\n1024 1024 error"), Errno.EINVAL,
                "request-based target devices only support 1 target");
    }

    @Test
    void anErrorTableOnANewDeviceMakesItBioBased() {
        create("e");
        load("e", "0 1024 error");
        load("e", "0 1024 zero");
        rejected("e", TestRequests.load("e", "0 2048 " + multipath(loop0)), Errno.EINVAL,
                "can't change device type (from bio-based to request-based)");
    }

    @Test
    void aRejectedFirstLoadRegistersNoDiskAndEmitsNoUevent() {
        create("fresh");
        rejected("fresh", TestRequests.load("fresh", "0 1024 zero\n2048 8 zero"), Errno.EINVAL, "Gap in table");
        assertFalse(dm.minors().snapshot().stream().filter(d -> d.diskName().equals("dm-1")).findFirst().orElseThrow()
                .diskAdded());
        load("fresh", "0 1024 zero");
        recorder.sync();
        assertEquals(1, recorder.blockUevents().stream().filter(u -> u.env().get("DM_NAME").equals("fresh")).count());
    }

    @Test
    void theStatusOfTheStagedTableReportsItsOwnTargetCountAndReadOnlyFlag() {
        Outcome.of(() -> dm.tableLoad(TestRequests.loadReadOnly("v", "0 8 zero\n8 8 zero\n16 8 zero"))).value();
        DeviceInfo inactive = Outcome.of(() -> dm.devStatus(TestRequests.statusInactive("v"))).value();
        assertEquals(3, inactive.targetCount());
        assertTrue(inactive.flags().containsAll(EnumSet.of(DmFlag.READONLY, DmFlag.INACTIVE_PRESENT)));
        DeviceInfo live = status("v").value();
        assertEquals(2, live.targetCount());
        assertFalse(live.flags().contains(DmFlag.READONLY));
    }
}

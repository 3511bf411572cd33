package org.dmd.core.control;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.dmd.core.concurrent.Step;
import org.dmd.core.control.Replies.DeviceInfo;
import org.dmd.core.control.Replies.Removed;
import org.dmd.core.control.Replies.TargetLine;
import org.dmd.core.device.OpenDevice;
import org.dmd.core.errno.Errno;
import org.dmd.core.event.UeventAction;
import org.dmd.core.testing.Async;
import org.dmd.core.testing.CoreInvariants;
import org.dmd.core.testing.EventRecorder;
import org.dmd.core.testing.GatedDeviceMapperTest;
import org.dmd.core.testing.Outcome;
import org.dmd.core.testing.Parked;
import org.dmd.core.testing.StepGate;
import org.dmd.core.testing.TestLoops;
import org.dmd.core.testing.TestRequests;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mapped devices stacked on loop devices and on each other (dm-table.c: dm_get_device,
 * bd_link_disk_holder): the ways a table names a device, TABLE_DEPS order, open counts shared by a
 * device's live and staged tables, dmd's rejection of every dependency cycle (also when two loads
 * race to close one), EBUSY for held devices, and deferred removal completed by the release.
 */
class StackingTest extends GatedDeviceMapperTest {

    @TempDir
    Path backing;

    private String loop0;
    private String loop1;
    private String loop2;

    /** Creates loop0..2 (4096 sectors each) and "low" (minor 0): linear over loop0, live. */
    @BeforeEach
    void setUp() {
        TestLoops loops = new TestLoops(backing);
        loop0 = loops.attach(dm, 4096);
        loop1 = loops.attach(dm, 4096);
        loop2 = loops.attach(dm, 4096);
        live("low", "0 4096 linear " + loop0 + " 0");
    }

    private void live(String device, String table) {
        if (Outcome.of(() -> dm.devStatus(TestRequests.status(device))).errno() == Errno.ENXIO) {
            create(device);
        }
        load(device, table);
        resume(device);
    }

    private void load(String device, String table) {
        Outcome.of(() -> dm.tableLoad(TestRequests.load(device, table))).value();
    }

    private Outcome<DeviceInfo> tryLoad(String device, String table) {
        return Outcome.of(() -> dm.tableLoad(TestRequests.load(device, table)));
    }

    private void resume(String device) {
        Outcome.of(() -> dm.devSuspend(TestRequests.resume(device))).value();
    }

    private Outcome<Removed> remove(String device) {
        return Outcome.of(() -> dm.devRemove(TestRequests.remove(device)));
    }

    /** Waits for the deferred removals a table's release queued to the deferred-remove worker. */
    private void awaitNames(List<String> expected) {
        await().atMost(StepGate.TIMEOUT).pollInterval(Duration.ofMillis(1)).until(this::names, expected::equals);
    }

    private int openCount(String device) {
        return status(device).value().openCount();
    }

    private List<String> deps(String device) {
        return Outcome.of(() -> dm.tableDeps(TestRequests.deps(device))).value().devices();
    }

    private List<String> depsInactive(String device) {
        return Outcome.of(() -> dm.tableDeps(TestRequests.depsInactive(device))).value().devices();
    }

    private List<TargetLine> table(String device) {
        return Outcome.of(() -> dm.tableStatus(TestRequests.tableText(device))).value().targets();
    }

    // ------------------------------------------------------------------ naming underlying devices

    @Test
    void everyWayOfNamingAMappedDeviceResolvesToItsNumber() {
        List<String> forms = List.of("/dev/mapper/low", "/dev/dm-0", dev(0));
        for (int i = 0; i < forms.size(); i++) {
            String upper = "up" + i;
            live(upper, "0 1024 linear " + forms.get(i) + " 8");
            assertEquals(List.of(new TargetLine(0, 1024, "linear", dev(0) + " 8")), table(upper), forms.get(i));
            assertEquals(List.of(dev(0)), deps(upper));
        }
        assertEquals(3, openCount("low"), "one open per upper device");
        assertEquals(1, TestLoops.openCount(dm, loop0), "loop0 is held by low only");
    }

    @Test
    void everyWayOfNamingALoopDeviceResolvesToItsNumber() {
        String number = TestLoops.number(dm, loop1);
        assertEquals("7:1", number);
        live("a", "0 1024 linear " + loop1 + " 0");
        live("b", "0 1024 linear 7:1 0");
        assertEquals(List.of(new TargetLine(0, 1024, "linear", "7:1 0")), table("a"));
        assertEquals(table("a"), table("b"));
        assertEquals(2, TestLoops.openCount(dm, loop1));
    }

    @Test
    void namesThatDoNotNameABlockDeviceAreRefused() {
        create("up");
        assertEquals(Errno.ENOENT, tryLoad("up", "0 8 linear /dev/dm-7 0").errno());
        assertEquals(Errno.ENOENT, tryLoad("up", "0 8 linear /dev/mapper/nobody 0").errno());
        assertEquals(Errno.ENOTBLK, tryLoad("up", "0 8 linear /dev/mapper/control 0").errno());
        assertEquals(Errno.ENXIO, tryLoad("up", "0 8 linear " + dev(99) + " 0").errno());
        assertEquals(Errno.ENXIO, tryLoad("up", "0 8 linear 7:9 0").errno());
        assertEquals(Errno.ENOENT, tryLoad("up", "0 8 linear not-a-device 0").errno());
        CoreInvariants.assertSettled(dm);
        assertEquals(0, openCount("low"));
    }

    @Test
    void aMappedDeviceWithoutATableHasNoBlockDeviceToStackOn() {
        create("empty"); // minor 1: no table, so no disk, no /dev/dm-1 and no /dev/mapper/empty node
        create("up");
        assertEquals(Errno.ENOENT, tryLoad("up", "0 8 linear /dev/dm-1 0").errno());
        assertEquals(Errno.ENOENT, tryLoad("up", "0 8 linear /dev/mapper/empty 0").errno());
        Outcome<DeviceInfo> byNumber = tryLoad("up", "0 8 linear " + dev(1) + " 0");
        assertEquals(Errno.ENXIO, byNumber.errno(), "blkdev_get_by_dev finds no disk: " + byNumber);
        assertEquals(0, openCount("empty"));
        assertEquals(1, dm.tableDevices().holders(), "only low's table holds a device");

        // Its first table load registers the disk, of size 0 until a table is live.
        load("empty", "0 64 zero");
        Outcome<DeviceInfo> sizeZero = tryLoad("up", "0 8 linear /dev/mapper/empty 0");
        sizeZero.assertFailed(Errno.EINVAL, "too small for target");
        resume("empty");
        live("up", "0 8 linear /dev/mapper/empty 0");
        assertEquals(1, openCount("empty"));
    }

    // ------------------------------------------------------------------ deps and open counts

    @Test
    void depsListTheDistinctDevicesInReverseOrderOfFirstReference() {
        live("multi", String.join("\n",
                "0 100 linear " + loop1 + " 0",
                "100 100 linear " + loop0 + " 0",
                "200 100 linear " + loop1 + " 100",
                "300 256 striped 2 8 " + loop2 + " 0 /dev/mapper/low 0"));
        assertEquals(List.of(dev(0), "7:2", "7:0", "7:1"), deps("multi"));
        assertEquals(1, TestLoops.openCount(dm, loop1), "referenced twice, opened once");
        create("bare");
        assertEquals(List.of(), deps("bare"), "no table, no dependencies");
    }

    @Test
    void depsOfTheStagedTableAreItsOwn() {
        live("up", "0 100 linear " + loop1 + " 0");
        load("up", "0 100 linear " + loop2 + " 0\n100 100 linear /dev/mapper/low 0");
        assertEquals(List.of("7:1"), deps("up"));
        assertEquals(List.of(dev(0), "7:2"), depsInactive("up"));
        create("bare");
        assertEquals(List.of(), depsInactive("bare"));
    }

    @Test
    void aLowerDeviceIsOpenedOncePerUpperDeviceSharedByItsLiveAndStagedTables() {
        live("up", "0 1024 linear /dev/mapper/low 0");
        load("up", "0 2048 linear /dev/mapper/low 1024");
        assertEquals(1, openCount("low"), "live and staged tables of up share one open");
        live("up2", "0 512 linear /dev/mapper/low 0");
        assertEquals(2, openCount("low"));

        resume("up"); // the staged table goes live, the old live table is destroyed
        assertEquals(2, openCount("low"));
        load("up", "0 1024 linear " + loop1 + " 0");
        assertEquals(2, openCount("low"), "the live table still holds low");
        resume("up");
        assertEquals(1, openCount("low"), "up's tables no longer reference low");
        assertTrue(remove("up2").ok());
        assertEquals(0, openCount("low"));
        assertEquals(1, TestLoops.openCount(dm, loop1));

        assertTrue(remove("up").ok());
        assertTrue(remove("low").ok());
        CoreInvariants.assertQuiescent(dm);
        CoreInvariants.assertNoTableHolds(dm);
    }

    @Test
    void clearingTheStagedTableReleasesWhatOnlyItHeld() {
        live("up", "0 1024 linear " + loop1 + " 0");
        load("up", "0 1024 linear /dev/mapper/low 0");
        assertEquals(1, openCount("low"));
        Outcome.of(() -> dm.tableClear(TestRequests.clear("up"))).value();
        assertEquals(0, openCount("low"));
        assertEquals(1, TestLoops.openCount(dm, loop1), "the live table keeps its device");
    }

    // ------------------------------------------------------------------ cycles

    @Test
    void aTableNamingItsOwnDeviceIsEinval() {
        for (String self : List.of("/dev/mapper/low", "/dev/dm-0", dev(0))) {
            Outcome<DeviceInfo> outcome = tryLoad("low", "0 8 linear " + self + " 0");
            assertEquals(Errno.EINVAL, outcome.errno(), self);
            assertTrue(outcome.message().contains("references its own device"), outcome.message());
        }
        assertEquals(0, openCount("low"));
    }

    @Test
    void aTableClosingATwoDeviceCycleIsEinvalNamingTheCycle() {
        live("a", "0 1024 linear /dev/mapper/low 0");
        // low's staged table over a would make low -> a -> low.
        Outcome<DeviceInfo> outcome = tryLoad("low", "0 512 linear /dev/mapper/a 0");
        assertEquals(Errno.EINVAL, outcome.errno());
        assertTrue(outcome.message().contains(dev(0) + " -> " + dev(1) + " -> " + dev(0)), outcome.message());
        assertEquals(0, openCount("a"));
        assertFalse(status("low").value().flags().contains(DmFlag.INACTIVE_PRESENT));
    }

    @Test
    void aStagedTableCountsAsAnEdgeOfTheGraph() {
        live("a", "0 2048 linear " + loop1 + " 0");
        load("a", "0 1024 linear /dev/mapper/low 0"); // staged only
        Outcome<DeviceInfo> outcome = tryLoad("low", "0 512 linear /dev/mapper/a 0");
        assertEquals(Errno.EINVAL, outcome.errno(), "a's staged table already depends on low");
        Outcome.of(() -> dm.tableClear(TestRequests.clear("a"))).value();
        assertTrue(tryLoad("low", "0 512 linear /dev/mapper/a 0").ok(), "once cleared there is no cycle");
    }

    @Test
    void aTableClosingAThreeDeviceCycleIsEinvalNamingTheCycle() {
        live("b", "0 2048 linear /dev/mapper/low 0");
        live("c", "0 1024 linear /dev/mapper/b 0");
        Outcome<DeviceInfo> outcome = tryLoad("low", "0 256 linear /dev/mapper/c 0");
        assertEquals(Errno.EINVAL, outcome.errno());
        assertTrue(outcome.message().contains(dev(0) + " -> " + dev(2) + " -> " + dev(1) + " -> " + dev(0)),
                outcome.message());
        assertEquals(List.of(), depsInactive("low"));
        assertEquals(0, openCount("c"));
    }

    @Test
    void ofTwoConcurrentLoadsThatWouldCloseACycleExactlyOneFails() {
        live("a", "0 2048 linear " + loop1 + " 0");
        // Both loads have taken their target type and are about to open their device.
        StepGate.Parking first = gate.park(Step.TYPE_TAKEN, "linear");
        StepGate.Parking second = gate.park(Step.TYPE_TAKEN, "linear");
        Async<DeviceInfo> lowOverA = Async.start("low over a", () -> dm.tableLoad(
                TestRequests.load("low", "0 1024 linear /dev/mapper/a 0")));
        first.awaitArrival();
        Async<DeviceInfo> aOverLow = Async.start("a over low", () -> dm.tableLoad(
                TestRequests.load("a", "0 1024 linear /dev/mapper/low 0")));
        second.awaitArrival();

        // The one let go first wins; the other finds the edge it would close a cycle with.
        second.release();
        assertTrue(aOverLow.await().ok());
        first.release();
        Outcome<DeviceInfo> loser = lowOverA.await();
        loser.assertFailed(Errno.EINVAL, "dependency cycle");
        assertEquals(1, openCount("low"));
        assertEquals(0, openCount("a"));
        assertEquals(List.of(), depsInactive("low"));
    }

    // ------------------------------------------------------------------ remove vs an upper load (dm_lock_for_deletion)

    @Test
    void whenTheRemoveSetsDeletingFirstTheUpperLoadFailsEnxio() {
        create("up");
        // The upper load is about to open low: parked with no lock held, so the removal of low
        // (which tears low's own table down through the same table-devices map) goes through.
        Parked<DeviceInfo> load = Parked.start(gate.park(Step.OPEN_BEFORE_GUARD, 0), "load up",
                () -> dm.tableLoad(TestRequests.load("up", "0 1024 linear /dev/mapper/low 0")));
        assertTrue(remove("low").ok(), "nothing holds low open yet");

        Outcome<DeviceInfo> outcome = load.finish();
        assertEquals(Errno.ENXIO, outcome.errno(), outcome::toString);
        assertEquals(List.of("up"), names());
        assertEquals(0, TestLoops.openCount(dm, loop0));
        assertEquals(0, dm.tableDevices().holders());
    }

    @Test
    void whenTheUpperLoadOpensFirstTheRemoveIsEbusy() {
        create("up");
        StepGate.Parking built = gate.park(Step.LOAD_TABLE_BUILT, "up");
        Async<DeviceInfo> load = Async.start("load up", () -> dm.tableLoad(
                TestRequests.load("up", "0 1024 linear /dev/mapper/low 0")));
        built.awaitArrival();
        assertEquals(Errno.EBUSY, remove("low").errno(), "the table being built holds low open");
        built.release();
        assertTrue(load.await().ok());
        assertEquals(1, openCount("low"));
    }

    // ------------------------------------------------------------------ held devices

    @Test
    void aHeldDeviceCannotBeRemovedAndAHeldLoopCannotBeDetached() {
        live("up", "0 1024 linear /dev/mapper/low 0");
        Outcome<Removed> busy = remove("low");
        assertEquals(Errno.EBUSY, busy.errno());
        Outcome<Replies.Done> detach = Outcome.of(() -> dm.loopDetach(TestRequests.loopDetach(loop0)));
        detach.assertFailed(Errno.EBUSY, "in use");
        CoreInvariants.assertSettled(dm);

        assertTrue(remove("up").ok());
        assertTrue(remove("low").ok());
        assertTrue(Outcome.of(() -> dm.loopDetach(TestRequests.loopDetach(loop0))).ok());
        assertEquals(Errno.ENXIO, Outcome.of(() -> dm.loopDetach(TestRequests.loopDetach(loop0))).errno());
        CoreInvariants.assertQuiescent(dm);
    }

    @Test
    void aDeferredRemoveOfALowerDeviceCompletesWhenTheUpperDeviceIsRemoved() throws Exception {
        try (EventRecorder recorder = EventRecorder.on(dm)) {
            live("up", "0 1024 linear /dev/mapper/low 0");
            Removed deferred = Outcome.of(() -> dm.devRemove(TestRequests.removeDeferred("low"))).value();
            assertTrue(deferred.flags().contains(DmFlag.DEFERRED_REMOVE), "the removal was deferred");
            assertTrue(status("low").value().flags().contains(DmFlag.DEFERRED_REMOVE));
            assertEquals(List.of("low", "up"), names());

            assertTrue(remove("up").ok()); // its table's release is low's last close
            awaitNames(List.of());
            recorder.sync();
            List<String> removed = recorder.blockUevents().stream().filter(u -> u.action() == UeventAction.REMOVE)
                    .map(u -> u.env().get("DM_NAME")).sorted().toList();
            assertEquals(List.of("low", "up"), removed, "one REMOVE uevent each");
            CoreInvariants.assertQuiescent(dm);
            CoreInvariants.assertNoTableHolds(dm);
        }
    }

    @Test
    void aDeferredRemovalRunByACommandNeverWaitsForTheCommandsOwnDevice() {
        live("t", "0 1024 linear " + loop1 + " 0"); // minor 1
        OpenDevice tOpen = open("t");
        assertTrue(Outcome.of(() -> dm.devRemove(TestRequests.removeDeferred("t"))).ok());

        // A load into t (holding a reference on t) has opened low for its first line and is at
        // its second; low is then marked for deferred removal, so the load holds its last open.
        StepGate.Parking secondLine = gate.park(Step.TYPE_TAKEN, "zero");
        Async<DeviceInfo> load = Async.start("load t", () -> dm.tableLoad(TestRequests.load("t",
                "0 64 linear /dev/mapper/low 0\n64 64 zero\n200 8 zero")));
        secondLine.awaitArrival();
        assertTrue(Outcome.of(() -> dm.devRemove(TestRequests.removeDeferred("low"))).ok());

        // t's own last close happens and is about to remove t: t is marked and unopened.
        StepGate.Parking tDue = gate.park(Step.CLOSE_DEFERRED_REMOVE, 1);
        Async<Void> closer = Async.start("close t", () -> {
            tOpen.close();
            return null;
        });
        tDue.awaitArrival();

        // The load fails (gap on line 3) and releases low: low's last close removes low. It must
        // not also take on t, whose removal would wait for the load's own reference on t.
        secondLine.release();
        Outcome<DeviceInfo> failed = load.await();
        failed.assertFailed(Errno.EINVAL, "Gap in table");
        awaitNames(List.of("t")); // low was removed after its last close, t is still due

        tDue.release();
        assertTrue(closer.await().ok());
        assertEquals(List.of(), names(), "t was removed by its own last close");
        CoreInvariants.assertQuiescent(dm);
        CoreInvariants.assertNoTableHolds(dm);
    }

    @Test
    void removalsMadeDueByTwoCommandsTablesNeverWaitForEachOthersDevice() {
        // x over a over y, with a and y marked for deferred removal (each held by the table above).
        live("y", "0 1024 linear " + loop1 + " 0");
        live("a", "0 512 linear /dev/mapper/y 0");
        live("x", "0 256 linear /dev/mapper/a 0");
        assertTrue(Outcome.of(() -> dm.devRemove(TestRequests.removeDeferred("a"))).ok());
        assertTrue(Outcome.of(() -> dm.devRemove(TestRequests.removeDeferred("y"))).ok());

        // A resume of x (a reference on x) swaps x's table over a out: a's removal is due. It is
        // held just after a was unhashed, before a's own table (over y) goes.
        load("x", "0 256 linear " + loop2 + " 0");
        Parked<DeviceInfo> resumeX = Parked.start(gate.park(Step.REMOVE_UNHASHED, "a"), "resume x",
                () -> dm.devSuspend(TestRequests.resume("x")));

        // Now y stages a table over x, and x is marked too; a clear of y (a reference on y)
        // releases it, making x's removal due. The clear must not wait for that removal: x is
        // pinned by the resume's reference, and the resume's own release chain goes on to y.
        load("y", "0 128 linear /dev/mapper/x 0");
        assertTrue(Outcome.of(() -> dm.devRemove(TestRequests.removeDeferred("x"))).ok());
        Outcome<DeviceInfo> clearY = Async.start("clear y", () -> dm.tableClear(TestRequests.clear("y"))).await();
        assertTrue(clearY.ok(), clearY::toString);

        // a's removal goes on and releases y, making y's removal due; then x's and y's go.
        assertTrue(resumeX.finish().ok());
        awaitNames(List.of("low"));
        CoreInvariants.assertSettled(dm);
        assertEquals(1, dm.tableDevices().holders(), "only low's table holds a device");
    }

    @Test
    void aDeferredRemoveCompletesWhenTheReferencingTableIsSwappedOutOrCleared() {
        live("up", "0 1024 linear /dev/mapper/low 0");
        live("b", "0 1024 linear " + loop2 + " 0");
        load("b", "0 1024 linear /dev/mapper/low 0");
        assertEquals(2, openCount("low"));
        assertTrue(Outcome.of(() -> dm.devRemove(TestRequests.removeDeferred("low"))).ok());

        load("up", "0 1024 linear " + loop1 + " 0");
        resume("up"); // up's old table, the one over low, is destroyed
        assertEquals(List.of("b", "low", "up"), names(), "b's staged table still holds low");
        Outcome.of(() -> dm.tableClear(TestRequests.clear("b"))).value();
        awaitNames(List.of("b", "up")); // the last close removed low
        CoreInvariants.assertSettled(dm);
    }
}

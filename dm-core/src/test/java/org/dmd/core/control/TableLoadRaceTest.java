package org.dmd.core.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.dmd.core.concurrent.Step;
import org.dmd.core.control.Replies.DeviceInfo;
import org.dmd.core.control.Replies.Removed;
import org.dmd.core.control.Replies.TableLines;
import org.dmd.core.control.Replies.TargetLine;
import org.dmd.core.errno.Errno;
import org.dmd.core.event.Uevent;
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
 * dm-ioctl.c: table_load vs do_resume, table_clear and dev_remove (the hc->new_map races), each interleaving forced at named steps: concurrent loads vs
 * resume (last writer wins; resume takes exactly the table in the slot), clear vs resume, load vs
 * remove, concurrent first loads, readers of the staged table vs its destruction, and DEV_WAIT
 * waiters woken by a removal or by a target's own event.
 */
class TableLoadRaceTest extends GatedDeviceMapperTest {

    @TempDir
    Path backing;

    private EventRecorder recorder;
    private String loop0;
    private String loop1;

    @BeforeEach
    void setUp() {
        TestLoops loops = new TestLoops(backing);
        loop0 = loops.attach(dm, 4096);
        loop1 = loops.attach(dm, 4096);
        recorder = recordEvents();
        create("d");
    }

    private String overLoop0() {
        return "0 1024 linear " + loop0 + " 0";
    }

    private String overLoop1() {
        return "0 2048 linear " + loop1 + " 0";
    }

    private Async<DeviceInfo> load(String name, String table) {
        return Async.start("load " + name, () -> dm.tableLoad(TestRequests.load(name, table)));
    }

    private void loadNow(String name, String table) {
        Outcome.of(() -> dm.tableLoad(TestRequests.load(name, table))).value();
    }

    private Async<DeviceInfo> resume(String name) {
        return Async.start("resume " + name, () -> dm.devSuspend(TestRequests.resume(name)));
    }

    /** A resume of d parked once it has taken the staged table out of its slot. */
    private Parked<DeviceInfo> resumeHoldingTheStagedTable() {
        return Parked.start(gate.park(Step.RESUME_TABLE_TAKEN, "d"), "resume d",
                () -> dm.devSuspend(TestRequests.resume("d")));
    }

    private List<TargetLine> live(String name) {
        return Outcome.of(() -> dm.tableStatus(TestRequests.tableText(name))).value().targets();
    }

    private List<TargetLine> staged(String name) {
        return Outcome.of(() -> dm.tableStatus(TestRequests.tableTextInactive(name))).value().targets();
    }

    private static List<TargetLine> linear(long length, String device) {
        return List.of(new TargetLine(0, length, "linear", device + " 0"));
    }

    private int loopOpens(String loop) {
        return TestLoops.openCount(dm, loop);
    }

    private List<Uevent> blockUevents(String name) {
        recorder.sync();
        return recorder.blockUevents().stream().filter(u -> name.equals(u.env().get("DM_NAME"))).toList();
    }

    // ------------------------------------------------------------------ loads vs resume

    @Test
    void ofTwoConcurrentLoadsTheLastToStageWinsAndTheLosersDevicesAndModulesAreReleased() {
        StepGate.Parking first = gate.park(Step.LOAD_TABLE_BUILT, "d");
        StepGate.Parking second = gate.park(Step.LOAD_TABLE_BUILT, "d");
        Async<DeviceInfo> overLoop0 = load("d", overLoop0());
        first.awaitArrival();
        Async<DeviceInfo> zero = load("d", "0 2048 zero");
        second.awaitArrival();
        assertEquals(1, loopOpens(loop0), "both tables are fully built");
        assertEquals(1, CoreInvariants.refcount(dm, "dm_zero"));

        second.release();
        zero.await().value();
        first.release();
        overLoop0.await().value(); // stages last: displaces the zero table, which is destroyed

        assertEquals(linear(1024, "7:0"), staged("d"));
        assertEquals(0, CoreInvariants.refcount(dm, "dm_zero"), "the loser's module reference was dropped");
        resume("d").await().value();
        assertEquals(linear(1024, "7:0"), live("d"));
        assertFalse(status("d").value().flags().contains(DmFlag.INACTIVE_PRESENT));
        assertEquals(1, loopOpens(loop0));
        CoreInvariants.assertSettled(dm);
    }

    @Test
    void resumeActivatesTheTableInTheSlotWhenItTakesItAndALaterLoadStaysStaged() {
        loadNow("d", overLoop0());
        Parked<DeviceInfo> resume = resumeHoldingTheStagedTable();
        assertFalse(status("d").value().flags().contains(DmFlag.INACTIVE_PRESENT), "the slot is empty");

        load("d", overLoop1()).await().value(); // finishes while the resume holds the taken table
        DeviceInfo resumed = resume.finish().value();
        assertTrue(resumed.flags().contains(DmFlag.ACTIVE_PRESENT));

        assertEquals(linear(1024, "7:0"), live("d"), "exactly the table the resume took");
        assertEquals(linear(2048, "7:1"), staged("d"), "the later load waits for the next resume");
        assertEquals(1, loopOpens(loop0));
        assertEquals(1, loopOpens(loop1));

        resume("d").await().value();
        assertEquals(linear(2048, "7:1"), live("d"));
        assertEquals(0, loopOpens(loop0), "the old live table was destroyed at the swap");
    }

    @Test
    void aLoadDisplacingTheStagedTableWhileResumeHoldsTheOtherOneDestroysNeitherLiveNorTaken() {
        loadNow("d", overLoop0());
        resume("d").await().value();
        loadNow("d", overLoop1());
        Parked<DeviceInfo> resume = resumeHoldingTheStagedTable();
        loadNow("d", "0 512 zero"); // slot was empty: nothing displaced
        assertEquals(1, loopOpens(loop1), "the taken table is alive in the resumer's hands");
        resume.finish().value();
        assertEquals(linear(2048, "7:1"), live("d"));
        assertEquals(0, loopOpens(loop0));
        assertEquals(List.of(new TargetLine(0, 512, "zero", "")), staged("d"));
    }

    // ------------------------------------------------------------------ clear vs resume

    @Test
    void aClearAfterResumeTookTheTableHasNothingToClear() {
        loadNow("d", overLoop0());
        Parked<DeviceInfo> resume = resumeHoldingTheStagedTable();
        DeviceInfo cleared = Outcome.of(() -> dm.tableClear(TestRequests.clear("d"))).value();
        assertFalse(cleared.flags().contains(DmFlag.INACTIVE_PRESENT));
        resume.finish().value();
        assertEquals(linear(1024, "7:0"), live("d"), "the clear could not touch the table being activated");
        assertEquals(1, loopOpens(loop0));
    }

    @Test
    void aResumeAfterClearFoundTheDeviceActivatesTheTableAndTheClearFindsTheSlotEmpty() {
        loadNow("d", overLoop0());
        StepGate.Parking found = gate.park(Step.CLEAR_FOUND, "d");
        Async<DeviceInfo> clear = Async.start("clear d", () -> dm.tableClear(TestRequests.clear("d")));
        found.awaitArrival();
        resume("d").await().value();
        found.release();
        assertFalse(clear.await().value().flags().contains(DmFlag.INACTIVE_PRESENT));
        assertEquals(linear(1024, "7:0"), live("d"));
        assertEquals(1, loopOpens(loop0), "the live table was not destroyed by the clear");
    }

    @Test
    void aClearBeforeResumeTakesTheTableLeavesResumeANoOp() {
        loadNow("d", overLoop0());
        Parked<DeviceInfo> clear = Parked.start(gate.park(Step.CLEAR_FOUND, "d"), "clear d",
                () -> dm.tableClear(TestRequests.clear("d")));
        clear.finish().value();
        DeviceInfo resumed = resume("d").await().value();
        assertFalse(resumed.flags().contains(DmFlag.ACTIVE_PRESENT), "nothing was staged any more");
        assertEquals(0, loopOpens(loop0));
    }

    // ------------------------------------------------------------------ load vs remove

    @Test
    void aLoadFinishingAfterTheDeviceWasRemovedFailsEnxioAndReleasesEverything() {
        StepGate.Parking built = gate.park(Step.LOAD_TABLE_BUILT, "d");
        Async<DeviceInfo> load = load("d", overLoop0() + "\n1024 1024 zero");
        built.awaitArrival();
        assertEquals(1, loopOpens(loop0));
        assertEquals(1, CoreInvariants.refcount(dm, "dm_zero"));

        Async<Removed> remove = Async.start("remove d", () -> dm.devRemove(TestRequests.remove("d")));
        remove.awaitBlockedIn("awaitRelease"); // unhashed; waits for the load's reference
        assertEquals(List.of(), names());
        built.release();

        Outcome<DeviceInfo> loaded = load.await();
        assertEquals(Errno.ENXIO, loaded.errno(), loaded::toString);
        assertTrue(remove.await().ok());
        assertEquals(0, loopOpens(loop0));
        assertEquals(0, CoreInvariants.refcount(dm, "dm_zero"));
        CoreInvariants.assertQuiescent(dm);
        CoreInvariants.assertNoTableHolds(dm);
        // The load registered the disk before it found the device gone: its REMOVE comes last.
        assertEquals(List.of(UeventAction.ADD, UeventAction.REMOVE),
                blockUevents("d").stream().map(Uevent::action).toList());
    }

    @Test
    void concurrentFirstLoadsRegisterTheDiskExactlyOnce() {
        StepGate.Parking first = gate.park(Step.LOAD_TABLE_BUILT, "d");
        StepGate.Parking second = gate.park(Step.LOAD_TABLE_BUILT, "d");
        Async<DeviceInfo> a = load("d", overLoop0());
        Async<DeviceInfo> b = load("d", overLoop1());
        first.awaitArrival();
        second.awaitArrival();
        assertEquals(List.of(), blockUevents("d"), "no uevent before a load passes its checks");
        first.release();
        second.release();
        a.await().value();
        b.await().value();

        List<Uevent> uevents = blockUevents("d");
        assertEquals(1, uevents.size(), uevents::toString);
        assertEquals(UeventAction.ADD, uevents.get(0).action());
        assertEquals("dm-0", uevents.get(0).env().get("DEVNAME"));
        assertEquals(1, loopOpens(loop0) + loopOpens(loop1), "one table staged, the other destroyed");
    }

    // ------------------------------------------------------------------ readers of the staged table

    @Test
    void depsOfTheStagedTableNeverReadADestroyedTable() {
        loadNow("d", overLoop0());
        Parked<Replies.Deps> deps = Parked.start(gate.park(Step.TABLE_READER_ADMITTED, "d"), "deps d",
                () -> dm.tableDeps(TestRequests.depsInactive("d")));

        Async<DeviceInfo> displacing = load("d", overLoop1());
        displacing.awaitBlockedIn("destroy"); // the displaced table waits for its reader
        assertEquals(1, loopOpens(loop0), "not destroyed while read");

        assertEquals(List.of("7:0"), deps.finish().value().devices());
        displacing.await().value();
        assertEquals(0, loopOpens(loop0));
        assertEquals(linear(2048, "7:1"), staged("d"));
    }

    @Test
    void statusOfTheStagedTableNeverReadsATableDestroyedByClear() {
        loadNow("d", overLoop0());
        Parked<TableLines> table = Parked.start(gate.park(Step.TABLE_READER_ADMITTED, "d"), "table d",
                () -> dm.tableStatus(TestRequests.tableTextInactive("d")));

        Async<DeviceInfo> clear = Async.start("clear d", () -> dm.tableClear(TestRequests.clear("d")));
        clear.awaitBlockedIn("destroy");
        assertEquals(linear(1024, "7:0"), table.finish().value().targets());
        clear.await().value();
        assertEquals(0, loopOpens(loop0));
        assertEquals(List.of(), staged("d"));
    }

    @Test
    void aReaderArrivingAfterTheStagedTableWasTakenReadsNothing() {
        loadNow("d", overLoop0());
        Parked<DeviceInfo> resume = resumeHoldingTheStagedTable();
        assertEquals(List.of(), Outcome.of(() -> dm.tableDeps(TestRequests.depsInactive("d"))).value().devices());
        resume.finish().value();
        assertEquals(List.of("7:0"), Outcome.of(() -> dm.tableDeps(TestRequests.deps("d"))).value().devices());
    }

    // ------------------------------------------------------------------ DEV_WAIT

    @Test
    void aWaiterOnADeviceWithALiveTableIsWokenByItsRemovalAndCompletesNormally() throws Exception {
        loadNow("d", overLoop0());
        resume("d").await().value();
        assertEquals(0, status("d").value().eventNr());
        CompletableFuture<TableLines> waiter = Outcome.of(() -> dm.devWait(TestRequests.waitEvent("d", 0))).value();
        assertFalse(waiter.isDone());

        assertTrue(Outcome.of(() -> dm.devRemove(TestRequests.remove("d"))).ok());
        TableLines woken = waiter.get(StepGate.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        assertEquals(1, woken.device().eventNr(), "the unhash raised an event on the live table");
        assertEquals(List.of(new TargetLine(0, 1024, "linear", "")), woken.targets(), "status of the live table");
        CoreInvariants.assertQuiescent(dm);
        CoreInvariants.assertNoTableHolds(dm);
    }

    @Test
    void aFailPathMessageRaisesATargetEventThatWakesAWaiterAndBumpsTheEventNumber() throws Exception {
        loadNow("d", "0 4096 multipath 0 0 1 1 round-robin 0 2 1 " + loop0 + " 1 " + loop1 + " 1");
        resume("d").await().value();
        long before = status("d").value().eventNr();
        CompletableFuture<TableLines> waiter = Outcome.of(() -> dm.devWait(TestRequests.waitEvent("d", before)))
                .value();
        assertFalse(waiter.isDone());

        Outcome.of(() -> dm.targetMsg(TestRequests.message("d", 0, "fail_path " + loop0))).value();
        TableLines woken = waiter.get(StepGate.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        assertEquals(before + 1, woken.device().eventNr());
        assertTrue(woken.targets().get(0).text().contains("7:0 F 1"), woken.targets().get(0).text());
        assertEquals(before + 1, status("d").value().eventNr());

        // Failing it again changes nothing: no event.
        Outcome.of(() -> dm.targetMsg(TestRequests.message("d", 0, "fail_path 7:0"))).value();
        assertEquals(before + 1, status("d").value().eventNr());
    }
}

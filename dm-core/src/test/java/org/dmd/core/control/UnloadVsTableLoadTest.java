package org.dmd.core.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.dmd.core.concurrent.Step;
import org.dmd.core.control.Replies.DeviceInfo;
import org.dmd.core.control.Replies.TargetLine;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.dmd.core.module.ModulePolicy;
import org.dmd.core.testing.Async;
import org.dmd.core.testing.CoreInvariants;
import org.dmd.core.testing.GatedDeviceMapperTest;
import org.dmd.core.testing.Outcome;
import org.dmd.core.testing.Parked;
import org.dmd.core.testing.StepGate;
import org.dmd.core.testing.TestRequests;
import org.junit.jupiter.api.Test;

/**
 * dm-target.c: dm_get_target_type vs kernel/module/main.c: delete_module: {@code modprobe -r} / {@code rmmod} of a target module racing a table
 * load that needs its type, in both orders. Whoever goes first wins; never a table whose type
 * module has been freed.
 */
class UnloadVsTableLoadTest extends GatedDeviceMapperTest {

    private static final String MODULE = "dm_zero";
    private static final String TABLE = "0 1024 zero";

    private Async<DeviceInfo> loadZero(String device) {
        return Async.start("load " + device, () -> dm.tableLoad(TestRequests.load(device, TABLE)));
    }

    private Outcome<Replies.ModprobeDone> modprobeRemove() {
        return Outcome.of(() -> dm.modprobe(TestRequests.modprobeRemove("dm-zero")));
    }

    /** {@code rmmod dm-zero}. */
    private Outcome<Void> rmmod() {
        return Outcome.of(() -> {
            dm.modules().rmmod("dm-zero", false);
            return null;
        });
    }

    /** Starts {@code modprobe -r dm-zero} and returns once it is parked while dm_zero is GOING. */
    private Parked<Replies.ModprobeDone> unloadParkedWhileGoing() {
        return Parked.start(gate.park(Step.MODULE_GOING, MODULE), "modprobe -r",
                () -> dm.modprobe(TestRequests.modprobeRemove("dm-zero")));
    }

    private void modprobeZero() {
        Outcome.of(() -> dm.modprobe(TestRequests.modprobe("dm-zero"))).value();
        assertEquals(0, CoreInvariants.refcount(dm, MODULE));
    }

    @Test
    void whenTheTableTookItsTypeFirstTheUnloadIsRefusedInUseAndTheTableLoads() {
        modprobeZero();
        create("z");
        StepGate.Parking taken = gate.park(Step.TYPE_TAKEN, "zero");
        Async<DeviceInfo> load = loadZero("z");
        taken.awaitArrival();
        assertEquals(1, CoreInvariants.refcount(dm, MODULE), "the table under construction holds dm_zero");

        Outcome<Replies.ModprobeDone> remove = modprobeRemove();
        assertEquals(Errno.EBUSY, remove.errno());
        assertEquals("Module dm_zero is in use.", remove.message());
        Outcome<Void> rmmod = rmmod();
        assertEquals(Errno.EBUSY, rmmod.errno());
        assertEquals("Module dm_zero is in use", rmmod.message());
        assertEquals("LIVE", CoreInvariants.moduleState(dm, MODULE));

        taken.release();
        assertTrue(load.await().value().flags().contains(DmFlag.INACTIVE_PRESENT));
        Outcome.of(() -> dm.devSuspend(TestRequests.resume("z"))).value();
        List<TargetLine> lines = Outcome.of(() -> dm.tableStatus(TestRequests.tableText("z"))).value().targets();
        assertEquals(List.of(new TargetLine(0, 1024, "zero", "")), lines);
        assertEquals(1, CoreInvariants.refcount(dm, MODULE));

        assertTrue(Outcome.of(() -> dm.devRemove(TestRequests.remove("z"))).ok());
        assertTrue(modprobeRemove().ok(), "once the table is gone the module can go");
        assertEquals(-1, CoreInvariants.refcount(dm, MODULE));
        assertEquals(0, dm.modules().freedWhileReferenced());
    }

    @Test
    void whenTheUnloadWentFirstTheLoadMissesItsAutoloadSeesGoingAndTheLoadFailsEinval() {
        modprobeZero();
        create("z");
        Parked<Replies.ModprobeDone> unload = unloadParkedWhileGoing();
        assertEquals("GOING", CoreInvariants.moduleState(dm, MODULE));

        Outcome<DeviceInfo> load = loadZero("z").await();
        load.assertFailed(Errno.EINVAL, "unknown target type");
        assertEquals(1, gate.count(Step.REQUEST_MODULE, "dm-zero"), "one autoload, which answered EBUSY");
        assertEquals(0, gate.count(Step.TYPE_TAKEN, "zero"), "the GOING module's type was never taken");
        assertFalse(status("z").value().flags().contains(DmFlag.INACTIVE_PRESENT));

        assertTrue(unload.finish().ok());
        assertEquals(-1, CoreInvariants.refcount(dm, MODULE));

        // After the unload completed, the same load autoloads a fresh copy.
        assertTrue(loadZero("z").await().ok());
        assertEquals(1, CoreInvariants.refcount(dm, MODULE));
        assertEquals(0, dm.modules().freedWhileReferenced());
    }

    @Test
    void underThe53To61PolicyTheLoadWaitsForTheUnloadAndLoadsAFreshCopy() throws DmException {
        ModulePolicy retry = ModulePolicy.parse("loader=retry-until-gone");
        restart(b -> b.modulePolicy(retry));
        modprobeZero();
        create("z");
        Parked<Replies.ModprobeDone> unload = unloadParkedWhileGoing();

        Async<DeviceInfo> load = loadZero("z");
        load.awaitBlockedIn("awaitModuleWq");
        assertFalse(load.isDone(), "the loader waits until the going module is gone");

        assertTrue(unload.finish().ok());
        assertTrue(load.await().value().flags().contains(DmFlag.INACTIVE_PRESENT), "a fresh copy was loaded");
        assertEquals(2, gate.count(Step.MODULE_INIT, MODULE));
        assertEquals(1, CoreInvariants.refcount(dm, MODULE));
        assertEquals("LIVE", CoreInvariants.moduleState(dm, MODULE));
        assertEquals(0, dm.modules().freedWhileReferenced());
    }

    @Test
    void aModuleStillComingCannotBeRemoved() {
        create("z");
        StepGate.Parking init = gate.park(Step.MODULE_INIT, MODULE);
        Async<DeviceInfo> load = loadZero("z");
        init.awaitArrival();
        Outcome<Void> rmmod = rmmod();
        assertEquals(Errno.EBUSY, rmmod.errno(), "COMING: refcount 1 while init runs, and not LIVE");
        init.release();
        assertTrue(load.await().ok());
        assertEquals(1, CoreInvariants.refcount(dm, MODULE));
    }
}

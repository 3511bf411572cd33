package org.dmd.core.module;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Future;
import org.dmd.core.concurrent.Step;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.dmd.core.testing.Parked;
import org.junit.jupiter.api.Test;

/**
 * The kmod-18 race: three parallel {@code modprobe} of one module (kmod_module_get_initstate). With kmod ≥ 20
 * they all succeed once the module is LIVE and it loads once; kmod 18 lets one return while the
 * module is still COMING.
 */
class ParallelModprobeTest extends ModuleTestSupport {

    private static final String NAME = "dm_fx_zero";

    /** The module's state seen by each modprobe right after it returned. */
    private final List<ModuleState> stateAtReturn = new CopyOnWriteArrayList<>();

    private void modprobeAndRecordState() throws DmException {
        modules.modprobe("dm-fx-zero", false);
        stateAtReturn.add(state(NAME));
    }

    private Future<Errno> modprobe() {
        return async(this::modprobeAndRecordState);
    }

    /** A modprobe parked in the window where the module has a sysfs directory but no initstate yet. */
    private Parked<Void> modprobeInTheSysfsWindow() {
        return parkedAt(Step.MODULE_SYSFS_DIR, NAME, this::modprobeAndRecordState);
    }

    @Test
    void threeParallelModprobesLoadOnceAndReturnOnlyOnceLive() throws Exception {
        start("", "");
        Parked<Void> p1 = modprobeInTheSysfsWindow();
        assertEquals(InitState.COMING, modules.initstate(NAME), "kmod >= 20 reads the window as COMING");
        Future<Errno> p2 = modprobe();
        Future<Errno> p3 = modprobe();
        awaitSameFileWaiters(file("dm-fx-zero"), 2);
        assertFalse(p2.isDone() || p3.isDone(), "no modprobe may return while the module is COMING");
        assertNull(p1.finish().errno());
        assertNull(result(p2));
        assertNull(result(p3));
        assertEquals(List.of(ModuleState.LIVE, ModuleState.LIVE, ModuleState.LIVE), stateAtReturn);
        assertEquals(1, gate.count(Step.MODULE_INIT, NAME));
        assertEquals(InitState.LIVE, modules.initstate(NAME));
    }

    @Test
    void withoutSameFileCoalescingTheOthersWaitPatientlyAndStillSucceed() throws Exception {
        start("same-file=off", "");
        Parked<Void> p1 = modprobeInTheSysfsWindow();
        Future<Errno> p2 = modprobe();
        Future<Errno> p3 = modprobe();
        awaitModuleWqWaiters(2);
        assertNull(p1.finish().errno());
        assertNull(result(p2), "EEXIST from the patient check is success for modprobe");
        assertNull(result(p3));
        assertEquals(List.of(ModuleState.LIVE, ModuleState.LIVE, ModuleState.LIVE), stateAtReturn);
        assertEquals(1, gate.count(Step.MODULE_INIT, NAME));
    }

    @Test
    void kmod18ReturnsSuccessWhileTheModuleIsStillComing() throws Exception {
        start("kmod=18", "");
        Parked<Void> p1 = modprobeInTheSysfsWindow();
        assertEquals(InitState.BUILTIN, modules.initstate(NAME), "kmod 18 reads the window as built-in");
        assertNull(result(modprobe()), "the misreport: modprobe exits 0 before init has run");
        assertEquals(List.of(ModuleState.COMING), stateAtReturn);
        assertEquals(0, gate.count(Step.MODULE_INIT, NAME));
        assertNull(p1.finish().errno());
        assertEquals(1, gate.count(Step.MODULE_INIT, NAME));
    }

    @Test
    void oneFailedLoadFailsAllThreeModprobes() throws Exception {
        start("", "dm-fx-zero:errno=ENOMEM");
        Parked<Void> p1 = modprobeInTheSysfsWindow();
        Future<Errno> p2 = modprobe();
        Future<Errno> p3 = modprobe();
        awaitSameFileWaiters(file("dm-fx-zero"), 2);
        assertEquals(Errno.ENOMEM, p1.finish().errno());
        assertEquals(Errno.ENOMEM, result(p2));
        assertEquals(Errno.ENOMEM, result(p3));
        assertFalse(loaded(NAME));
    }

    @Test
    void initstateFollowsTheLoadAndIsEnoentWhenAbsent() throws Exception {
        start("", "");
        assertEquals(Errno.ENOENT, errnoOf(() -> modules.initstate(NAME)));
        Parked<Void> load = parkedAt(Step.MODULE_INIT, NAME, this::modprobeAndRecordState);
        assertEquals(InitState.COMING, modules.initstate("dm-fx-zero"));
        assertNull(load.finish().errno());
        assertEquals(InitState.LIVE, modules.initstate(NAME));
        assertEquals(InitState.BUILTIN, modules.initstate("dm-fx-core"));
    }
}

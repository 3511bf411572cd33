package org.dmd.core.module;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.concurrent.Future;
import org.dmd.core.concurrent.Step;
import org.dmd.core.errno.Errno;
import org.dmd.core.testing.Parked;
import org.junit.jupiter.api.Test;

/** finit_module outcomes for concurrent loaders of one module (kernel/module/main.c: module_patient_check_exists, idempotent_init_module). */
class FinitMatrixTest extends ModuleTestSupport {

    private static final String ZERO = file("dm-fx-zero");
    private static final String NAME = "dm_fx_zero";

    private Errno finit() {
        return errnoOf(() -> loader().finitModule(ZERO, ""));
    }

    private Future<Errno> finitAsync() {
        return async(() -> loader().finitModule(ZERO, ""));
    }

    /** A finit_module of the fixture module, parked in its init. */
    private Parked<Void> loaderInInit() {
        return parkedAt(Step.MODULE_INIT, NAME, () -> loader().finitModule(ZERO, ""));
    }

    /** What a first loader and a loader waiting for it on module_wq answered. */
    private record Answers(Errno first, Errno waiter) {
    }

    /** A first loader parks in init until a second one waits for it on module_wq; both then finish. */
    private Answers loadWithAPatientWaiter() throws Exception {
        Parked<Void> first = loaderInInit();
        Future<Errno> waiter = finitAsync();
        awaitModuleWqWaiters(1);
        return new Answers(first.finish().errno(), result(waiter));
    }

    /** The errno of a loader interrupted once {@code waiting} has seen it wait for the first. */
    private Errno interruptedLoader(Runnable waiting) throws InterruptedException {
        return interruptWhileWaiting(() -> loader().finitModule(ZERO, ""), waiting);
    }

    /** A delete_module of the fixture module, parked while it is GOING. */
    private Parked<Void> removalInGoing() {
        return parkedAt(Step.MODULE_GOING, NAME, () -> loader().deleteModule(NAME, false));
    }

    @Test
    void sameFileLoadersShareTheFirstLoadersSuccess() throws Exception {
        start("", "");
        Parked<Void> first = loaderInInit();
        Future<Errno> second = finitAsync();
        Future<Errno> third = finitAsync();
        awaitSameFileWaiters(ZERO, 2);
        assertFalse(second.isDone());
        assertNull(first.finish().errno());
        assertNull(result(second));
        assertNull(result(third));
        assertEquals(1, gate.count(Step.MODULE_INIT, NAME));
        assertEquals(ModuleState.LIVE, state(NAME));
    }

    @Test
    void sameFileLoadersShareTheFirstLoadersFailure() throws Exception {
        start("", "dm-fx-zero:errno=ENOMEM");
        Parked<Void> first = loaderInInit();
        Future<Errno> second = finitAsync();
        Future<Errno> third = finitAsync();
        awaitSameFileWaiters(ZERO, 2);
        assertEquals(Errno.ENOMEM, first.finish().errno());
        assertEquals(Errno.ENOMEM, result(second));
        assertEquals(Errno.ENOMEM, result(third));
        assertEquals(1, gate.count(Step.MODULE_INIT, NAME));
        assertFalse(loaded(NAME));
    }

    @Test
    void patientWaiterSeesTheModuleLiveAndAnswersEexist() throws Exception {
        start("same-file=off", "");
        Answers answers = loadWithAPatientWaiter();
        assertNull(answers.first());
        assertEquals(Errno.EEXIST, answers.waiter());
        assertEquals(1, gate.count(Step.MODULE_INIT, NAME));
    }

    @Test
    void patientWaiterAnswersEbusyAfterTheFirstLoadFails() throws Exception {
        start("same-file=off", "dm-fx-zero:errno=ENOMEM");
        Answers answers = loadWithAPatientWaiter();
        assertEquals(Errno.ENOMEM, answers.first());
        assertEquals(Errno.EBUSY, answers.waiter());
        assertEquals(1, gate.count(Step.MODULE_INIT, NAME), "the waiter must not re-run the load (6.2+)");
        assertFalse(loaded(NAME));
    }

    @Test
    void loaderArrivingAfterALiveLoadAnswersEexist() throws Exception {
        start("", "");
        assertNull(finit());
        assertEquals(Errno.EEXIST, finit());
    }

    @Test
    void loaderArrivingWhileTheModuleIsGoingAnswersEbusy() throws Exception {
        start("", "");
        assertNull(finit());
        Parked<Void> removal = removalInGoing();
        assertEquals(Errno.EBUSY, finit());
        assertNull(removal.finish().errno());
        assertNull(finit(), "once the unload completed a fresh load succeeds");
    }

    @Test
    void retryUntilGoneWaiterRerunsTheFailedLoadItself() throws Exception {
        start("loader=retry-until-gone,same-file=off", "dm-fx-zero:errno=ENOMEM");
        Answers answers = loadWithAPatientWaiter();
        assertEquals(Errno.ENOMEM, answers.first());
        assertEquals(Errno.ENOMEM, answers.waiter(), "5.3-6.1: the waiter loads it again and fails the same way");
        assertEquals(2, gate.count(Step.MODULE_INIT, NAME));
    }

    @Test
    void retryUntilGoneWaiterLoadsAFreshCopyAfterAnUnload() throws Exception {
        start("loader=retry-until-gone", "");
        assertNull(finit());
        Parked<Void> removal = removalInGoing();
        Future<Errno> load = finitAsync();
        awaitModuleWqWaiters(1);
        assertNull(removal.finish().errno());
        assertNull(result(load));
        assertEquals(ModuleState.LIVE, state(NAME));
        assertEquals(2, gate.count(Step.MODULE_INIT, NAME));
    }

    @Test
    void legacyLoaderAnswersEexistForAGoingModule() throws Exception {
        start("loader=legacy-eexist-on-going", "");
        assertNull(finit());
        Parked<Void> removal = removalInGoing();
        assertEquals(Errno.EEXIST, finit(), "<= 5.2: userspace is told it is loaded while it goes away");
        assertNull(removal.finish().errno());
        assertFalse(loaded(NAME));
    }

    @Test
    void legacyWaiterRetriesAfterAFailedLoad() throws Exception {
        start("loader=legacy-eexist-on-going,same-file=off", "dm-fx-zero:errno=ENOMEM");
        Answers answers = loadWithAPatientWaiter();
        assertEquals(Errno.ENOMEM, answers.first());
        assertEquals(Errno.ENOMEM, answers.waiter());
        assertEquals(2, gate.count(Step.MODULE_INIT, NAME));
    }

    @Test
    void interruptedSameFileWaiterAnswersEintr() throws Exception {
        start("", "");
        Parked<Void> first = loaderInInit();
        assertEquals(Errno.EINTR, interruptedLoader(() -> awaitSameFileWaiters(ZERO, 1)));
        assertNull(first.finish().errno(), "the first loader is unaffected");
    }

    @Test
    void interruptedPatientWaiterAnswersEintr() throws Exception {
        start("same-file=off", "");
        Parked<Void> first = loaderInInit();
        assertEquals(Errno.EINTR, interruptedLoader(() -> awaitModuleWqWaiters(1)));
        assertNull(first.finish().errno());
    }

    @Test
    void fileOutsideTheIndexIsEnoentAndModuleWithoutCodeIsEnoexec() throws Exception {
        start("", "");
        assertEquals(Errno.ENOENT, errnoOf(() -> loader().finitModule("kernel/nope.ko", "")));
        assertEquals(Errno.ENOEXEC, errnoOf(() -> loader().finitModule(file("dm-fx-nocode"), "")));
    }
}

package org.dmd.core.module;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import org.dmd.core.concurrent.Step;
import org.dmd.core.errno.Errno;
import org.dmd.core.testing.StepGate;
import org.junit.jupiter.api.Test;

/** finit_module outcomes for concurrent loaders of one module (kernel-semantics §1.4.2–§1.4.4). */
class FinitMatrixTest extends ModuleTestSupport {

    private static final String ZERO = file("dm-fx-zero");
    private static final String NAME = "dm_fx_zero";

    private Errno finit() {
        return errnoOf(() -> loader().finitModule(ZERO, ""));
    }

    private Future<Errno> finitAsync() {
        return async(() -> loader().finitModule(ZERO, ""));
    }

    @Test
    void sameFileLoadersShareTheFirstLoadersSuccess() throws Exception {
        start("", "");
        StepGate.Parking init = gate.park(Step.MODULE_INIT, NAME);
        Future<Errno> first = finitAsync();
        init.awaitArrival();
        Future<Errno> second = finitAsync();
        Future<Errno> third = finitAsync();
        awaitSameFileWaiters(ZERO, 2);
        assertFalse(second.isDone());
        init.release();
        assertNull(result(first));
        assertNull(result(second));
        assertNull(result(third));
        assertEquals(1, gate.count(Step.MODULE_INIT, NAME));
        assertEquals(ModuleState.LIVE, state(NAME));
    }

    @Test
    void sameFileLoadersShareTheFirstLoadersFailure() throws Exception {
        start("", "dm-fx-zero:errno=ENOMEM");
        StepGate.Parking init = gate.park(Step.MODULE_INIT, NAME);
        Future<Errno> first = finitAsync();
        init.awaitArrival();
        Future<Errno> second = finitAsync();
        Future<Errno> third = finitAsync();
        awaitSameFileWaiters(ZERO, 2);
        init.release();
        assertEquals(Errno.ENOMEM, result(first));
        assertEquals(Errno.ENOMEM, result(second));
        assertEquals(Errno.ENOMEM, result(third));
        assertEquals(1, gate.count(Step.MODULE_INIT, NAME));
        assertFalse(loaded(NAME));
    }

    @Test
    void patientWaiterSeesTheModuleLiveAndAnswersEexist() throws Exception {
        start("same-file=off", "");
        StepGate.Parking init = gate.park(Step.MODULE_INIT, NAME);
        Future<Errno> first = finitAsync();
        init.awaitArrival();
        Future<Errno> second = finitAsync();
        awaitModuleWqWaiters(1);
        init.release();
        assertNull(result(first));
        assertEquals(Errno.EEXIST, result(second));
        assertEquals(1, gate.count(Step.MODULE_INIT, NAME));
    }

    @Test
    void patientWaiterAnswersEbusyAfterTheFirstLoadFails() throws Exception {
        start("same-file=off", "dm-fx-zero:errno=ENOMEM");
        StepGate.Parking init = gate.park(Step.MODULE_INIT, NAME);
        Future<Errno> first = finitAsync();
        init.awaitArrival();
        Future<Errno> second = finitAsync();
        awaitModuleWqWaiters(1);
        init.release();
        assertEquals(Errno.ENOMEM, result(first));
        assertEquals(Errno.EBUSY, result(second));
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
        StepGate.Parking going = gate.park(Step.MODULE_GOING, NAME);
        Future<Errno> removal = async(() -> loader().deleteModule(NAME, false));
        going.awaitArrival();
        assertEquals(Errno.EBUSY, finit());
        going.release();
        assertNull(result(removal));
        assertNull(finit(), "once the unload completed a fresh load succeeds");
    }

    @Test
    void retryUntilGoneWaiterRerunsTheFailedLoadItself() throws Exception {
        start("loader=retry-until-gone,same-file=off", "dm-fx-zero:errno=ENOMEM");
        StepGate.Parking init = gate.park(Step.MODULE_INIT, NAME);
        Future<Errno> first = finitAsync();
        init.awaitArrival();
        Future<Errno> second = finitAsync();
        awaitModuleWqWaiters(1);
        init.release();
        assertEquals(Errno.ENOMEM, result(first));
        assertEquals(Errno.ENOMEM, result(second), "5.3-6.1: the waiter loads it again and fails the same way");
        assertEquals(2, gate.count(Step.MODULE_INIT, NAME));
    }

    @Test
    void retryUntilGoneWaiterLoadsAFreshCopyAfterAnUnload() throws Exception {
        start("loader=retry-until-gone", "");
        assertNull(finit());
        StepGate.Parking going = gate.park(Step.MODULE_GOING, NAME);
        Future<Errno> removal = async(() -> loader().deleteModule(NAME, false));
        going.awaitArrival();
        Future<Errno> load = finitAsync();
        awaitModuleWqWaiters(1);
        going.release();
        assertNull(result(removal));
        assertNull(result(load));
        assertEquals(ModuleState.LIVE, state(NAME));
        assertEquals(2, gate.count(Step.MODULE_INIT, NAME));
    }

    @Test
    void legacyLoaderAnswersEexistForAGoingModule() throws Exception {
        start("loader=legacy-eexist-on-going", "");
        assertNull(finit());
        StepGate.Parking going = gate.park(Step.MODULE_GOING, NAME);
        Future<Errno> removal = async(() -> loader().deleteModule(NAME, false));
        going.awaitArrival();
        assertEquals(Errno.EEXIST, finit(), "<= 5.2: userspace is told it is loaded while it goes away");
        going.release();
        assertNull(result(removal));
        assertFalse(loaded(NAME));
    }

    @Test
    void legacyWaiterRetriesAfterAFailedLoad() throws Exception {
        start("loader=legacy-eexist-on-going,same-file=off", "dm-fx-zero:errno=ENOMEM");
        StepGate.Parking init = gate.park(Step.MODULE_INIT, NAME);
        Future<Errno> first = finitAsync();
        init.awaitArrival();
        Future<Errno> second = finitAsync();
        awaitModuleWqWaiters(1);
        init.release();
        assertEquals(Errno.ENOMEM, result(first));
        assertEquals(Errno.ENOMEM, result(second));
        assertEquals(2, gate.count(Step.MODULE_INIT, NAME));
    }

    @Test
    void interruptedSameFileWaiterAnswersEintr() throws Exception {
        start("", "");
        StepGate.Parking init = gate.park(Step.MODULE_INIT, NAME);
        Future<Errno> first = finitAsync();
        init.awaitArrival();
        AtomicReference<Errno> waiter = new AtomicReference<>();
        Thread thread = new Thread(() -> waiter.set(finit()));
        thread.start();
        awaitSameFileWaiters(ZERO, 1);
        thread.interrupt();
        thread.join();
        assertEquals(Errno.EINTR, waiter.get());
        init.release();
        assertNull(result(first), "the first loader is unaffected");
    }

    @Test
    void interruptedPatientWaiterAnswersEintr() throws Exception {
        start("same-file=off", "");
        StepGate.Parking init = gate.park(Step.MODULE_INIT, NAME);
        Future<Errno> first = finitAsync();
        init.awaitArrival();
        AtomicReference<Errno> waiter = new AtomicReference<>();
        Thread thread = new Thread(() -> waiter.set(finit()));
        thread.start();
        awaitModuleWqWaiters(1);
        thread.interrupt();
        thread.join();
        assertEquals(Errno.EINTR, waiter.get());
        init.release();
        assertNull(result(first));
    }

    @Test
    void fileOutsideTheIndexIsEnoentAndModuleWithoutCodeIsEnoexec() throws Exception {
        start("", "");
        assertEquals(Errno.ENOENT, errnoOf(() -> loader().finitModule("kernel/nope.ko", "")));
        assertEquals(Errno.ENOEXEC, errnoOf(() -> loader().finitModule(file("dm-fx-nocode"), "")));
    }
}

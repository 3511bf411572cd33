package org.dmd.core.module;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.Future;
import org.dmd.core.concurrent.Step;
import org.dmd.core.errno.Errno;
import org.dmd.core.event.KernelMessage;
import org.dmd.core.testing.StepGate;
import org.junit.jupiter.api.Test;

/** kernel/module/kmod.c: __request_module (synchronous, at most 50 at once, the tool's exit status). */
class RequestModuleTest extends ModuleTestSupport {

    @Test
    void theKernelsLimitsAreTheDefaults() {
        assertEquals(50, Modules.DEFAULT_REQUEST_MODULE_LIMIT);
        assertEquals(Duration.ofSeconds(5), Modules.DEFAULT_REQUEST_MODULE_WAIT);
        assertEquals(Duration.ofSeconds(30), Modules.DEFAULT_SYMBOL_WAIT);
    }

    @Test
    void returnsTheToolsExitStatus() throws Exception {
        start("", "");
        assertEquals(0, modules.requestModule("dm-fx-zero"));
        assertTrue(loaded("dm_fx_zero"));
        assertEquals(0, modules.requestModule("dm-fx-zero"), "already loaded is success");
        assertEquals(1, modules.requestModule("dm-nope"));
    }

    @Test
    void namesLongerThan55CharactersAreEnametoolong() throws Exception {
        start("", "");
        assertEquals(1, modules.requestModule("x".repeat(55)));
        assertEquals(Errno.ENAMETOOLONG, errnoOf(() -> modules.requestModule("x".repeat(56))));
    }

    @Test
    void aRequestOverTheCapWaitsThenFailsEtimeWithAWarning() throws Exception {
        start(Modules.builder().requestModuleLimit(1, Duration.ofMillis(20)));
        StepGate.Parking init = gate.park(Step.MODULE_INIT, "dm_fx_zero");
        Future<Integer> first = pool.submit(() -> modules.requestModule("dm-fx-zero"));
        init.awaitArrival();
        assertEquals(Errno.ETIME, errnoOf(() -> modules.requestModule("dm-fx-two")));
        awaitMessage(KernelMessage.Level.WARNING,
                "request_module: modprobe dm-fx-two cannot be processed, kmod busy with 1 threads");
        init.release();
        assertEquals(0, result(first));
        assertEquals(0, modules.requestModule("dm-fx-two"), "the permit is back");
    }
}

package org.dmd.core.module;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import java.util.concurrent.Future;
import org.dmd.core.concurrent.Step;
import org.dmd.core.errno.Errno;
import org.dmd.core.registry.TypeRef;
import org.dmd.core.registry.TypeRegistry;
import org.dmd.core.target.TargetType;
import org.dmd.core.testing.Parked;
import org.junit.jupiter.api.Test;

/** Module unload vs a registry get of its type, in both orders (kernel/module/main.c: delete_module vs try_module_get). */
class UnloadVsGetTest extends ModuleTestSupport {

    private static final String NAME = "dm_fx_zero";

    private TypeRegistry<TargetType> targets() {
        return modules.registries().targets();
    }

    @Test
    void whenTheGetTookItsReferenceFirstTheUnloadFails() throws Exception {
        start("", "");
        modules.modprobe("dm-fx-zero", false);
        TypeRef<TargetType> ref = targets().get("fx-zero").orElseThrow();
        assertEquals(Errno.EAGAIN, errnoOf(() -> loader().deleteModule(NAME, false)));
        assertEquals(Errno.EBUSY, errnoOf(() -> modules.modprobeRemove("dm-fx-zero")));
        assertEquals(ModuleState.LIVE, state(NAME), "never a type whose module was freed");
        ref.close();
        modules.modprobeRemove("dm-fx-zero");
        assertFalse(loaded(NAME));
    }

    @Test
    void whenTheUnloadWentFirstTheGetMissesAndItsAutoloadAnswersEbusy() throws Exception {
        start("", "");
        modules.modprobe("dm-fx-zero", false);
        Parked<Void> removal = parkedAt(Step.MODULE_GOING, NAME, () -> modules.rmmod("dm-fx-zero", false));
        assertEquals(InitState.GOING, modules.initstate(NAME));
        assertEquals(Optional.empty(), targets().get("fx-zero"), "GOING owner: miss, autoload EBUSY, retry miss");
        assertEquals(1, gate.count(Step.REQUEST_MODULE, "dm-fx-zero"));
        assertEquals(1, modules.requestModule("dm-fx-zero"), "the tool sees EBUSY and exits 1");
        assertNull(removal.finish().errno());
        try (TypeRef<TargetType> fresh = targets().get("fx-zero").orElseThrow()) {
            assertEquals("fx-zero", fresh.type().name());
            assertEquals(ModuleState.LIVE, state(NAME), "after the unload completed the autoload loads a fresh copy");
            assertEquals(1, modules.find(NAME).orElseThrow().refcount());
        }
    }

    @Test
    void underTheRetryPolicyTheAutoloadWaitsForTheUnloadAndLoadsAFreshCopy() throws Exception {
        start("loader=retry-until-gone", "");
        modules.modprobe("dm-fx-zero", false);
        Parked<Void> removal = parkedAt(Step.MODULE_GOING, NAME, () -> modules.rmmod("dm-fx-zero", false));
        Future<Optional<TypeRef<TargetType>>> get = pool.submit(() -> targets().get("fx-zero"));
        awaitModuleWqWaiters(1);
        assertNull(removal.finish().errno());
        TypeRef<TargetType> ref = result(get).orElseThrow();
        assertEquals(ModuleState.LIVE, state(NAME));
        assertEquals(2, gate.count(Step.MODULE_INIT, NAME));
        ref.close();
        assertTrue(loaded(NAME));
    }
}

package org.dmd.core.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.dmd.core.concurrent.Step;
import org.dmd.core.errno.DmException;
import org.dmd.core.event.KernelMessage;
import org.dmd.core.module.LoadedModule;
import org.dmd.core.module.ModulePolicy;
import org.dmd.core.module.ModuleTestSupport;
import org.dmd.core.module.fixture.FxTypes;
import org.dmd.core.target.DirtyLogType;
import org.dmd.core.target.ExceptionStoreType;
import org.dmd.core.target.PathSelectorType;
import org.dmd.core.target.TargetType;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A registry miss: request_module outside the lock, then one retry or the truncation loop (dm-target.c: dm_get_target_type; dm-log.c: get_type). */
class AutoloadTest extends ModuleTestSupport {

    /** Names requested by the scripted requester, in order. */
    private final List<String> requested = new CopyOnWriteArrayList<>();
    private LoadedModule core;

    @BeforeEach
    void startModules() throws DmException {
        start("", "");
        core = modules.find("dm_fx_core").orElseThrow();
    }

    /** Registries whose request_module records the name and lets {@code script} act on them and answer. */
    private Registries scripted(Script script) {
        Registries[] self = new Registries[1];
        self[0] = new Registries(ModulePolicy.DEFAULT, name -> {
            requested.add(name);
            return script.request(self[0], name);
        }, events, gate);
        return self[0];
    }

    private interface Script {
        int request(Registries registries, String name) throws DmException;
    }

    @Test
    void aMissingTargetAutoloadsItsModuleOnce() throws Exception {
        TypeRegistry<TargetType> targets = modules.registries().targets();
        try (TypeRef<TargetType> zero = targets.get("fx-zero").orElseThrow();
                TypeRef<TargetType> again = targets.get("fx-zero").orElseThrow()) {
            assertEquals("fx-zero", zero.type().name());
            assertEquals(zero.type(), again.type());
            assertEquals(2, modules.find("dm_fx_zero").orElseThrow().refcount());
        }
        assertEquals(1, gate.count(Step.REQUEST_MODULE, "dm-fx-zero"));
        assertEquals(1, gate.count(Step.MODULE_INIT, "dm_fx_zero"));
    }

    @Test
    void anUnknownTargetIsRequestedOnceAndMisses() throws Exception {
        assertEquals(Optional.empty(), modules.registries().targets().get("fx-nope"));
        assertEquals(1, gate.count(Step.REQUEST_MODULE, "dm-fx-nope"));
    }

    @Test
    void theSingleRetryFindsATypeEvenWhenTheToolReportedFailure() throws Exception {
        Registries registries = scripted((self, name) -> {
            self.targets().register(new FxTypes.FxTarget("late"), core);
            return 1;
        });
        try (TypeRef<TargetType> late = registries.targets().get("late").orElseThrow()) {
            assertEquals("late", late.type().name());
        }
        assertEquals(List.of("dm-late"), requested);
    }

    @Test
    void aMissingPathSelectorAutoloadsByItsModuleName() throws Exception {
        try (TypeRef<PathSelectorType> rr = modules.registries().pathSelectors().get("fx-rr").orElseThrow()) {
            assertEquals("fx-rr", rr.type().name());
            assertEquals(1, modules.registries().pathSelectors().users("fx-rr"));
            assertEquals(1, modules.find("dm_fx_rr").orElseThrow().refcount());
        }
        assertEquals(0, modules.find("dm_fx_rr").orElseThrow().refcount());
    }

    @Test
    void theDirtyLogLoopTriesEveryShorterNameThenWarns() throws Exception {
        Registries registries = scripted((self, name) -> 1);
        assertEquals(Optional.empty(), registries.dirtyLogs().get("clustered-disk-x"));
        assertEquals(List.of("dm-log-clustered-disk-x", "dm-log-clustered-disk", "dm-log-clustered"), requested);
        awaitMessage(KernelMessage.Level.WARNING, "Module for logging type \"clustered-disk-x\" not found.");
    }

    @Test
    void theExceptionStoreLoopTriesEveryShorterName() throws Exception {
        Registries registries = scripted((self, name) -> 1);
        assertEquals(Optional.empty(), registries.exceptionStores().get("clustered-shared"));
        assertEquals(List.of("dm-exstore-clustered-shared", "dm-exstore-clustered"), requested);
        awaitMessage(KernelMessage.Level.WARNING, "Module for exstore type \"clustered-shared\" not found.");
    }

    @Test
    void theLoopLooksForTheFullNameAfterEachSuccessfulRequest() throws Exception {
        Registries registries = scripted((self, name) -> {
            if (name.equals("dm-exstore-a")) {
                self.exceptionStores().register(new FxTypes.FxExceptionStore("a-b-c"), core);
            }
            return 0;
        });
        try (TypeRef<ExceptionStoreType> store = registries.exceptionStores().get("a-b-c").orElseThrow()) {
            assertEquals("a-b-c", store.type().name());
        }
        assertEquals(List.of("dm-exstore-a-b-c", "dm-exstore-a-b", "dm-exstore-a"), requested);
    }

    @Test
    void theDirtyLogLoopReachesAModuleByAShorterName() throws Exception {
        try (TypeRef<DirtyLogType> log = modules.registries().dirtyLogs().get("fx-clustered-disk").orElseThrow()) {
            assertEquals("fx-clustered-disk", log.type().name());
        }
        assertEquals(1, gate.count(Step.REQUEST_MODULE, "dm-log-fx-clustered-disk"));
        assertEquals(1, gate.count(Step.REQUEST_MODULE, "dm-log-fx-clustered"));
        assertEquals(1, gate.count(Step.REQUEST_MODULE, "dm-log-fx"));
        assertTrue(modules.find("dm_log_fx").isPresent());
    }
}

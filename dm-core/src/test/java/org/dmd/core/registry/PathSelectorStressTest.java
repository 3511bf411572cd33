package org.dmd.core.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.dmd.core.module.LoadedModule;
import org.dmd.core.module.ModuleTestSupport;
import org.dmd.core.target.PathSelectorType;
import org.junit.jupiter.api.Test;

/**
 * The path-selector use counter under concurrent get/put (dm-path-selector.c: dm_get_path_selector, dm_put_path_selector): never a lost update, and
 * the module holds exactly one reference while the type has users.
 */
class PathSelectorStressTest extends ModuleTestSupport {

    private static final int THREADS = 8;
    private static final int PAIRS_PER_THREAD = 2_000;

    @Test
    void concurrentGetsAndPutsKeepTheCounterAndTheModuleReferenceExact() throws Exception {
        start("", "");
        modules.modprobe("dm-fx-rr", false);
        TypeRegistry<PathSelectorType> selectors = modules.registries().pathSelectors();
        LoadedModule owner = modules.find("dm_fx_rr").orElseThrow();
        // everyone holds one reference at the barrier: the counter is THREADS, the module count 1
        CyclicBarrier allHolding = new CyclicBarrier(THREADS + 1);
        CyclicBarrier checked = new CyclicBarrier(THREADS + 1);
        List<Future<Void>> workers = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            workers.add(pool.submit(() -> {
                for (int i = 0; i < PAIRS_PER_THREAD; i++) {
                    selectors.get("fx-rr").orElseThrow().close();
                    if (i == PAIRS_PER_THREAD / 2) {
                        try (TypeRef<PathSelectorType> held = selectors.get("fx-rr").orElseThrow()) {
                            assertEquals("fx-rr", held.type().name());
                            allHolding.await(20, TimeUnit.SECONDS);
                            checked.await(20, TimeUnit.SECONDS);
                        }
                    }
                }
                return null;
            }));
        }
        allHolding.await(20, TimeUnit.SECONDS);
        assertEquals(THREADS, selectors.users("fx-rr"));
        assertEquals(1, owner.refcount());
        checked.await(20, TimeUnit.SECONDS);
        for (Future<Void> worker : workers) {
            result(worker);
        }
        assertEquals(0, selectors.users("fx-rr"));
        assertEquals(0, owner.refcount());
        modules.rmmod("dm-fx-rr", false);
        assertFalse(modules.find("dm_fx_rr").isPresent());
    }
}

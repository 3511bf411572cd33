package org.dmd.core.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Optional;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import org.dmd.core.concurrent.Step;
import org.dmd.core.errno.Errno;
import org.dmd.core.event.KernelMessage;
import org.dmd.core.module.ModuleState;
import org.dmd.core.module.ModuleTestSupport;
import org.dmd.core.target.TargetType;
import org.dmd.core.testing.Parked;
import org.junit.jupiter.api.Test;

/**
 * A type whose module is still COMING (kernel/module/main.c: do_init_module frees a failed module regardless of references; dm-target.c: dm_get_target_type): dmd waits for the module by default;
 * the kernel's behaviour (take it at once) stays reachable and its hazard is detected.
 */
class ComingTypeTest extends ModuleTestSupport {

    private static final String TWO = "dm_fx_two";

    private TypeRegistry<TargetType> targets() {
        return modules.registries().targets();
    }

    private Future<Optional<TypeRef<TargetType>>> getAsync(String type) {
        return pool.submit(() -> targets().get(type));
    }

    /** A modprobe of dm-fx-two, parked in its init after it registered its first type (still COMING). */
    private Parked<Void> loadAfterItsFirstRegistration() {
        return parkedAt(Step.MODULE_INIT_REGISTERED, TWO, () -> modules.modprobe("dm-fx-two", false));
    }

    @Test
    void aGetDuringInitWaitsAndTakesTheTypeOnceTheModuleIsLive() throws Exception {
        start("", "");
        Parked<Void> load = loadAfterItsFirstRegistration();
        Future<Optional<TypeRef<TargetType>>> get = getAsync("fx-two-a");
        awaitModuleWqWaiters(1);
        assertFalse(get.isDone(), "the type is registered but its module is COMING");
        assertNull(load.finish().errno());
        try (TypeRef<TargetType> ref = result(get).orElseThrow()) {
            assertEquals("fx-two-a", ref.type().name());
            assertEquals(ModuleState.LIVE, modules.find(TWO).orElseThrow().state());
            assertEquals(1, modules.find(TWO).orElseThrow().refcount());
        }
        assertEquals(0, gate.count(Step.REQUEST_MODULE, "dm-fx-two"), "no autoload: the type was there");
    }

    @Test
    void aGetDuringAnInitThatFailsMisses() throws Exception {
        start("", "dm-fx-two:fail-after-register=ENOMEM");
        Parked<Void> load = loadAfterItsFirstRegistration();
        Future<Optional<TypeRef<TargetType>>> get = getAsync("fx-two-a");
        awaitModuleWqWaiters(1);
        assertEquals(Errno.ENOMEM, load.finish().errno());
        assertEquals(Optional.empty(), result(get), "GOING: a miss (its autoload fails the same way)");
        assertFalse(modules.find(TWO).isPresent());
        assertEquals(0, modules.freedWhileReferenced());
    }

    @Test
    void underTheTakePolicyAComingTypeIsHandedOutAndTheFreeUnderItIsReported() throws Exception {
        start("coming-types=take", "dm-fx-two:fail-after-register=ENOMEM");
        Parked<Void> load = loadAfterItsFirstRegistration();
        TypeRef<TargetType> ref = targets().get("fx-two-a").orElseThrow();
        assertEquals(ModuleState.COMING, modules.find(TWO).orElseThrow().state());
        assertEquals(Errno.ENOMEM, load.finish().errno());
        assertFalse(modules.find(TWO).isPresent(), "the kernel frees it regardless of the reference");
        assertEquals(1, modules.freedWhileReferenced());
        awaitMessage(KernelMessage.Level.WARNING, "dm_fx_two: freed after its init failed with 1 reference(s) still held");
        ref.close();
    }

    @Test
    void theLoadingThreadTakesItsOwnComingTypeWithoutWaiting() throws Exception {
        start("", "");
        AtomicReference<ModuleState> stateSeen = new AtomicReference<>();
        gate.onReach(Step.MODULE_INIT_REGISTERED, TWO, () -> {
            try (TypeRef<TargetType> own = targets().get("fx-two-a").orElseThrow()) {
                assertEquals("fx-two-a", own.type().name());
                stateSeen.set(modules.find(TWO).orElseThrow().state());
            }
        });
        modules.modprobe("dm-fx-two", false);
        assertEquals(ModuleState.COMING, stateSeen.get());
        assertEquals(0, modules.find(TWO).orElseThrow().refcount());
    }

    @Test
    void anInterruptedWaitIsEintr() throws Exception {
        start("", "");
        Parked<Void> load = loadAfterItsFirstRegistration();
        assertEquals(Errno.EINTR,
                interruptWhileWaiting(() -> targets().get("fx-two-a"), () -> awaitModuleWqWaiters(1)));
        assertNull(load.finish().errno());
        assertEquals(0, modules.find(TWO).orElseThrow().refcount());
    }
}

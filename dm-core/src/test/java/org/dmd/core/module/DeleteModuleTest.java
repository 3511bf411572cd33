package org.dmd.core.module;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.dmd.core.concurrent.Step;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.dmd.core.event.KernelMessage;
import org.dmd.core.registry.TypeRef;
import org.dmd.core.target.TargetType;
import org.dmd.core.testing.Parked;
import org.junit.jupiter.api.Test;

/**
 * kernel/module/main.c: delete_module's checks in order, reference counts (module_refcount,
 * try_module_get), built-ins, and kmod's rmmod and modprobe -r (tools/rmmod.c, tools/modprobe.c).
 */
class DeleteModuleTest extends ModuleTestSupport {

    private Errno delete(String name, boolean force) {
        return errnoOf(() -> loader().deleteModule(name, force));
    }

    private static void assertFailure(Errno errno, String message, DmException failure) {
        assertNotNull(failure, "expected " + errno);
        assertEquals(errno, failure.errno());
        assertEquals(message, failure.getMessage());
    }

    private TypeRef<TargetType> take(String type) throws DmException {
        return modules.registries().targets().get(type).orElseThrow();
    }

    @Test
    void absentAndBuiltinModulesAreEnoent() throws Exception {
        start("", "");
        assertEquals(Errno.ENOENT, delete("dm_fx_zero", false));
        assertEquals(Errno.ENOENT, delete("dm-fx-core", false));
        assertEquals(Errno.ENOENT, delete("dm-fx-core", true));
        assertFailure(Errno.ENOENT, "Module dm_fx_core is builtin.", failureOf(() -> modules.rmmod("dm-fx-core", false)));
        assertFailure(Errno.ENOENT, "Module dm_fx_core is builtin.", failureOf(() -> modules.modprobeRemove("dm-fx-core")));
        assertFailure(Errno.ENOENT, "could not remove module dm-fx-core: No such file or directory",
                failureOf(() -> modules.rmmod("dm-fx-core", true)));
        assertFailure(Errno.ENOENT, "Module dm_fx_zero is not currently loaded",
                failureOf(() -> modules.rmmod("dm-fx-zero", false)));
        assertNull(failureOf(() -> modules.modprobeRemove("dm-fx-zero")), "modprobe -r of an unloaded module is a no-op");
        assertFailure(Errno.ENOENT, "Module nope not found.", failureOf(() -> modules.modprobeRemove("nope")));
    }

    @Test
    void builtinReferencesAreFree() throws Exception {
        start("", "");
        LoadedModule core = modules.find("dm_fx_core").orElseThrow();
        assertTrue(core.builtin());
        try (TypeRef<TargetType> linear = take("fx-linear")) {
            assertEquals("fx-linear", linear.type().name());
            assertEquals(0, core.refcount());
        }
        assertTrue(core.tryGet());
        core.put();
    }

    @Test
    void dependentsAreCheckedBeforeEverythingElse() throws Exception {
        start("", "");
        modules.modprobe("dm-fx-user", false);
        assertEquals(Errno.EAGAIN, delete("dm_fx_lib", false));
        assertEquals(Errno.EAGAIN, delete("dm_fx_lib", true), "force does not skip the dependents check");
        assertFailure(Errno.EBUSY, "Module dm_fx_lib is in use by: dm_fx_user",
                failureOf(() -> modules.rmmod("dm_fx_lib", false)));
        assertFailure(Errno.EBUSY, "Module dm_fx_lib is in use.", failureOf(() -> modules.modprobeRemove("dm-fx-lib")));
    }

    @Test
    void aComingModuleIsEbusy() throws Exception {
        start("", "");
        Parked<Void> load = parkedAt(Step.MODULE_INIT, "dm_fx_zero", () -> modules.modprobe("dm-fx-zero", false));
        assertEquals(Errno.EBUSY, delete("dm_fx_zero", false));
        assertEquals(Errno.EBUSY, delete("dm_fx_zero", true));
        assertFailure(Errno.EBUSY, "Module dm_fx_zero is in use", failureOf(() -> modules.rmmod("dm_fx_zero", false)));
        assertNull(load.finish().errno());
    }

    @Test
    void aPermanentModuleIsEbusyBeforeItsReferencesAreLookedAt() throws Exception {
        start("", "");
        modules.modprobe("dm-fx-perm", false);
        TypeRef<TargetType> ref = take("fx-perm");
        assertEquals(Errno.EBUSY, delete("dm_fx_perm", false), "check 5 (permanent) comes before check 6 (in use)");
        ref.close();
        assertEquals(Errno.EBUSY, delete("dm_fx_perm", false));
        assertNull(delete("dm_fx_perm", true));
        assertFalse(loaded("dm_fx_perm"));
    }

    @Test
    void aModuleInUseIsEagainUnlessForcedAndAForcedRemovalIsReported() throws Exception {
        start("", "");
        modules.modprobe("dm-fx-zero", false);
        TypeRef<TargetType> ref = take("fx-zero");
        assertEquals(Errno.EAGAIN, delete("dm_fx_zero", false));
        assertFailure(Errno.EBUSY, "Module dm_fx_zero is in use", failureOf(() -> modules.rmmod("dm_fx_zero", false)));
        assertFailure(Errno.EBUSY, "Module dm_fx_zero is in use.", failureOf(() -> modules.modprobeRemove("dm_fx_zero")));
        assertEquals(ModuleState.LIVE, state("dm_fx_zero"));
        assertEquals(0, modules.freedWhileReferenced());
        modules.rmmod("dm_fx_zero", true);
        assertFalse(loaded("dm_fx_zero"));
        assertEquals(1, modules.freedWhileReferenced());
        awaitMessage(KernelMessage.Level.WARNING, "dm_fx_zero: freed by a forced removal with 1 reference(s) still held");
        ref.close();
    }

    @Test
    void visibleRefcountIsOneWhileComingAndCountsTypeReferences() throws Exception {
        start("", "");
        Parked<Void> load = parkedAt(Step.MODULE_INIT, "dm_fx_zero", () -> modules.modprobe("dm-fx-zero", false));
        assertEquals(new ModuleInfo("dm_fx_zero", ModuleState.COMING, 1, List.of(), false), modules.list().get(0));
        assertNull(load.finish().errno());
        LoadedModule zero = modules.find("dm_fx_zero").orElseThrow();
        assertEquals(0, zero.refcount());
        TypeRef<TargetType> first = take("fx-zero");
        TypeRef<TargetType> second = take("fx-zero");
        assertEquals(2, zero.refcount());
        first.close();
        first.close();
        assertEquals(1, zero.refcount(), "closing a reference twice puts once");
        second.close();
        assertEquals(0, zero.refcount());
        modules.rmmod("dm-fx-zero", false);
        assertFalse(loaded("dm_fx_zero"));
    }

    @Test
    void lsmodListsNewestFirstWithUsersThenBuiltins() throws Exception {
        start("", "");
        modules.modprobe("dm-fx-user", false);
        assertEquals(List.of(
                new ModuleInfo("dm_fx_user", ModuleState.LIVE, 0, List.of(), false),
                new ModuleInfo("dm_fx_zero", ModuleState.LIVE, 0, List.of(), false),
                new ModuleInfo("dm_fx_lib", ModuleState.LIVE, 1, List.of("dm_fx_user"), false),
                new ModuleInfo("dm_fx_core", ModuleState.LIVE, 0, List.of(), true)), modules.list());
    }

    @Test
    void modprobeRemoveTakesUnusedDependenciesAndSoftdepsAlong() throws Exception {
        start("", "");
        modules.modprobe("dm-fx-user", false);
        modules.modprobeRemove("dm-fx-user");
        assertEquals(List.of("dm_fx_core"), modules.list().stream().map(ModuleInfo::name).collect(Collectors.toList()));
    }

    @Test
    void moduleUeventsMarkLiveAndFreeOnly() throws Exception {
        start("", "dm-fx-two:errno=EIO");
        modules.modprobe("dm-fx-zero", false);
        assertEquals(Errno.EIO, errnoOf(() -> modules.modprobe("dm-fx-two", false)));
        modules.rmmod("dm-fx-zero", false);
        modules.modprobe("dm-fx-perm", false); // a last event, so the ones before it have been delivered
        await().atMost(Duration.ofSeconds(20)).until(() -> moduleUevents().size() == 3);
        assertEquals(List.of("ADD /module/dm_fx_zero", "REMOVE /module/dm_fx_zero", "ADD /module/dm_fx_perm"),
                moduleUevents());
    }
}

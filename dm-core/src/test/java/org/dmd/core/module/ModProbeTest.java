package org.dmd.core.module;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.dmd.core.concurrent.Step;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.dmd.core.event.KernelMessage;
import org.dmd.core.testing.Parked;
import org.dmd.core.testing.StepGate;
import org.junit.jupiter.api.Test;

/**
 * kmod: name resolution (kmod_module_new_from_lookup), insertion (kmod_module_probe_insert_module),
 * exit texts (tools/modprobe.c), insmod, symbol use (kernel/module/main.c: ref_module).
 */
class ModProbeTest extends ModuleTestSupport {

    private static void assertFailure(Errno errno, String message, DmException failure) {
        assertNotNull(failure, "expected " + errno);
        assertEquals(errno, failure.errno());
        assertEquals(message, failure.getMessage());
    }

    private List<String> initOrder() {
        return gate.trace().stream().filter(r -> r.step() == Step.MODULE_INIT)
                .map(r -> String.valueOf(r.subject())).collect(Collectors.toList());
    }

    @Test
    void configurationAliasesWinOverModulesAlias() throws Exception {
        start("", "");
        modules.modprobe("dm-fx-zero-alias", false);
        assertTrue(loaded("dm_fx_two"));
        assertFalse(loaded("dm_fx_zero"));
    }

    @Test
    void aModuleNameWinsOverModulesAlias() throws Exception {
        start("", "");
        modules.modprobe("dm-fx-lib", false);
        assertTrue(loaded("dm_fx_lib"));
        assertFalse(loaded("dm_fx_zero"));
    }

    @Test
    void aliasesMatchWildcardsAfterNormalisation() throws Exception {
        start("", "");
        modules.modprobe("fx_wild-anything", false);
        assertTrue(loaded("dm_fx_zero"));
    }

    @Test
    void builtinsResolveAndAreAlreadyInKernel() throws Exception {
        start("", "");
        modules.modprobe("dm-fx-core", false);
        assertFailure(Errno.EEXIST, "could not insert 'dm_fx_core': Module already in kernel",
                failureOf(() -> modules.modprobe("dm-fx-core", true)));
    }

    @Test
    void anUnknownNameIsNotFound() throws Exception {
        start("", "");
        assertFailure(Errno.ENOENT, "Module nope not found in directory " + modules.index().location(),
                failureOf(() -> modules.modprobe("nope", false)));
        assertFailure(Errno.ENOENT, "Module bad[alias not found in directory " + modules.index().location(),
                failureOf(() -> modules.modprobe("bad[alias", false)));
    }

    @Test
    void dependenciesAndSoftdepsLoadInOrderAndAFailingSoftdepIsIgnored() throws Exception {
        start("", "");
        modules.modprobe("dm-fx-user", false);
        assertEquals(List.of("dm_fx_lib", "dm_fx_zero", "dm_fx_user"), initOrder());
        assertTrue(loaded("dm_fx_user"));
        assertFalse(loaded("dm_fx_nocode"), "the post softdep has no code and failed, which is ignored");
    }

    @Test
    void aFailingRequiredDependencyStopsTheWalk() throws Exception {
        start("", "dm-fx-lib:errno=ENOMEM");
        assertFailure(Errno.ENOMEM, "could not insert 'dm_fx_user': Cannot allocate memory",
                failureOf(() -> modules.modprobe("dm-fx-user", false)));
        assertEquals(List.of("dm_fx_lib"), initOrder());
        assertFalse(loaded("dm_fx_zero"));
        assertFalse(loaded("dm_fx_user"));
    }

    @Test
    void aFailingPreSoftdepIsIgnored() throws Exception {
        start("", "dm-fx-zero:errno=EIO");
        modules.modprobe("dm-fx-user", false);
        assertTrue(loaded("dm_fx_user"));
        assertFalse(loaded("dm_fx_zero"));
    }

    @Test
    void theBlacklistAppliesToAliasesOnly() throws Exception {
        start("", "");
        modules.modprobe("fx-roundrobin", false);
        assertFalse(loaded("dm_fx_rr"), "blacklisted alias: skipped, reported as success");
        modules.modprobe("dm-fx-rr", false);
        assertTrue(loaded("dm_fx_rr"));
    }

    @Test
    void configuredOptionsReachTheLoaderAsUnknownParameters() throws Exception {
        start("", "");
        modules.modprobe("dm-fx-perm", false);
        awaitMessage(KernelMessage.Level.WARNING, "dm_fx_perm: unknown parameter 'answer' ignored");
    }

    @Test
    void aModuleWithoutCodeHasAnInvalidFormat() throws Exception {
        start("", "");
        assertFailure(Errno.ENOEXEC, "could not insert 'dm_fx_nocode': Exec format error",
                failureOf(() -> modules.modprobe("dm-fx-nocode", false)));
        assertFailure(Errno.ENOEXEC, "could not insert module kernel/drivers/md/dm-fx-nocode.ko: Invalid module format",
                failureOf(() -> modules.insmod(file("dm-fx-nocode"))));
    }

    @Test
    void insmodLoadsNoDependenciesAndDoesNoPreCheck() throws Exception {
        start("", "");
        assertFailure(Errno.ENOENT, "could not insert module kernel/drivers/md/dm-fx-user.ko: Unknown symbol in module",
                failureOf(() -> modules.insmod(file("dm-fx-user"))));
        assertFailure(Errno.ENOENT, "could not load module kernel/nope.ko: No such file or directory",
                failureOf(() -> modules.insmod("kernel/nope.ko")));
        modules.insmod(file("dm-fx-zero"));
        assertFailure(Errno.EEXIST, "could not insert module kernel/drivers/md/dm-fx-zero.ko: File exists",
                failureOf(() -> modules.insmod(file("dm-fx-zero"))));
        modules.modprobe("dm-fx-zero", false);
        assertFailure(Errno.EEXIST, "could not insert 'dm_fx_zero': Module already in kernel",
                failureOf(() -> modules.modprobe("dm-fx-zero", true)));
    }

    @Test
    void aLoadUsingAComingModuleWaitsForIt() throws Exception {
        start("", "");
        Parked<Void> lib = parkedAt(Step.MODULE_INIT, "dm_fx_lib", () -> modules.insmod(file("dm-fx-lib")));
        Future<Errno> user = async(() -> modules.insmod(file("dm-fx-user")));
        awaitModuleWqWaiters(1);
        assertFalse(user.isDone());
        assertNull(lib.finish().errno());
        assertNull(result(user));
        assertEquals(List.of("dm_fx_user"), modules.list().stream()
                .filter(m -> m.name().equals("dm_fx_lib")).findFirst().orElseThrow().usedBy());
    }

    @Test
    void aLoadGivesUpWaitingForAComingModuleAfterTheSymbolWait() throws Exception {
        start(Modules.builder().symbolWait(Duration.ofMillis(20)));
        Parked<Void> lib = parkedAt(Step.MODULE_INIT, "dm_fx_lib", () -> modules.insmod(file("dm-fx-lib")));
        assertEquals(Errno.EBUSY, errnoOf(() -> modules.insmod(file("dm-fx-user"))));
        awaitMessage(KernelMessage.Level.WARNING, "dm_fx_user: gave up waiting for init of module dm_fx_lib.");
        assertNull(lib.finish().errno());
        assertFalse(loaded("dm_fx_user"));
    }

    @Test
    void anInjectedDelayEndsWithAnInterrupt() throws Exception {
        start("", "dm-fx-zero:delay=10m");
        Thread[] loader = new Thread[1];
        gate.onReach(Step.MODULE_INIT, "dm_fx_zero", () -> loader[0] = Thread.currentThread());
        StepGate.Parking reached = gate.watch(Step.MODULE_INIT, "dm_fx_zero");
        Future<DmException> load = pool.submit(() -> failureOf(() -> modules.modprobe("dm-fx-zero", false)));
        reached.awaitArrivals(1);
        loader[0].interrupt();
        assertFailure(Errno.EINTR, "could not insert 'dm_fx_zero': Interrupted system call", result(load));
        assertFalse(loaded("dm_fx_zero"));
    }

    @Test
    void closingEndsAnInjectedDelayAndDisablesLoading() throws Exception {
        start("", "dm-fx-zero:delay=10m");
        StepGate.Parking reached = gate.watch(Step.MODULE_INIT, "dm_fx_zero");
        Future<Errno> load = async(() -> modules.modprobe("dm-fx-zero", false));
        reached.awaitArrivals(1);
        modules.close();
        assertNull(result(load), "the delay ended early and init ran");
        assertEquals(Errno.EPERM, errnoOf(() -> modules.insmod(file("dm-fx-two"))));
        assertEquals(Errno.EPERM, errnoOf(() -> modules.rmmod("dm-fx-zero", false)));
    }
}

package org.dmd.core.control;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.dmd.core.concurrent.Step;
import org.dmd.core.control.Replies.DeviceInfo;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.dmd.core.event.KernelMessage;
import org.dmd.core.event.Uevent;
import org.dmd.core.event.UeventAction;
import org.dmd.core.module.ModuleFaults;
import org.dmd.core.module.ModulePolicy;
import org.dmd.core.module.Modules;
import org.dmd.core.target.mirror.MirrorTarget;
import org.dmd.core.testing.Async;
import org.dmd.core.testing.CoreInvariants;
import org.dmd.core.testing.EventRecorder;
import org.dmd.core.testing.GatedDeviceMapperTest;
import org.dmd.core.testing.Outcome;
import org.dmd.core.testing.Parked;
import org.dmd.core.testing.StepGate;
import org.dmd.core.testing.TestLoops;
import org.dmd.core.testing.TestRequests;
import org.dmd.core.testing.TestTargets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * dm-target.c: dm_get_target_type's request_module, three times at once: three clients each create a device and load a mirror table while
 * dm-mirror is not loaded, forced to overlap by parking the first loader inside the module's
 * load until the other two have requested the module too. Then the failure variants (init fails,
 * init returns EEXIST), the seed-000 misreport (docs/sources.md) under the legacy policy, the seed-001 misreport
 * under kmod 18, the kernel's "COMING types are usable" policy, and request_module's cap.
 */
class ParallelTargetAutoloadTest extends GatedDeviceMapperTest {

    private static final String MODULE = "dm_mirror";
    private static final String REQUEST = "dm-mirror";
    private static final List<String> DEVICES = List.of("m0", "m1", "m2");

    @TempDir
    Path backing;

    private EventRecorder recorder;
    private String leg0;
    private String leg1;

    /** Starts dm with these module settings, two 4096-sector loop devices as mirror legs and the three devices. */
    private void start(String policy, String faults) throws DmException {
        ModulePolicy modulePolicy = ModulePolicy.parse(policy);
        ModuleFaults moduleFaults = ModuleFaults.parse(faults);
        restart(b -> b.modulePolicy(modulePolicy).moduleFaults(moduleFaults));
        recorder = recordEvents();
        TestLoops loops = new TestLoops(backing);
        leg0 = loops.attach(dm, 4096);
        leg1 = loops.attach(dm, 4096);
        DEVICES.forEach(this::create);
    }

    private String mirrorTable() {
        return "0 4096 mirror core 1 1024 2 " + leg0 + " 0 " + leg1 + " 0";
    }

    private Outcome.Call<DeviceInfo> mirrorLoad(String device) {
        return () -> dm.tableLoad(TestRequests.load(device, mirrorTable()));
    }

    private Async<DeviceInfo> loadMirror(String device) {
        return Async.start("load " + device, mirrorLoad(device));
    }

    /** Starts m0's mirror load and returns once it is parked at {@code step} inside dm-mirror's load. */
    private Parked<DeviceInfo> firstLoadParkedAt(Step step) {
        return Parked.start(gate.park(step, MODULE), "load m0", mirrorLoad("m0"));
    }

    /** {@code modprobe dm-mirror}. */
    private Outcome<Replies.ModprobeDone> modprobeMirror() {
        return Outcome.of(() -> dm.modprobe(TestRequests.modprobe(REQUEST)));
    }

    /** {@code modprobe dm-mirror} fails the way kmod reports an init that failed with EBUSY. */
    private void assertModprobeFailsEbusy() {
        Outcome<Replies.ModprobeDone> modprobe = modprobeMirror();
        assertEquals(Errno.EBUSY, modprobe.errno());
        assertEquals("could not insert 'dm_mirror': Device or resource busy", modprobe.message());
    }

    /** Module ADD uevents for {@code module}, recorded so far. */
    private List<Uevent> moduleAdds(String module) {
        recorder.sync();
        return recorder.uevents().stream().filter(u -> u.action() == UeventAction.ADD
                && u.subsystem().equals("module") && u.devpath().equals("/module/" + module)).toList();
    }

    private List<KernelMessage> messagesContaining(String text) {
        recorder.sync();
        return recorder.messages().stream().filter(m -> m.text().contains(text)).toList();
    }

    /**
     * The three loads, forced to overlap: the first parks at {@code step} inside dm-mirror's load;
     * the other two start, request the module and block waiting for that load. Returns the three
     * loads with the first still parked; the caller releases {@code parked}.
     */
    private List<Async<DeviceInfo>> threeOverlappingLoads(StepGate.Parking parked) {
        List<Async<DeviceInfo>> loads = new ArrayList<>();
        loads.add(loadMirror("m0"));
        parked.awaitArrival();
        loads.add(loadMirror("m1"));
        loads.add(loadMirror("m2"));
        await().atMost(StepGate.TIMEOUT).pollInterval(Duration.ofMillis(1))
                .until(() -> gate.count(Step.REQUEST_MODULE, REQUEST) == 3);
        loads.get(1).awaitBlockedIn("awaitResult");
        loads.get(2).awaitBlockedIn("awaitResult");
        assertFalse(loads.get(1).isDone() || loads.get(2).isDone(), "no load may finish while dm-mirror is loading");
        return loads;
    }

    /**
     * Starts with the policy and faults, has three loads overlap one dm-mirror init, then lets the
     * init finish.
     */
    private List<Async<DeviceInfo>> threeLoadsThroughOneInit(String policy, String faults) throws DmException {
        start(policy, faults);
        StepGate.Parking init = gate.park(Step.MODULE_INIT, MODULE);
        List<Async<DeviceInfo>> loads = threeOverlappingLoads(init);
        init.release();
        return loads;
    }

    private void removeDevices() {
        for (String device : DEVICES) {
            assertTrue(Outcome.of(() -> dm.devRemove(TestRequests.remove(device))).ok(), device);
        }
    }

    // ------------------------------------------------------------------ success

    @Test
    void threeParallelCreatesLoadTheModuleOnceAndEachTablePinsIt() throws Exception {
        start("", "");
        StepGate.Parking init = gate.park(Step.MODULE_INIT, MODULE);
        List<Async<DeviceInfo>> loads = threeOverlappingLoads(init);
        assertEquals("COMING", CoreInvariants.moduleState(dm, MODULE));
        init.release();

        for (Async<DeviceInfo> load : loads) {
            DeviceInfo info = load.await().value();
            assertTrue(info.flags().contains(DmFlag.INACTIVE_PRESENT), info::toString);
        }
        assertEquals(1, gate.count(Step.MODULE_INIT, MODULE), "dm-mirror's init ran once");
        assertEquals(1, moduleAdds(MODULE).size(), "one module ADD uevent for dm_mirror");
        assertEquals(3, CoreInvariants.refcount(dm, MODULE), "each staged mirror table holds dm_mirror");
        assertEquals(3, TestLoops.openCount(dm, leg0), "each upper device opens the leg once");

        // The tables stay correct when activated.
        for (String device : DEVICES) {
            Outcome.of(() -> dm.devSuspend(TestRequests.resume(device))).value();
        }
        assertEquals(3, CoreInvariants.refcount(dm, MODULE));

        removeDevices();
        assertEquals(0, CoreInvariants.refcount(dm, MODULE));
        assertTrue(Outcome.of(() -> dm.modprobe(TestRequests.modprobeRemove(REQUEST))).ok());
        assertEquals(-1, CoreInvariants.refcount(dm, MODULE), "dm_mirror is gone");
        CoreInvariants.assertQuiescent(dm);
        CoreInvariants.assertNoTableHolds(dm);
        CoreInvariants.assertModulesIdle(dm);
    }

    @Test
    void withoutSameFileCoalescingTheWaitersSeeEexistAndStillSucceed() throws Exception {
        start("same-file=off", "");
        StepGate.Parking init = gate.park(Step.MODULE_INIT, MODULE);
        List<Async<DeviceInfo>> loads = new ArrayList<>();
        loads.add(loadMirror("m0"));
        init.awaitArrival();
        loads.add(loadMirror("m1"));
        loads.add(loadMirror("m2"));
        // The patient duplicate check: both wait on module_wq for the COMING module.
        loads.get(1).awaitBlockedIn("awaitModuleWq");
        loads.get(2).awaitBlockedIn("awaitModuleWq");
        init.release();

        loads.forEach(load -> load.await().value());
        assertEquals(1, moduleAdds(MODULE).size());
        assertEquals(3, CoreInvariants.refcount(dm, MODULE));
        removeDevices();
        assertEquals(0, CoreInvariants.refcount(dm, MODULE));
    }

    // ------------------------------------------------------------------ init failures

    @Test
    void whenInitFailsAllThreeLoadsAreUnknownTargetTypeAndNothingStays() throws Exception {
        List<Async<DeviceInfo>> loads = threeLoadsThroughOneInit("", "dm-mirror:errno=ENOMEM");

        for (Async<DeviceInfo> load : loads) {
            load.await().assertFailed(Errno.EINVAL, "unknown target type");
        }
        assertEquals(1, gate.count(Step.MODULE_INIT, MODULE), "the waiters shared the first load's result");
        assertEquals(-1, CoreInvariants.refcount(dm, MODULE), "dm_mirror is absent");
        assertEquals(List.of(), moduleAdds(MODULE));
        for (String device : DEVICES) {
            DeviceInfo info = status(device).value();
            assertFalse(info.flags().contains(DmFlag.INACTIVE_PRESENT), device + " has nothing staged");
        }
        CoreInvariants.assertNoTableHolds(dm);
        CoreInvariants.assertModulesIdle(dm);
    }

    @Test
    void initReturningEexistIsReportedAsEbusyWithTheLoadersWarningAndNeverAsLoaded() throws Exception {
        List<Async<DeviceInfo>> loads = threeLoadsThroughOneInit("", "dm-mirror:errno=EEXIST");

        for (Async<DeviceInfo> load : loads) {
            load.await().assertFailed(Errno.EINVAL, "unknown target type");
        }
        List<KernelMessage> overrides =
                messagesContaining("init suspiciously returned -EEXIST: Overriding with -EBUSY");
        assertEquals(1, overrides.size(), "one load ran init; the others shared its result");
        assertEquals(KernelMessage.Level.WARNING, overrides.get(0).level());
        assertTrue(overrides.get(0).text().startsWith(MODULE + ": "), overrides.get(0).text());
        assertEquals(-1, CoreInvariants.refcount(dm, MODULE));

        // modprobe reports the failure: EBUSY, never "already loaded".
        assertModprobeFailsEbusy();
        assertEquals(List.of(), moduleAdds(MODULE));
        CoreInvariants.assertNoTableHolds(dm);
    }

    @Test
    void underTheLegacyPolicyEexistFromInitIsTheSeed000Misreport() throws Exception {
        List<Async<DeviceInfo>> loads = threeLoadsThroughOneInit("safety-net=off,registry-dup=EEXIST", "dm-mirror:errno=EEXIST");
        for (Async<DeviceInfo> load : loads) {
            assertEquals(Errno.EINVAL, load.await().errno(), "unknown target type after an apparently good autoload");
        }
        assertEquals(List.of(), messagesContaining("Overriding with -EBUSY"), "no safety net");

        // The misreport: modprobe takes the EEXIST for "already loaded" and succeeds ...
        assertTrue(modprobeMirror().ok(), "modprobe exits 0");
        // ... while the module is not there.
        assertEquals(-1, CoreInvariants.refcount(dm, MODULE), "dm_mirror is absent although modprobe succeeded");
        assertEquals(List.of(), moduleAdds(MODULE));
    }

    @Test
    void aDuplicateRegistrationFailsInitWithTheRegistrysErrnoEbusyByDefault() throws Exception {
        start("", "");
        registerMirrorAsBuiltin();
        assertModprobeFailsEbusy();
        assertEquals(1, messagesContaining("dm_register_target: 'mirror' target already registered").size());
        assertEquals(-1, CoreInvariants.refcount(dm, MODULE));
    }

    @Test
    void aDuplicateRegistrationUnderTheLegacyRegistryIsTheSeed000Misreport() throws Exception {
        start("safety-net=off,registry-dup=EEXIST", "");
        registerMirrorAsBuiltin();
        assertTrue(modprobeMirror().ok(),
                "dm_register_target's EEXIST left init, and kmod took it for 'already loaded'");
        assertEquals(1, messagesContaining("dm_register_target: 'mirror' target already registered").size());
        assertEquals(-1, CoreInvariants.refcount(dm, MODULE), "yet dm_mirror is not loaded");
    }

    /** Some other module already owns the name "mirror" (here: the built-in dm-mod). */
    private void registerMirrorAsBuiltin() throws DmException {
        TestTargets.registerBuiltin(dm, MirrorTarget.TYPE);
    }

    // ------------------------------------------------------------------ kmod 18 and COMING types

    @Test
    void underKmod18AConcurrentRequestReturnsWhileTheModuleIsComingAndItsLoadFails() throws Exception {
        start("kmod=18,coming-types=take", "");
        Parked<DeviceInfo> first = firstLoadParkedAt(Step.MODULE_SYSFS_DIR);

        // kmod 18 reads the sysfs directory without initstate as "built in": modprobe returns at
        // once, the type is not registered yet, and the load fails although the module is loading.
        loadMirror("m1").await().assertFailed(Errno.EINVAL, "unknown target type");
        assertEquals("COMING", CoreInvariants.moduleState(dm, MODULE), "the request returned while COMING");
        assertTrue(modprobeMirror().ok(), "and modprobe itself says success before init has run");
        assertEquals(0, gate.count(Step.MODULE_INIT, MODULE));

        first.finish().value();
        assertEquals(1, CoreInvariants.refcount(dm, MODULE));
    }

    @Test
    void underKmod20TheSameInterleavingWaitsForTheModuleAndSucceeds() throws Exception {
        start("", "");
        Parked<DeviceInfo> first = firstLoadParkedAt(Step.MODULE_SYSFS_DIR);
        Async<DeviceInfo> second = loadMirror("m1");
        second.awaitBlockedIn("awaitResult");
        assertFalse(second.isDone(), "the request does not return while the module is COMING");

        first.finish().value();
        second.await().value();
        assertEquals(2, CoreInvariants.refcount(dm, MODULE));
    }

    @Test
    void underTheKernelsComingTypesPolicyATypeIsUsedBeforeItsModuleIsLive() throws Exception {
        start("coming-types=take", "");
        Parked<DeviceInfo> first = firstLoadParkedAt(Step.MODULE_INIT_REGISTERED);

        DeviceInfo second = loadMirror("m1").await().value();
        assertTrue(second.flags().contains(DmFlag.INACTIVE_PRESENT));
        assertEquals("COMING", CoreInvariants.moduleState(dm, MODULE), "m1's table took a type of a COMING module");

        first.finish().value();
        assertEquals(2, CoreInvariants.refcount(dm, MODULE));
    }

    @Test
    void byDefaultATypeOfAComingModuleIsHandedOutOnlyOnceTheModuleIsLive() throws Exception {
        start("", "");
        Parked<DeviceInfo> first = firstLoadParkedAt(Step.MODULE_INIT_REGISTERED);

        Async<DeviceInfo> second = loadMirror("m1");
        second.awaitBlockedIn("awaitSettled");
        first.finish().value();
        second.await().value();
        assertEquals(2, CoreInvariants.refcount(dm, MODULE));
        assertEquals(0, dm.modules().freedWhileReferenced());
    }

    @Test
    void whenInitFailsAfterRegisteringTheKernelPolicyLeavesATableOnAFreedModule() throws Exception {
        start("coming-types=take", "dm-mirror:fail-after-register=ENOMEM");
        Parked<DeviceInfo> first = firstLoadParkedAt(Step.MODULE_INIT_REGISTERED);
        assertTrue(loadMirror("m1").await().ok(), "m1 took the type while dm_mirror was COMING");
        assertEquals(Errno.EINVAL, first.finish().errno());

        // The hazard of kernel/module/main.c: do_init_module's failure path (the module is freed while
        // references are held), detected and reported.
        assertEquals(1, dm.modules().freedWhileReferenced());
        assertEquals(1, messagesContaining("freed after its init failed with 1 reference(s) still held").size());
        assertEquals(-1, CoreInvariants.refcount(dm, MODULE));
    }

    @Test
    void whenInitFailsAfterRegisteringTheDefaultPolicyNeverHandsOutTheType() throws Exception {
        start("", "dm-mirror:fail-after-register=ENOMEM");
        Parked<DeviceInfo> first = firstLoadParkedAt(Step.MODULE_INIT_REGISTERED);
        Async<DeviceInfo> second = loadMirror("m1");
        second.awaitBlockedIn("awaitSettled");

        assertEquals(Errno.EINVAL, first.finish().errno());
        assertEquals(Errno.EINVAL, second.await().errno(), "GOING owner: a miss, and its own autoload fails too");
        assertEquals(0, dm.modules().freedWhileReferenced(), "never a table whose type module has been freed");
        assertEquals(-1, CoreInvariants.refcount(dm, MODULE));
        CoreInvariants.assertNoTableHolds(dm);
    }

    // ------------------------------------------------------------------ request_module's cap

    @Test
    void aRequestOverTheConcurrencyCapFailsEtimeAndItsLoadIsUnknownTargetType() throws Exception {
        start("", "");
        int cap = Modules.DEFAULT_REQUEST_MODULE_LIMIT;
        StepGate.Parking init = gate.park(Step.MODULE_INIT, MODULE);
        List<Async<DeviceInfo>> loads = new ArrayList<>();
        for (int i = 0; i <= cap; i++) {
            create("c" + i);
        }
        loads.add(loadMirror("c0"));
        init.awaitArrival();
        for (int i = 1; i < cap; i++) {
            loads.add(loadMirror("c" + i));
        }
        for (Async<DeviceInfo> waiting : loads.subList(1, cap)) {
            waiting.awaitBlockedIn("awaitResult"); // each holds one of the cap's slots
        }
        // One request too many: it waits for a slot (5 s in the kernel), then gives up.
        loadMirror("c" + cap).await().assertFailed(Errno.EINVAL, "unknown target type");
        assertEquals(1, messagesContaining("request_module: modprobe dm-mirror cannot be processed, kmod busy with "
                + cap + " threads").size());

        init.release();
        loads.forEach(load -> load.await().value());
        assertEquals(cap, CoreInvariants.refcount(dm, MODULE));
    }
}

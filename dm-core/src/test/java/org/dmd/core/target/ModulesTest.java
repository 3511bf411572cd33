package org.dmd.core.target;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.stream.Stream;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.dmd.core.module.KernelModule;
import org.dmd.core.target.multipath.IoAffinitySelectorType;
import org.dmd.core.target.multipath.RepeatCountSelectorType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** What every shipped module's init registers, how a failing init rolls back, and what exit removes. */
class ModulesTest {

    private record Expected(List<String> uses, List<String> registrations) {
    }

    private static final Map<String, Expected> EXPECTED = new LinkedHashMap<>();

    static {
        EXPECTED.put("dm-mod", new Expected(List.of(),
                List.of("target error", "target linear", "target striped")));
        EXPECTED.put("dm-zero", new Expected(List.of("dm-mod"), List.of("target zero")));
        EXPECTED.put("dm-delay", new Expected(List.of("dm-mod"), List.of("target delay")));
        EXPECTED.put("dm-flakey", new Expected(List.of("dm-mod"), List.of("target flakey")));
        EXPECTED.put("dm-log", new Expected(List.of("dm-mod"), List.of("dirty-log core", "dirty-log disk")));
        EXPECTED.put("dm-region-hash", new Expected(List.of("dm-log"), List.of()));
        EXPECTED.put("dm-mirror", new Expected(List.of("dm-region-hash", "dm-log", "dm-mod"),
                List.of("target mirror")));
        EXPECTED.put("dm-snapshot", new Expected(List.of("dm-mod"), List.of(
                "exception-store transient", "exception-store N", "exception-store persistent", "exception-store P",
                "target snapshot", "target snapshot-origin", "target snapshot-merge")));
        EXPECTED.put("dm-multipath", new Expected(List.of("dm-mod"), List.of("target multipath")));
        EXPECTED.put("dm-round-robin", new Expected(List.of("dm-multipath"), List.of("path-selector round-robin")));
        EXPECTED.put("dm-queue-length", new Expected(List.of("dm-multipath"), List.of("path-selector queue-length")));
        EXPECTED.put("dm-service-time", new Expected(List.of("dm-multipath"), List.of("path-selector service-time")));
        EXPECTED.put("dm-historical-service-time", new Expected(List.of("dm-multipath"),
                List.of("path-selector historical-service-time")));
        EXPECTED.put("dm-io-affinity", new Expected(List.of("dm-multipath"), List.of("path-selector io-affinity")));
    }

    /** The shipped modules: the service providers of the main code, not the module tests' fixtures. */
    static Stream<KernelModule> modules() {
        return ServiceLoader.load(KernelModule.class).stream()
                .filter(provider -> provider.type().getPackageName().startsWith("org.dmd.core.target"))
                .map(ServiceLoader.Provider::get);
    }

    private static List<String> prefixed(String action, List<String> registrations) {
        return registrations.stream().map(r -> action + " " + r).toList();
    }

    @Test
    void theServiceFileListsEveryShippedModule() {
        assertEquals(EXPECTED.keySet().stream().sorted().toList(),
                modules().map(KernelModule::name).sorted().toList());
    }

    @ParameterizedTest
    @MethodSource("modules")
    void initRegistersInOrderAndExitUnregistersEverything(KernelModule module) throws DmException {
        Expected expected = EXPECTED.get(module.name());
        assertEquals(expected.uses(), module.uses());
        assertTrue(module.hasExit());
        RecordingModuleContext context = new RecordingModuleContext(module.name());

        module.init(context);
        assertEquals(prefixed("register", expected.registrations()), context.journal());

        module.exit(context);
        List<String> reversed = new ArrayList<>(expected.registrations());
        Collections.reverse(reversed);
        List<String> journal = context.journal();
        assertEquals(prefixed("unregister", reversed),
                journal.subList(expected.registrations().size(), journal.size()));
        assertEquals(List.of(), context.allLiveNames());
    }

    @ParameterizedTest
    @MethodSource("modules")
    void aFailingRegistrationRollsBackWhatInitRegistered(KernelModule module) {
        List<String> registrations = EXPECTED.get(module.name()).registrations();
        for (int failing = 0; failing < registrations.size(); failing++) {
            String typeName = registrations.get(failing).substring(registrations.get(failing).lastIndexOf(' ') + 1);
            RecordingModuleContext context = new RecordingModuleContext(module.name())
                    .failRegistration(typeName, Errno.ENOMEM);
            DmException e = assertThrows(DmException.class, () -> module.init(context));
            assertEquals(Errno.ENOMEM, e.errno());
            List<String> done = registrations.subList(0, failing);
            List<String> undone = new ArrayList<>(done);
            Collections.reverse(undone);
            List<String> expected = new ArrayList<>(prefixed("register", done));
            expected.add("fail " + registrations.get(failing));
            expected.addAll(prefixed("unregister", undone));
            assertEquals(expected, context.journal(), module.name() + " failing at " + typeName);
            assertEquals(List.of(), context.allLiveNames());
        }
    }

    @Test
    void dmLogRollsBackCoreWhenDiskFails() {
        RecordingModuleContext context = new RecordingModuleContext("dm-log").failRegistration("disk", Errno.EBUSY);
        KernelModule dmLog = modules().filter(m -> m.name().equals("dm-log")).findFirst().orElseThrow();
        assertEquals(Errno.EBUSY, assertThrows(DmException.class, () -> dmLog.init(context)).errno());
        assertEquals(List.of("register dirty-log core", "fail dirty-log disk", "unregister dirty-log core"),
                context.journal());
    }

    @Test
    void aSecondInitOfTheSameTypesFailsWithoutTouchingTheFirst() throws DmException {
        RecordingModuleContext context = new RecordingModuleContext("dm-mod");
        KernelModule dmMod = modules().filter(m -> m.name().equals("dm-mod")).findFirst().orElseThrow();
        dmMod.init(context);
        assertEquals(Errno.EBUSY, assertThrows(DmException.class, () -> dmMod.init(context)).errno());
        assertEquals(List.of("error", "linear", "striped"), context.targets().names());
    }

    @Test
    void pathSelectorVersionsAreTheOnesTheirModulesAnnounce() {
        assertEquals(Version.of(1, 2, 0), RepeatCountSelectorType.ROUND_ROBIN.version());
        assertEquals(Version.of(0, 2, 0), RepeatCountSelectorType.QUEUE_LENGTH.version());
        assertEquals(Version.of(0, 0, 0), new IoAffinitySelectorType(2).version());
        assertEquals(List.of(1, 0), List.of(RepeatCountSelectorType.ROUND_ROBIN.tableArgs(),
                RepeatCountSelectorType.ROUND_ROBIN.infoArgs()));
    }
}

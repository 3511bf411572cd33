package org.dmd.core.control;

import static org.dmd.core.testing.LincheckScenario.op;

import java.util.HashMap;
import java.util.Map;
import kotlin.Unit;
import kotlin.jvm.functions.Function1;
import org.dmd.core.control.Replies.DeviceInfo;
import org.dmd.core.testing.LincheckScenario;
import org.dmd.core.testing.LincheckWarmUp;
import org.dmd.core.testing.Outcome;
import org.dmd.core.testing.TestRequests;
import org.jetbrains.lincheck.datastructures.DSLScenarioBuilder;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.StressOptions;
import org.junit.jupiter.api.Test;

/**
 * Linearizability of the name/uuid index, driven through {@link DeviceMapper} (create, remove,
 * rename, set-uuid, lookups by name and by uuid), against {@link Spec}: two maps and the
 * kernel's order of checks (dm-ioctl.c: dm_hash_insert, dm_hash_rename, __find_device_hash_cell). Every command is meaningful in any
 * order; a failure returns its errno name.
 *
 * <p>Minor numbers are deliberately not compared: a removed device's minor stays allocated until
 * its destruction completes, after its name is already free (dm.c: free_minor runs in __dm_destroy), so minors
 * are not a function of the index's linear history.
 */
@Param(name = "name", gen = IntGen.class, conf = "0:1")
@Param(name = "uuid", gen = IntGen.class, conf = "0:1")
public class DeviceIndexLincheckTest {

    private static final String[] NAMES = {"a", "b"};
    private static final String[] UUIDS = {"u0", "u1"};
    private static final String OK = "OK";
    private static final String NO_UUID = "-";

    static {
        LincheckWarmUp.run();
    }

    private final DeviceMapper dm = DeviceMapper.builder().build();

    /** Every scenario starts with device "a" (uuid u0). */
    public DeviceIndexLincheckTest() {
        create(0);
        setUuid(0, 0);
    }

    private static String result(Outcome<?> outcome) {
        return outcome.ok() ? OK : outcome.errno().name();
    }

    @Operation
    public String create(@Param(name = "name") int name) {
        return result(Outcome.of(() -> dm.devCreate(TestRequests.create(NAMES[name]))));
    }

    @Operation
    public String createWithUuid(@Param(name = "name") int name, @Param(name = "uuid") int uuid) {
        return result(Outcome.of(() -> dm.devCreate(TestRequests.create(NAMES[name], UUIDS[uuid]))));
    }

    @Operation
    public String remove(@Param(name = "name") int name) {
        return result(Outcome.of(() -> dm.devRemove(TestRequests.remove(NAMES[name]))));
    }

    @Operation
    public String rename(@Param(name = "name") int name, @Param(name = "name") int newName) {
        return result(Outcome.of(() -> dm.devRename(TestRequests.rename(NAMES[name], NAMES[newName]))));
    }

    @Operation
    public String setUuid(@Param(name = "name") int name, @Param(name = "uuid") int uuid) {
        return result(Outcome.of(() -> dm.devRename(TestRequests.setUuid(NAMES[name], UUIDS[uuid]))));
    }

    /** The device's uuid ("-" if none), or the errno. */
    @Operation
    public String statusByName(@Param(name = "name") int name) {
        Outcome<DeviceInfo> found = Outcome.of(() -> dm.devStatus(TestRequests.status(NAMES[name])));
        return found.ok() ? String.valueOf(found.value().uuid() == null ? NO_UUID : found.value().uuid())
                : found.errno().name();
    }

    /** The device's name, or the errno. */
    @Operation
    public String statusByUuid(@Param(name = "uuid") int uuid) {
        Outcome<DeviceInfo> found = Outcome.of(() -> dm.devStatus(TestRequests.statusByUuid(UUIDS[uuid])));
        return found.ok() ? found.value().name() : found.errno().name();
    }

    @Test
    public void modelChecking() {
        new ModelCheckingOptions()
                .iterations(3)
                .invocationsPerIteration(300)
                .threads(2)
                .actorsPerThread(3)
                .actorsBefore(1)
                .actorsAfter(1)
                .sequentialSpecification(Spec.class)
                .addCustomScenario(RENAME_VS_LOOKUPS)
                .addCustomScenario(RACING_CLAIMS_ON_ONE_NAME)
                .check(getClass());
    }

    @Test
    public void stress() {
        new StressOptions()
                .iterations(25)
                .invocationsPerIteration(1_000)
                .threads(3)
                .actorsPerThread(3)
                .actorsBefore(1)
                .actorsAfter(1)
                .sequentialSpecification(Spec.class)
                .check(getClass());
    }

    /** dm_hash_rename: lookups by the old name, the new name and the uuid race a rename. */
    private static final Function1<DSLScenarioBuilder, Unit> RENAME_VS_LOOKUPS =
            LincheckScenario.of(DeviceIndexLincheckTest.class)
                    .thread(op("rename", 0, 1), op("rename", 1, 0))
                    .thread(op("statusByName", 0), op("statusByUuid", 0), op("statusByName", 1))
                    .build();

    /** dm_hash_insert vs dm_hash_rename: a create, a rename and a remove-and-recreate all claim name "b". */
    private static final Function1<DSLScenarioBuilder, Unit> RACING_CLAIMS_ON_ONE_NAME =
            LincheckScenario.of(DeviceIndexLincheckTest.class)
                    .thread(op("createWithUuid", 1, 1), op("remove", 1))
                    .thread(op("rename", 0, 1), op("statusByUuid", 1))
                    .post(op("statusByName", 1), op("statusByName", 0))
                    .build();

    /** The sequential model: devices by name with an optional uuid, uuids unique. */
    public static final class Spec {
        /** name → uuid (NO_UUID if none). */
        private final Map<String, String> uuidOf = new HashMap<>();

        public Spec() {
            create(0);
            setUuid(0, 0);
        }

        private boolean uuidTaken(String uuid) {
            return uuidOf.containsValue(uuid);
        }

        public String create(int name) {
            if (uuidOf.containsKey(NAMES[name])) {
                return "EBUSY";
            }
            uuidOf.put(NAMES[name], NO_UUID);
            return OK;
        }

        public String createWithUuid(int name, int uuid) {
            if (uuidOf.containsKey(NAMES[name]) || uuidTaken(UUIDS[uuid])) {
                return "EBUSY";
            }
            uuidOf.put(NAMES[name], UUIDS[uuid]);
            return OK;
        }

        public String remove(int name) {
            return uuidOf.remove(NAMES[name]) == null ? "ENXIO" : OK;
        }

        /** The kernel's order: new name in use → EBUSY, before the old one is even looked up. */
        public String rename(int name, int newName) {
            if (uuidOf.containsKey(NAMES[newName])) {
                return "EBUSY";
            }
            if (!uuidOf.containsKey(NAMES[name])) {
                return "ENXIO";
            }
            uuidOf.put(NAMES[newName], uuidOf.remove(NAMES[name]));
            return OK;
        }

        public String setUuid(int name, int uuid) {
            if (uuidTaken(UUIDS[uuid])) {
                return "EBUSY";
            }
            String current = uuidOf.get(NAMES[name]);
            if (current == null) {
                return "ENXIO";
            }
            if (!current.equals(NO_UUID)) {
                return "EINVAL";
            }
            uuidOf.put(NAMES[name], UUIDS[uuid]);
            return OK;
        }

        public String statusByName(int name) {
            String uuid = uuidOf.get(NAMES[name]);
            return uuid == null ? "ENXIO" : uuid;
        }

        public String statusByUuid(int uuid) {
            return uuidOf.entrySet().stream().filter(e -> e.getValue().equals(UUIDS[uuid])).map(Map.Entry::getKey)
                    .findFirst().orElse("ENXIO");
        }
    }
}

package org.dmd.core.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.function.BiFunction;
import java.util.stream.Stream;
import org.dmd.core.errno.Errno;
import org.dmd.core.testing.CoreInvariants;
import org.dmd.core.testing.Outcome;
import org.dmd.core.testing.TestRequests;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The dispatcher's key check and LOOKUP (dm-ioctl.c: validate_params, __find_device_hash_cell), for every command that
 * looks a device up: name and uuid together are EINVAL; a missing device, a second key besides
 * the one used, a device number of another major or nothing at all are ENXIO; each key alone finds
 * the device.
 */
class LookupErrnoTest {

    /** A command addressed by (name, uuid, dev). */
    interface Command {
        Outcome<?> run(DeviceMapper dm, String name, String uuid, String dev);
    }

    private static final Set<DmFlag> NONE = Set.of();
    private final DeviceMapper dm = DeviceMapper.builder().build();

    @BeforeEach
    void createDevice() {
        Outcome.of(() -> dm.devCreate(TestRequests.create("a", "U"))).value();
    }

    @AfterEach
    void close() {
        dm.close();
    }

    private static Arguments command(String name, Command command) {
        return Arguments.of(name, command);
    }

    static Stream<Arguments> commands() {
        return Stream.of(
                command("DEV_STATUS", (dm, n, u, d) -> Outcome.of(() -> dm.devStatus(new Requests.DevStatus(n, u, d, NONE)))),
                command("DEV_SUSPEND", (dm, n, u, d) -> Outcome.of(() -> dm.devSuspend(
                        new Requests.DevSuspend(n, u, d, Set.of(DmFlag.SUSPEND), 0)))),
                command("DEV_WAIT", (dm, n, u, d) -> Outcome.of(() -> dm.devWait(
                        new Requests.DevWait(n, u, d, NONE, 1)).join())),
                command("TABLE_CLEAR", (dm, n, u, d) -> Outcome.of(() -> dm.tableClear(new Requests.TableClear(n, u, d, NONE)))),
                command("TABLE_DEPS", (dm, n, u, d) -> Outcome.of(() -> dm.tableDeps(new Requests.TableDeps(n, u, d, NONE)))),
                command("TABLE_STATUS", (dm, n, u, d) -> Outcome.of(() -> dm.tableStatus(
                        new Requests.TableStatus(n, u, d, NONE)))),
                command("TARGET_MSG", (dm, n, u, d) -> Outcome.of(() -> dm.targetMsg(
                        new Requests.TargetMsg(n, u, d, NONE, 0, "@cancel_deferred_remove")))),
                command("DEV_SET_GEOMETRY", (dm, n, u, d) -> Outcome.of(() -> dm.devSetGeometry(
                        new Requests.DevSetGeometry(n, u, d, NONE, "1 1 1 0")))),
                command("BLOCK_OPEN", (dm, n, u, d) -> Outcome.of(() -> dm.blockOpen(new Requests.BlockOpen(n, u, d)))),
                command("DEV_REMOVE", (dm, n, u, d) -> Outcome.of(() -> dm.devRemove(
                        new Requests.DevRemove(n, u, d, NONE, 0)))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("commands")
    void nameAndUuidTogetherAreEINVAL(String name, Command command) {
        Outcome<?> both = command.run(dm, "a", "U", null);
        both.assertFailed(Errno.EINVAL, "not both");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("commands")
    void keysThatFindNothingAreENXIO(String name, Command command) {
        BiFunction<String, String, Errno> byUuidAndDev = (u, d) -> command.run(dm, null, u, d).errno();
        assertEquals(Errno.ENXIO, command.run(dm, "missing", null, null).errno());
        assertEquals(Errno.ENXIO, command.run(dm, null, "missing", null).errno());
        assertEquals(Errno.ENXIO, command.run(dm, null, null, "253:1").errno());
        assertEquals(Errno.ENXIO, command.run(dm, null, null, "254:0").errno(), "a device number of another major");
        assertEquals(Errno.ENXIO, command.run(dm, null, null, "7:0").errno());
        assertEquals(Errno.ENXIO, command.run(dm, "a", null, "253:0").errno(), "name and dev: no match");
        assertEquals(Errno.ENXIO, byUuidAndDev.apply("U", "253:0"), "uuid and dev: no match");
        assertEquals(Errno.ENXIO, command.run(dm, null, null, null).errno(), "nothing given");
        assertEquals(Errno.ENXIO, command.run(dm, "", "", "").errno(), "empty strings are absent");
        CoreInvariants.assertSettled(dm);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("commands")
    void eachKeyAloneFindsTheDevice(String name, Command command) {
        assertTrue(command.run(dm, null, null, "253:0").ok(), "by dev");
        if (name.equals("DEV_REMOVE")) {
            Outcome.of(() -> dm.devCreate(TestRequests.create("a", "U"))).value();
        }
        assertTrue(command.run(dm, null, "U", null).ok(), "by uuid");
        if (name.equals("DEV_REMOVE")) {
            Outcome.of(() -> dm.devCreate(TestRequests.create("a", "U"))).value();
        }
        assertTrue(command.run(dm, "a", null, null).ok(), "by name");
    }
}

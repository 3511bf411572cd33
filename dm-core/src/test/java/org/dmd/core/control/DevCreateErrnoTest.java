package org.dmd.core.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Stream;
import org.dmd.core.control.Replies.DeviceInfo;
import org.dmd.core.errno.Errno;
import org.dmd.core.testing.CoreInvariants;
import org.dmd.core.testing.Outcome;
import org.dmd.core.testing.TestRequests;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

/** DM_DEV_CREATE's errno rows (dm-ioctl.c: dev_create, dm_hash_insert, check_name, invalid_str; dm.c: dm_create). */
class DevCreateErrnoTest {

    private final DeviceMapper dm = DeviceMapper.builder().build();

    @AfterEach
    void close() {
        dm.close();
    }

    private Outcome<DeviceInfo> create(Requests.DevCreate request) {
        return Outcome.of(() -> dm.devCreate(request));
    }

    static Stream<String> badNames() {
        return Stream.of("/", "a/b", "/dev", "control", ".", "..", "x".repeat(128), "a\0b", "é".repeat(64));
    }

    @ParameterizedTest
    @NullAndEmptySource
    @MethodSource("badNames")
    void badNamesAreEINVAL(String name) {
        assertEquals(Errno.EINVAL, create(TestRequests.create(name)).errno());
        CoreInvariants.assertQuiescent(dm);
    }

    @ParameterizedTest
    @ValueSource(strings = {"a", "controls", "...", "a b", "dm-0", "ü", "LVM-vg-lv"})
    void otherNamesAreAccepted(String name) {
        assertEquals(name, create(TestRequests.create(name)).value().name());
        assertEquals(name, create(TestRequests.create("x".repeat(127))).ok() ? name : null, "127 bytes fit");
    }

    @Test
    void aNameOrUuidInUseIsEBUSY() {
        create(TestRequests.create("a", "U")).value();
        assertEquals(Errno.EBUSY, create(TestRequests.create("a")).errno());
        Outcome<DeviceInfo> uuidTaken = create(TestRequests.create("b", "U"));
        uuidTaken.assertFailed(Errno.EBUSY, "uuid");
        CoreInvariants.assertSettled(dm);
        assertEquals(1, dm.coreReferences(), "the losers' minors and dm-mod references were released");
    }

    @Test
    void badUuidsAreEINVAL() {
        assertEquals(Errno.EINVAL, create(TestRequests.create("a", "u".repeat(129))).errno());
        assertEquals(Errno.EINVAL, create(TestRequests.create("a", "u\0")).errno());
        assertTrue(create(TestRequests.create("a", "u".repeat(128))).ok());
    }

    @Test
    void aRequestedMinorThatIsTakenIsENXIOWithTheReason() {
        assertEquals("253:5", create(TestRequests.createAt("a", "253:5")).value().dev());
        Outcome<DeviceInfo> taken = create(TestRequests.createAt("b", "253:5"));
        taken.assertFailed(Errno.ENXIO, "minor 5 is in use");
        assertEquals("253:6", create(TestRequests.createAt("c", "7:6")).value().dev(), "the major is ignored");
        assertEquals("253:0", create(TestRequests.create("d")).value().dev());
    }

    @ParameterizedTest
    @ValueSource(strings = {"253:1048576", "253:4294967295", "4096:0"})
    void aRequestedMinorOutOfRangeIsENXIO(String dev) {
        Outcome<DeviceInfo> outOfRange = create(TestRequests.createAt("a", dev));
        assertEquals(Errno.ENXIO, outOfRange.errno(), outOfRange.toString());
        CoreInvariants.assertQuiescent(dm);
    }

    @Test
    void aCreateAfterShutdownIsENXIO() throws Exception {
        dm.shutdown(false);
        Outcome<DeviceInfo> refused = create(TestRequests.create("a"));
        refused.assertFailed(Errno.ENXIO, "shutting down");
        CoreInvariants.assertQuiescent(dm);
    }

    @Test
    void theReplyIsAFreshTableLessDevice() {
        long events = dm.globalEventNr();
        Set<DmFlag> sent = EnumSet.of(DmFlag.EXISTS, DmFlag.INACTIVE_PRESENT, DmFlag.UEVENT_GENERATED,
                DmFlag.BUFFER_FULL, DmFlag.SUSPEND, DmFlag.READONLY);
        DeviceInfo created = create(new Requests.DevCreate("a", "U", null, sent, 0)).value();
        assertEquals(new DeviceInfo("a", "U", "253:0", EnumSet.of(DmFlag.EXISTS), 0, 0, 0), created);
        assertEquals(events + 1, dm.globalEventNr(), "a create issues a global event");
    }

    @Test
    void aNameAndAUuidTogetherAreFineForCreate() {
        assertTrue(create(TestRequests.create("a", "U")).ok());
    }
}

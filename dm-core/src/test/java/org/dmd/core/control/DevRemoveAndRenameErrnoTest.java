package org.dmd.core.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Stream;
import org.dmd.core.control.Replies.DeviceInfo;
import org.dmd.core.control.Replies.Removed;
import org.dmd.core.device.OpenDevice;
import org.dmd.core.errno.Errno;
import org.dmd.core.testing.CoreInvariants;
import org.dmd.core.testing.Outcome;
import org.dmd.core.testing.TestRequests;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;

/** DM_DEV_REMOVE, DM_REMOVE_ALL and DM_DEV_RENAME errno rows (dm-ioctl.c: dev_remove, dm_hash_remove_all, dev_rename, dm_hash_rename). */
class DevRemoveAndRenameErrnoTest {

    private final DeviceMapper dm = DeviceMapper.builder().build();

    @AfterEach
    void close() {
        dm.close();
    }

    private DeviceInfo create(String name, String uuid) {
        return Outcome.of(() -> dm.devCreate(TestRequests.create(name, uuid))).value();
    }

    private Outcome<Removed> remove(Requests.DevRemove request) {
        return Outcome.of(() -> dm.devRemove(request));
    }

    private Outcome<DeviceInfo> rename(Requests.DevRename request) {
        return Outcome.of(() -> dm.devRename(request));
    }

    // ------------------------------------------------------------------ remove

    @Test
    void removingAMissingDeviceIsENXIO() {
        assertEquals(Errno.ENXIO, remove(TestRequests.remove("a")).errno());
    }

    @Test
    void removingAnOpenDeviceIsEBUSYUnlessDeferred() {
        create("a", null);
        OpenDevice opened = Outcome.of(() -> dm.blockOpen(TestRequests.open("a"))).value();
        Outcome<Removed> busy = remove(TestRequests.remove("a"));
        busy.assertFailed(Errno.EBUSY, "open");
        assertFalse(Outcome.of(() -> dm.devStatus(TestRequests.status("a"))).value().flags()
                .contains(DmFlag.DEFERRED_REMOVE), "a plain remove does not mark");

        long events = dm.globalEventNr();
        Removed deferred = remove(TestRequests.removeDeferred("a")).value();
        assertTrue(deferred.flags().contains(DmFlag.DEFERRED_REMOVE));
        assertEquals(events, dm.globalEventNr(), "nothing was removed yet");
        opened.close();
        CoreInvariants.assertQuiescent(dm);
    }

    @Test
    void aDeferredRemoveOfAnUnopenedDeviceRemovesItAndClearsTheFlag() {
        create("a", "U");
        long events = dm.globalEventNr();
        Removed removed = Outcome.of(() -> dm.devRemove(new Requests.DevRemove(null, null, "253:0",
                EnumSet.of(DmFlag.DEFERRED_REMOVE, DmFlag.EXISTS, DmFlag.UEVENT_GENERATED), 0))).value();
        assertEquals(new Removed("a", "U", EnumSet.of(DmFlag.EXISTS)), removed, "lookup fills name and uuid");
        assertEquals(events + 1, dm.globalEventNr());
        CoreInvariants.assertQuiescent(dm);
    }

    @Test
    void removeAllAlwaysSucceeds() {
        assertEquals(new Replies.RemoveAllDone(0, 0), dm.removeAll(TestRequests.removeAll()));
        create("a", null);
        create("b", null);
        assertEquals(new Replies.RemoveAllDone(2, 0), dm.removeAll(TestRequests.removeAll()));
        CoreInvariants.assertQuiescent(dm);
    }

    // ------------------------------------------------------------------ rename

    static Stream<String> badNewNames() {
        return Stream.of("/", "a/b", "control", ".", "..", "x".repeat(128), "a\0");
    }

    @ParameterizedTest
    @NullAndEmptySource
    @MethodSource("badNewNames")
    void badNewNamesAreEINVAL(String newName) {
        create("a", null);
        assertEquals(Errno.EINVAL, rename(TestRequests.rename("a", newName)).errno());
        assertEquals(Errno.EINVAL, rename(TestRequests.rename("missing", newName)).errno(),
                "the new string is checked before the device is looked up");
    }

    @Test
    void badNewUuidsAreEINVAL() {
        create("a", null);
        assertEquals(Errno.EINVAL, rename(TestRequests.setUuid("a", "")).errno());
        assertEquals(Errno.EINVAL, rename(TestRequests.setUuid("a", "u".repeat(129))).errno());
        assertTrue(rename(TestRequests.setUuid("a", "u".repeat(128))).ok());
    }

    @Test
    void aNewNameInUseIsEBUSYEvenBeforeTheDeviceIsLookedUp() {
        create("a", null);
        create("b", null);
        assertEquals(Errno.EBUSY, rename(TestRequests.rename("a", "b")).errno());
        assertEquals(Errno.EBUSY, rename(TestRequests.rename("missing", "b")).errno(), "kernel order: EBUSY first");
        assertEquals(Errno.EBUSY, rename(TestRequests.rename("a", "a")).errno());
        assertEquals(Errno.ENXIO, rename(TestRequests.rename("missing", "c")).errno());
        assertEquals(Errno.ENXIO, rename(new Requests.DevRename(null, "c", null, Set.of(), 0)).errno());
    }

    @Test
    void aUuidIsSetOnceAndUnique() {
        create("a", null);
        create("b", "B");
        assertEquals(Errno.EBUSY, rename(TestRequests.setUuid("a", "B")).errno());
        assertTrue(rename(TestRequests.setUuid("a", "A")).ok());
        Outcome<DeviceInfo> again = rename(TestRequests.setUuid("a", "A2"));
        again.assertFailed(Errno.EINVAL, "already has uuid A");
        assertEquals(Errno.EINVAL, rename(TestRequests.setUuid("b", "B2")).errno(), "a uuid set at create is set");
        assertEquals(Errno.ENXIO, rename(TestRequests.setUuid("missing", "C")).errno());
        assertEquals("a", Outcome.of(() -> dm.devStatus(TestRequests.statusByUuid("A"))).value().name());
    }

    @Test
    void aRenameReplyKeepsTheOldNameAndMovesBothKeys() {
        create("a", "U");
        long events = dm.globalEventNr();
        DeviceInfo renamed = rename(TestRequests.rename("a", "b")).value();
        assertEquals("a", renamed.name(), "the kernel leaves the request's name in the header");
        assertEquals("253:0", renamed.dev());
        assertFalse(renamed.flags().contains(DmFlag.UEVENT_GENERATED), "no disk, no uevent");
        assertEquals(0, renamed.eventNr(), "no live table, no table event");
        assertEquals(events + 1, dm.globalEventNr());
        assertEquals("b", Outcome.of(() -> dm.devStatus(TestRequests.statusByUuid("U"))).value().name());
        assertEquals(Errno.ENXIO, Outcome.of(() -> dm.devStatus(TestRequests.status("a"))).errno());
        CoreInvariants.assertSettled(dm);
    }
}

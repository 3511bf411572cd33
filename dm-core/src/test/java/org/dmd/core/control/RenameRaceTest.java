package org.dmd.core.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.dmd.core.concurrent.Step;
import org.dmd.core.control.Replies.DeviceInfo;
import org.dmd.core.control.Replies.TableLines;
import org.dmd.core.errno.Errno;
import org.dmd.core.testing.Async;
import org.dmd.core.testing.CoreInvariants;
import org.dmd.core.testing.GatedDeviceMapperTest;
import org.dmd.core.testing.Outcome;
import org.dmd.core.testing.Parked;
import org.dmd.core.testing.TestRequests;
import org.junit.jupiter.api.Test;

/**
 * dm-ioctl.c: dm_hash_rename vs __find_device_hash_cell and vs create/remove/rename: the device is found under
 * exactly one name at every instant; of competing claims on one name exactly one wins (EBUSY for
 * the others); renaming a removed device is ENXIO; a uuid is set at most once.
 */
class RenameRaceTest extends GatedDeviceMapperTest {

    private Outcome<DeviceInfo> rename(String name, String newName) {
        return Outcome.of(() -> dm.devRename(TestRequests.rename(name, newName)));
    }

    /** A rename parked after its argument checks, before the index lock. */
    private Parked<DeviceInfo> renameParkedAt(String name, String newName) {
        return Parked.start(gate.park(Step.RENAME_CHECKED, name), "rename " + name,
                () -> dm.devRename(TestRequests.rename(name, newName)));
    }

    @Test
    void concurrentLookupsFindTheDeviceUnderExactlyOneName() throws Exception {
        Outcome.of(() -> dm.devCreate(TestRequests.create("a", "U"))).value();
        int renames = 300;
        Async<Void> renamer = Async.start("renamer", () -> {
            for (int i = 0; i < renames; i++) {
                dm.devRename(i % 2 == 0 ? TestRequests.rename("a", "b") : TestRequests.rename("b", "a"));
            }
            return null;
        });
        for (int i = 0; i < renames; i++) {
            List<String> listed = names();
            assertTrue(listed.equals(List.of("a")) || listed.equals(List.of("b")), "listed " + listed);
            String byUuid = Outcome.of(() -> dm.devStatus(TestRequests.statusByUuid("U"))).value().name();
            assertTrue(byUuid.equals("a") || byUuid.equals("b"), byUuid);
        }
        renamer.await().value();
        assertEquals(List.of("a"), names());
        CoreInvariants.assertSettled(dm);
    }

    @Test
    void ofTwoRenamesToOneNameExactlyOneWins() {
        create("a");
        create("b");
        Parked<DeviceInfo> first = renameParkedAt("a", "c");
        assertTrue(rename("b", "c").ok());

        assertEquals(Errno.EBUSY, first.finish().errno());
        assertEquals(List.of("a", "c"), names());
        CoreInvariants.assertSettled(dm);
    }

    @Test
    void ofARenameAndACreateClaimingOneNameExactlyOneWins() {
        create("a");
        Parked<DeviceInfo> creator = Parked.start(gate.park(Step.CREATE_PUBLISHED, "c"), "create c",
                () -> dm.devCreate(TestRequests.create("c")));
        assertTrue(rename("a", "c").ok());

        assertEquals(Errno.EBUSY, creator.finish().errno());
        assertEquals(List.of("c"), names());
        assertTrue(dm.minors().isFree(1), "the losing create released its minor");
        CoreInvariants.assertSettled(dm);
    }

    @Test
    void renamingADeviceRemovedMeanwhileIsENXIO() {
        create("a");
        Parked<DeviceInfo> renamer = renameParkedAt("a", "b");
        assertTrue(Outcome.of(() -> dm.devRemove(TestRequests.remove("a"))).ok());

        assertEquals(Errno.ENXIO, renamer.finish().errno());
        CoreInvariants.assertQuiescent(dm);
    }

    @Test
    void aUuidIsSetAtMostOnce() {
        create("a");
        create("b");
        Parked<DeviceInfo> first = Parked.start(gate.park(Step.RENAME_CHECKED, "a"), "set uuid U1",
                () -> dm.devRename(TestRequests.setUuid("a", "U1")));
        assertTrue(Outcome.of(() -> dm.devRename(TestRequests.setUuid("a", "U2"))).ok());

        assertEquals(Errno.EINVAL, first.finish().errno(), "the uuid was set meanwhile and never changes");
        assertEquals("U2", status("a").value().uuid());
        assertEquals(Errno.EBUSY, Outcome.of(() -> dm.devRename(TestRequests.setUuid("b", "U2"))).errno(),
                "another device holds that uuid");
        CoreInvariants.assertSettled(dm);
    }

    @Test
    void aRenameWakesNoWaiterOfATableLessDevice() throws Exception {
        create("a");
        CompletableFuture<TableLines> waiter = dm.devWait(TestRequests.waitEvent("a", 0));
        assertTrue(rename("a", "b").ok());
        assertFalse(waiter.isDone(), "without a live table a rename raises no event");
        assertEquals(0, status("b").value().eventNr());

        assertTrue(Outcome.of(() -> dm.devRemove(TestRequests.remove("b"))).ok());
        assertTrue(waiter.isCompletedExceptionally());
        CoreInvariants.assertQuiescent(dm);
    }
}

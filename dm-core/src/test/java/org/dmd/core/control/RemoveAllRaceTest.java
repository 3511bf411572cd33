package org.dmd.core.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.dmd.core.concurrent.Step;
import org.dmd.core.control.Replies.RemoveAllDone;
import org.dmd.core.device.OpenDevice;
import org.dmd.core.testing.Async;
import org.dmd.core.testing.CoreInvariants;
import org.dmd.core.testing.EventRecorder;
import org.dmd.core.testing.GatedDeviceMapperTest;
import org.dmd.core.testing.Outcome;
import org.dmd.core.testing.Parked;
import org.dmd.core.testing.TestRequests;
import org.junit.jupiter.api.Test;

/**
 * dm-ioctl.c: dm_hash_remove_all vs a concurrent dev_create, and its restart loop: remove-all
 * restarts from the first name after every removal, so devices created during the walk are
 * removed too; it terminates; it removes every device it saw; open devices are left (and marked
 * for deferred removal when asked).
 */
class RemoveAllRaceTest extends GatedDeviceMapperTest {

    @Test
    void devicesCreatedDuringTheWalkAreRemovedToo() {
        create("b");
        create("c");
        Parked<RemoveAllDone> removeAll = Parked.start(gate.park(Step.REMOVE_ALL_RESTART, 1), "remove-all",
                () -> dm.removeAll(TestRequests.removeAll()));
        assertEquals(List.of("c"), names(), "the walk removed the first name, then paused");
        create("a");
        create("z");

        assertEquals(new RemoveAllDone(4, 0), removeAll.finish().value());
        CoreInvariants.assertQuiescent(dm);
    }

    @Test
    void removeAllTerminatesWhileCreatesContinueAndRemovesEveryDeviceItSaw() {
        Set<String> before = new HashSet<>();
        for (int i = 0; i < 20; i++) {
            before.add(create("before-" + i).name());
        }
        int creates = 300;
        Async<List<String>> creator = Async.start("creator", () -> {
            List<String> created = new ArrayList<>();
            for (int i = 0; i < creates; i++) {
                created.add(dm.devCreate(TestRequests.create("during-" + i)).name());
            }
            return created;
        });
        RemoveAllDone done = dm.removeAll(TestRequests.removeAll());
        List<String> created = creator.await().value();

        Set<String> left = new HashSet<>(names());
        left.retainAll(before);
        assertEquals(Set.of(), left, "remove-all left devices it saw");
        assertTrue(new HashSet<>(created).containsAll(names()), "only devices created later may remain");
        assertEquals(before.size() + creates, done.removed() + names().size());
        CoreInvariants.assertSettled(dm);
        dm.removeAll(TestRequests.removeAll());
        CoreInvariants.assertQuiescent(dm);
    }

    @Test
    void openDevicesAreLeftAndMarkedForDeferredRemovalWhenAsked() throws Exception {
        create("a");
        create("b");
        OpenDevice opened = open("b");
        try (EventRecorder events = EventRecorder.on(dm)) {
            assertEquals(new RemoveAllDone(1, 1), dm.removeAll(TestRequests.removeAll()));
            events.awaitMessage("remove_all left 1 open device(s)");
        }
        assertTrue(!status("b").value().flags().contains(DmFlag.DEFERRED_REMOVE));

        assertEquals(new RemoveAllDone(0, 1), dm.removeAll(new Requests.RemoveAll(EnumSet.of(DmFlag.DEFERRED_REMOVE))));
        assertTrue(status("b").value().flags().contains(DmFlag.DEFERRED_REMOVE));
        opened.close();
        assertEquals(List.of(), names());
        CoreInvariants.assertQuiescent(dm);
        assertTrue(Outcome.of(() -> dm.devCreate(TestRequests.create("again"))).ok());
    }
}

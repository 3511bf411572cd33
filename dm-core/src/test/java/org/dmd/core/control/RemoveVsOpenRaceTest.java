package org.dmd.core.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import org.dmd.core.concurrent.Step;
import org.dmd.core.control.Replies.DeviceInfo;
import org.dmd.core.control.Replies.MessageOutput;
import org.dmd.core.control.Replies.Removed;
import org.dmd.core.device.OpenDevice;
import org.dmd.core.errno.Errno;
import org.dmd.core.testing.Async;
import org.dmd.core.testing.CoreInvariants;
import org.dmd.core.testing.GatedDeviceMapperTest;
import org.dmd.core.testing.Outcome;
import org.dmd.core.testing.Parked;
import org.dmd.core.testing.StepGate;
import org.dmd.core.testing.TestRequests;
import org.junit.jupiter.api.Test;

/**
 * dm.c: dm_lock_for_deletion vs dm_blk_open, remove vs open: exactly one wins under the MinorTable guard, in both
 * orders. Deferred removal happens exactly once, on the last close; an open arriving after
 * DELETING fails ENXIO; {@code @cancel_deferred_remove} prevents the removal before DELETING and
 * is refused with EBUSY once the deferred removal has set it.
 */
class RemoveVsOpenRaceTest extends GatedDeviceMapperTest {

    private Outcome<Removed> remove(String name) {
        return Outcome.of(() -> dm.devRemove(TestRequests.remove(name)));
    }

    private Outcome<MessageOutput> cancelDeferredRemove(String name) {
        return Outcome.of(() -> dm.targetMsg(TestRequests.message(name, "@cancel_deferred_remove")));
    }

    @Test
    void openFirstMakesRemoveBusy() {
        create("a");
        Parked<Removed> remover = Parked.start(gate.park(Step.REMOVE_FOUND, "a"), "remove a",
                () -> dm.devRemove(TestRequests.remove("a")));
        OpenDevice opened = open("a");

        assertEquals(Errno.EBUSY, remover.finish().errno());
        assertEquals(1, status("a").value().openCount());
        opened.close();
        assertTrue(remove("a").ok());
        CoreInvariants.assertQuiescent(dm);
    }

    @Test
    void openFirstTurnsADeferredRemoveIntoASuccessfulDeferral() {
        create("a");
        StepGate.Parking found = gate.park(Step.REMOVE_FOUND, "a");
        Async<Removed> remover = Async.start("remove --deferred a",
                () -> dm.devRemove(TestRequests.removeDeferred("a")));
        found.awaitArrival();
        OpenDevice opened = open("a");

        found.release();
        Removed deferred = remover.await().value();
        assertTrue(deferred.flags().contains(DmFlag.DEFERRED_REMOVE), "the flag tells the caller it was deferred");
        assertTrue(status("a").value().flags().contains(DmFlag.DEFERRED_REMOVE));
        opened.close();
        assertEquals(Errno.ENXIO, status("a").errno(), "the last close removed it");
        CoreInvariants.assertQuiescent(dm);
    }

    @Test
    void deletingFirstMakesTheOpenFailWithENXIO() {
        create("a");
        Parked<OpenDevice> opener = Parked.start(gate.park(Step.OPEN_BEFORE_GUARD, 0), "open a",
                () -> dm.blockOpen(TestRequests.open("a")));
        Async<Removed> remover = Async.start("remove a", () -> dm.devRemove(TestRequests.remove("a")));
        remover.awaitBlockedIn("awaitRelease");

        Outcome<OpenDevice> open = opener.finish();
        open.assertFailed(Errno.ENXIO, "being removed");
        assertTrue(remover.await().ok());
        CoreInvariants.assertQuiescent(dm);
    }

    @Test
    void unforcedRemoveAndOpenHaveExactlyOneWinner() throws Exception {
        for (int round = 0; round < 50; round++) {
            create("a");
            CyclicBarrier start = new CyclicBarrier(2);
            Async<Removed> remover = Async.start("remove", () -> {
                start.await();
                return dm.devRemove(TestRequests.remove("a"));
            });
            Async<OpenDevice> opener = Async.start("open", () -> {
                start.await();
                return dm.blockOpen(TestRequests.open("a"));
            });
            Outcome<Removed> removed = remover.await();
            Outcome<OpenDevice> opened = opener.await();
            if (opened.ok()) {
                assertEquals(Errno.EBUSY, removed.errno(), "round " + round);
                opened.value().close();
                assertTrue(remove("a").ok());
            } else {
                assertTrue(removed.ok(), "round " + round + ": " + removed);
                assertEquals(Errno.ENXIO, opened.errno());
            }
            CoreInvariants.assertQuiescent(dm);
        }
    }

    @Test
    void deferredRemoveIsPerformedOnceOnTheLastClose() {
        create("a");
        OpenDevice first = open("a");
        OpenDevice second = open("a");
        assertTrue(Outcome.of(() -> dm.devRemove(TestRequests.removeDeferred("a"))).value().flags()
                .contains(DmFlag.DEFERRED_REMOVE));
        OpenDevice third = open("a");
        first.close();
        third.close();
        assertEquals(1, status("a").value().openCount(), "not the last close: the device stays");
        assertEquals(0, gate.count(Step.REMOVE_UNHASHED, "a"));

        second.close();
        second.close();
        assertEquals(Errno.ENXIO, status("a").errno());
        assertEquals(1, gate.count(Step.REMOVE_UNHASHED, "a"), "removed exactly once");
        CoreInvariants.assertQuiescent(dm);
    }

    @Test
    void concurrentLastClosesRemoveTheDeviceExactlyOnce() throws Exception {
        int openers = 4;
        for (int round = 0; round < 20; round++) {
            create("a");
            List<OpenDevice> opens = new ArrayList<>();
            for (int i = 0; i < openers; i++) {
                opens.add(open("a"));
            }
            assertTrue(Outcome.of(() -> dm.devRemove(TestRequests.removeDeferred("a"))).ok());
            CyclicBarrier start = new CyclicBarrier(openers);
            List<Async<Void>> closers = new ArrayList<>();
            for (OpenDevice opened : opens) {
                closers.add(Async.start("closer", () -> {
                    start.await();
                    opened.close();
                    return null;
                }));
            }
            closers.forEach(closer -> closer.await().value());
            assertEquals(round + 1, gate.count(Step.REMOVE_UNHASHED, "a"), "round " + round);
            CoreInvariants.assertQuiescent(dm);
        }
    }

    @Test
    void opensArrivingAfterTheDeferredRemovalSetDeletingFailWithENXIO() {
        create("a");
        OpenDevice opened = open("a");
        assertTrue(Outcome.of(() -> dm.devRemove(TestRequests.removeDeferred("a"))).ok());
        Parked<Void> closer = Parked.start(gate.park(Step.REMOVE_UNHASHED, "a"), "last close", () -> {
            opened.close();
            return null;
        });

        assertEquals(Errno.ENXIO, Outcome.of(() -> dm.blockOpen(TestRequests.openByDev(dev(0)))).errno());
        assertEquals(Errno.ENXIO, Outcome.of(() -> dm.blockOpen(TestRequests.open("a"))).errno());
        assertTrue(closer.finish().ok());
        CoreInvariants.assertQuiescent(dm);
    }

    @Test
    void cancelDeferredRemoveBeforeTheLastCloseKeepsTheDevice() {
        create("a");
        OpenDevice opened = open("a");
        assertTrue(Outcome.of(() -> dm.devRemove(TestRequests.removeDeferred("a"))).ok());

        MessageOutput cancelled = cancelDeferredRemove("a").value();
        assertFalse(cancelled.device().flags().contains(DmFlag.DEFERRED_REMOVE));
        opened.close();
        DeviceInfo kept = status("a").value();
        assertEquals(0, kept.openCount());
        assertFalse(kept.flags().contains(DmFlag.DEFERRED_REMOVE));
        CoreInvariants.assertSettled(dm);
    }

    @Test
    void cancelDeferredRemoveRacingTheDeferredRemovalIsBusyOnceDeletingIsSet() {
        create("a");
        OpenDevice opened = open("a");
        assertTrue(Outcome.of(() -> dm.devRemove(TestRequests.removeDeferred("a"))).ok());
        Parked<MessageOutput> canceller = Parked.start(gate.park(Step.MESSAGE_FOUND, "a"), "cancel",
                () -> dm.targetMsg(TestRequests.message("a", "@cancel_deferred_remove")));
        Async<Void> closer = Async.start("last close", () -> {
            opened.close();
            return null;
        });
        closer.awaitBlockedIn("awaitRelease");

        Outcome<MessageOutput> cancel = canceller.finish();
        cancel.assertFailed(Errno.EBUSY, "already in progress");
        assertTrue(closer.await().ok());
        assertEquals(Errno.ENXIO, cancelDeferredRemove("a").errno(), "after the removal there is nothing to cancel");
        CoreInvariants.assertQuiescent(dm);
    }
}

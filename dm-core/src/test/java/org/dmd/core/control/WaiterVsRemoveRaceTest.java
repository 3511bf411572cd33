package org.dmd.core.control;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.dmd.core.concurrent.Step;
import org.dmd.core.control.Replies.Removed;
import org.dmd.core.control.Replies.TableLines;
import org.dmd.core.device.MappedDevice;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.dmd.core.testing.Async;
import org.dmd.core.testing.CoreInvariants;
import org.dmd.core.testing.GatedDeviceMapperTest;
import org.dmd.core.testing.Outcome;
import org.dmd.core.testing.StepGate;
import org.dmd.core.testing.TestRequests;
import org.junit.jupiter.api.Test;

/**
 * dm-ioctl.c: dev_wait vs dev_remove ("event waiter vs remove"), with dmd's product decision (design.md): a
 * DEV_WAIT waiter on a table-less device is failed with ENXIO by the removal instead of keeping
 * the remover blocked; a cancelled waiter drops its device reference at once; a wait issued
 * after the removal is ENXIO.
 */
class WaiterVsRemoveRaceTest extends GatedDeviceMapperTest {

    private static Errno errnoOf(CompletableFuture<?> future) {
        ExecutionException failed = assertThrows(ExecutionException.class,
                () -> future.get(StepGate.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
        return assertInstanceOf(DmException.class, failed.getCause()).errno();
    }

    private MappedDevice published(int minor) {
        return dm.minors().snapshot().stream().filter(d -> d.minor() == minor).findFirst().orElseThrow();
    }

    @Test
    void aWaiterOnATableLessDeviceIsFailedWithENXIOWhenTheDeviceIsRemoved() throws Exception {
        create("a");
        StepGate.Parking registered = gate.park(Step.WAIT_REGISTERED, "a");
        Async<CompletableFuture<TableLines>> waiting = Async.start("wait a",
                () -> dm.devWait(TestRequests.waitEvent("a", 0)));
        registered.awaitArrival();
        registered.release();
        CompletableFuture<TableLines> waiter = waiting.await().value();
        assertFalse(waiter.isDone());
        assertEquals(2, published(0).holders(), "the waiter holds a reference");

        Async<Removed> remover = Async.start("remove a", () -> dm.devRemove(TestRequests.remove("a")));
        assertTrue(remover.await().ok(), "the remove does not wait for the waiter to be interrupted");
        assertEquals(Errno.ENXIO, errnoOf(waiter));
        CoreInvariants.assertQuiescent(dm);
    }

    @Test
    void aCancelledWaiterReleasesItsReferenceSoThatRemoveCompletes() {
        create("a");
        MappedDevice device = published(0);
        CompletableFuture<TableLines> waiter = Outcome.of(() -> dm.devWait(TestRequests.waitEvent("a", 0))).value();
        assertEquals(2, device.holders());

        assertTrue(waiter.cancel(true));
        await().atMost(StepGate.TIMEOUT).until(() -> device.holders() == 1);
        CoreInvariants.assertSettled(dm);
        assertTrue(Outcome.of(() -> dm.devRemove(TestRequests.remove("a"))).ok());
        CoreInvariants.assertQuiescent(dm);
    }

    @Test
    void aWaitForAnEventNumberAlreadyPassedCompletesAtOnceAndAWaitAfterRemovalIsENXIO() throws Exception {
        create("a");
        TableLines now = dm.devWait(TestRequests.waitEvent("a", 7)).get(StepGate.TIMEOUT.toMillis(),
                TimeUnit.MILLISECONDS);
        assertEquals(0, now.device().eventNr());
        assertEquals(1, published(0).holders(), "a completed wait drops its reference");

        assertTrue(Outcome.of(() -> dm.devRemove(TestRequests.remove("a"))).ok());
        assertEquals(Errno.ENXIO, Outcome.of(() -> dm.devWait(TestRequests.waitEvent("a", 0))).errno());
        CoreInvariants.assertQuiescent(dm);
    }
}

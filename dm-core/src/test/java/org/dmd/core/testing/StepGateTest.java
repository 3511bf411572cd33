package org.dmd.core.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.dmd.core.concurrent.Step;
import org.junit.jupiter.api.Test;

/** The race tests' gate: parkings that hold one or several threads, watches, actions, the trace. */
class StepGateTest {

    private static Async<Void> reach(StepGate gate, String thread, Step step, Object subject) {
        return Async.start(thread, () -> {
            gate.reached(step, subject);
            return null;
        });
    }

    @Test
    void twoParkingsForOneStepHoldOneThreadEach() {
        try (StepGate gate = new StepGate()) {
            StepGate.Parking first = gate.park(Step.CREATE_PUBLISHED, "a");
            StepGate.Parking second = gate.park(Step.CREATE_PUBLISHED, "a");
            Async<Void> one = reach(gate, "one", Step.CREATE_PUBLISHED, "a");
            assertSame(one.thread(), first.awaitArrival());
            assertFalse(second.hasArrived());
            Async<Void> two = reach(gate, "two", Step.CREATE_PUBLISHED, "a");
            assertSame(two.thread(), second.awaitArrival());
            second.release();
            assertTrue(two.await().ok());
            assertFalse(one.isDone(), "the first parking still holds its thread");
            first.release();
            assertTrue(one.await().ok());
        }
    }

    @Test
    void aParkingWithRoomForTwoHoldsTwoAndLetsTheThirdPass() {
        try (StepGate gate = new StepGate()) {
            StepGate.Parking parking = gate.park(Step.MODULE_INIT, "m", 2);
            List<Async<Void>> threads = List.of(reach(gate, "one", Step.MODULE_INIT, "m"),
                    reach(gate, "two", Step.MODULE_INIT, "m"));
            parking.awaitArrivals(2);
            assertTrue(reach(gate, "three", Step.MODULE_INIT, "m").await().ok());
            assertFalse(threads.get(0).isDone() || threads.get(1).isDone());
            parking.release();
            threads.forEach(thread -> assertTrue(thread.await().ok()));
            assertEquals(3, gate.count(Step.MODULE_INIT, "m"));
        }
    }

    @Test
    void aWatchCountsArrivalsAndActionsRunInTheArrivingThread() {
        try (StepGate gate = new StepGate()) {
            AtomicReference<Thread> actor = new AtomicReference<>();
            gate.onReach(Step.MODULE_INIT, "m", () -> actor.set(Thread.currentThread()));
            StepGate.Parking watch = gate.watch(Step.MODULE_INIT, "m");
            Async<Void> one = reach(gate, "one", Step.MODULE_INIT, "m");
            watch.awaitArrivals(1);
            assertTrue(one.await().ok());
            assertSame(one.thread(), actor.get());
            assertFalse(watch.hasArrived(), "a watch parks nobody");
            assertEquals(List.of(new StepGate.Reached(Step.MODULE_INIT, "m", "one")), gate.trace());
        }
    }

    @Test
    void aFailingActionFailsTheArrivingThreadAndTheGate() {
        StepGate gate = new StepGate();
        gate.onReach(Step.MODULE_INIT, "m", () -> {
            throw new Exception("boom");
        });
        assertThrows(IllegalStateException.class, () -> gate.reached(Step.MODULE_INIT, "m"));
        assertThrows(AssertionError.class, gate::close);
    }
}

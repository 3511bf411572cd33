package org.dmd.core.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import org.dmd.core.concurrent.Step;
import org.dmd.core.control.Replies.DeviceInfo;
import org.dmd.core.control.Replies.Removed;
import org.dmd.core.errno.Errno;
import org.dmd.core.testing.Async;
import org.dmd.core.testing.CoreInvariants;
import org.dmd.core.testing.EventRecorder;
import org.dmd.core.testing.GatedDeviceMapperTest;
import org.dmd.core.testing.Outcome;
import org.dmd.core.testing.Parked;
import org.dmd.core.testing.StepGate;
import org.dmd.core.testing.TestRequests;
import org.junit.jupiter.api.Test;

/**
 * dm.c: alloc_dev vs dm_get_md, create vs lookup of a half-initialised device (the MINOR_ALLOCED
 * placeholder of the 2006 dm reference-counting series): between minor
 * reservation and publish, and between publish and hashing, the device is invisible to every
 * lookup; its minor is taken; of two creates of one name exactly one wins and the loser's minor is
 * free again; and no uevent announces a device before its first table load.
 */
class CreateVsLookupRaceTest extends GatedDeviceMapperTest {

    @Test
    void betweenReserveAndPublishTheDeviceIsInvisibleAndItsMinorTaken() {
        StepGate.Parking reserved = gate.park(Step.CREATE_MINOR_RESERVED, 0);
        Async<DeviceInfo> creator = Async.start("create a", () -> dm.devCreate(TestRequests.create("a")));
        reserved.awaitArrival();

        assertEquals(Errno.ENXIO, statusByDev(dev(0)).errno());
        assertEquals(Errno.ENXIO, Outcome.of(() -> dm.blockOpen(TestRequests.openByDev(dev(0)))).errno());
        assertEquals(Errno.ENXIO, status("a").errno());
        Outcome<DeviceInfo> sameMinor = Outcome.of(() -> dm.devCreate(TestRequests.createAt("b", dev(0))));
        assertEquals(Errno.ENXIO, sameMinor.errno(), "the kernel reports a taken minor as ENXIO");
        assertTrue(sameMinor.message().contains("minor 0") && sameMinor.message().contains("reserved"),
                "the reason is kept in the message: " + sameMinor.message());
        assertEquals(dev(1), create("c").dev(), "an any-minor create gets a different minor");
        assertEquals(List.of("c"), names());

        reserved.release();
        assertEquals(dev(0), creator.await().value().dev());
        assertEquals(List.of("a", "c"), names());
        CoreInvariants.assertSettled(dm);
    }

    @Test
    void betweenPublishAndHashTheDeviceIsInvisibleToNameAndNumberLookups() {
        Parked<DeviceInfo> creator = Parked.start(gate.park(Step.CREATE_PUBLISHED, "a"), "create a",
                () -> dm.devCreate(TestRequests.create("a")));

        assertEquals(Errno.ENXIO, statusByDev(dev(0)).errno());
        assertEquals(Errno.ENXIO, status("a").errno());
        assertEquals(Errno.ENXIO, Outcome.of(() -> dm.blockOpen(TestRequests.openByDev(dev(0)))).errno());
        Outcome<DeviceInfo> sameMinor = Outcome.of(() -> dm.devCreate(TestRequests.createAt("b", dev(0))));
        sameMinor.assertFailed(Errno.ENXIO, "minor 0 is in use");
        assertEquals(List.of(), names());

        assertTrue(creator.finish().ok());
        assertTrue(status("a").ok());
        CoreInvariants.assertSettled(dm);
    }

    @Test
    void ofTwoCreatesOfOneNameExactlyOneWinsAndTheLosersMinorIsFreeAgain() {
        StepGate.Parking first = gate.park(Step.CREATE_PUBLISHED, "a");
        Async<DeviceInfo> loser = Async.start("create a (first)", () -> dm.devCreate(TestRequests.create("a")));
        first.awaitArrival();
        assertEquals(dev(1), create("a").dev(), "the second create hashes the name first");

        first.release();
        Outcome<DeviceInfo> lost = loser.await();
        assertEquals(Errno.EBUSY, lost.errno());
        assertTrue(dm.minors().isFree(0), "the loser's minor was released before its EBUSY returned");
        assertEquals(dev(0), create("b").dev());
        CoreInvariants.assertSettled(dm);
    }

    @Test
    void ofTwoCreatesOfOneUuidExactlyOneWins() {
        StepGate.Parking first = gate.park(Step.CREATE_PUBLISHED, "a");
        Async<DeviceInfo> loser = Async.start("create a", () -> dm.devCreate(TestRequests.create("a", "U")));
        first.awaitArrival();
        assertTrue(Outcome.of(() -> dm.devCreate(TestRequests.create("b", "U"))).ok());

        first.release();
        Outcome<DeviceInfo> lost = loser.await();
        lost.assertFailed(Errno.EBUSY, "uuid");
        assertEquals(List.of("b"), names());
        assertEquals(Errno.ENXIO, status("a").errno(), "the loser's name was unlinked again");
        CoreInvariants.assertSettled(dm);
    }

    @Test
    void unforcedConcurrentCreatesOfOneNameHaveExactlyOneWinner() throws Exception {
        int creators = 4;
        for (int round = 0; round < 25; round++) {
            CyclicBarrier start = new CyclicBarrier(creators);
            List<Async<DeviceInfo>> racing = new ArrayList<>();
            for (int i = 0; i < creators; i++) {
                racing.add(Async.start("creator " + i, () -> {
                    start.await();
                    return dm.devCreate(TestRequests.create("same"));
                }));
            }
            List<Errno> failures = new ArrayList<>();
            int winners = 0;
            for (Async<DeviceInfo> creator : racing) {
                Outcome<DeviceInfo> outcome = creator.await();
                if (outcome.ok()) {
                    winners++;
                } else {
                    failures.add(outcome.errno());
                }
            }
            assertEquals(1, winners, "round " + round);
            assertEquals(List.of(Errno.EBUSY, Errno.EBUSY, Errno.EBUSY), failures);
            CoreInvariants.assertSettled(dm);
            assertTrue(Outcome.of(() -> dm.devRemove(TestRequests.remove("same"))).ok());
        }
        CoreInvariants.assertQuiescent(dm);
    }

    @Test
    void noUeventAnnouncesADeviceBeforeItsFirstTableLoad() throws Exception {
        try (EventRecorder events = EventRecorder.on(dm)) {
            Parked<DeviceInfo> creator = Parked.start(gate.park(Step.CREATE_HASHED, "a"), "create a",
                    () -> dm.devCreate(TestRequests.create("a", "U")));
            events.sync();
            assertEquals(List.of(), events.uevents(), "a uevent while the create is in flight");
            creator.finish().value();

            Removed removed = Outcome.of(() -> dm.devRemove(TestRequests.remove("a"))).value();
            assertFalse(removed.flags().contains(DmFlag.UEVENT_GENERATED), "a table-less device has no disk to remove");
            events.sync();
            assertEquals(List.of(), events.blockUevents());
        }
        CoreInvariants.assertQuiescent(dm);
    }
}

package org.dmd.core.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dmd.core.concurrent.Step;
import org.dmd.core.control.Replies.DeviceInfo;
import org.dmd.core.control.Replies.Removed;
import org.dmd.core.errno.Errno;
import org.dmd.core.testing.Async;
import org.dmd.core.testing.CoreInvariants;
import org.dmd.core.testing.GatedDeviceMapperTest;
import org.dmd.core.testing.Outcome;
import org.dmd.core.testing.Parked;
import org.dmd.core.testing.TestRequests;
import org.junit.jupiter.api.Test;

/**
 * dm.c: dm_get_md vs dm_put, lookup vs free: a lookup either takes its reference before the device is
 * committed to going away (and then destroy waits for it) or finds nothing; it never returns the
 * dying device, and the minor is not reused until the device is released.
 */
class LookupVsFreeRaceTest extends GatedDeviceMapperTest {

    @Test
    void lookupsRacingTheLastPutNeverReturnTheDyingDeviceAndItsMinorWaitsForRelease() {
        assertEquals(dev(0), create("a").dev());
        Parked<Removed> remover = Parked.start(gate.park(Step.PUT_MAY_BE_LAST, 0), "remove a",
                () -> dm.devRemove(TestRequests.remove("a")));

        assertEquals(Errno.ENXIO, status("a").errno());
        assertEquals(Errno.ENXIO, statusByDev(dev(0)).errno());
        assertEquals(Errno.ENXIO, Outcome.of(() -> dm.blockOpen(TestRequests.openByDev(dev(0)))).errno());
        Outcome<DeviceInfo> sameMinor = Outcome.of(() -> dm.devCreate(TestRequests.createAt("b", dev(0))));
        sameMinor.assertFailed(Errno.ENXIO, "minor 0");
        assertEquals(dev(1), create("c").dev(), "an any-minor create must not get the dying device's minor");
        assertFalse(dm.minors().isFree(0));

        assertTrue(remover.finish().ok());
        assertTrue(dm.minors().isFree(0));
        assertEquals(dev(0), Outcome.of(() -> dm.devCreate(TestRequests.createAt("d", dev(0)))).value().dev());
        dm.removeAll(TestRequests.removeAll());
        CoreInvariants.assertQuiescent(dm);
    }

    @Test
    void aLookupThatTookItsReferenceFirstMakesDestroyWaitAndThenSeesTheDeviceGone() {
        create("a");
        Parked<DeviceInfo> clearer = Parked.start(gate.park(Step.CLEAR_FOUND, "a"), "clear a",
                () -> dm.tableClear(TestRequests.clear("a")));

        Async<Removed> remover = Async.start("remove a", () -> dm.devRemove(TestRequests.remove("a")));
        remover.awaitBlockedIn("awaitRelease");
        assertEquals(Errno.ENXIO, status("a").errno());
        assertEquals(Errno.ENXIO, statusByDev(dev(0)).errno());
        assertFalse(dm.minors().isFree(0), "the minor is reused only after the last holder is gone");
        assertEquals(dev(1), create("a").dev(), "the name is free as soon as the device is unhashed");

        assertEquals(Errno.ENXIO, clearer.finish().errno(), "the clear finds its device removed meanwhile");
        assertTrue(remover.await().ok());
        assertTrue(dm.minors().isFree(0));
        CoreInvariants.assertSettled(dm);
    }
}

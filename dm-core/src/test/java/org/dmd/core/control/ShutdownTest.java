package org.dmd.core.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.dmd.core.control.Replies.ShutdownDone;
import org.dmd.core.device.OpenDevice;
import org.dmd.core.errno.Errno;
import org.dmd.core.testing.CoreInvariants;
import org.dmd.core.testing.EventRecorder;
import org.dmd.core.testing.Outcome;
import org.dmd.core.testing.TestRequests;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Shutting the core down ({@code rmmod dm_mod}; dm.c: dm_exit, kernel/module/main.c: delete_module): refused with EBUSY while
 * devices exist; forced, it removes them all and names them; afterwards creates are ENXIO.
 */
class ShutdownTest {

    private final DeviceMapper dm = DeviceMapper.builder().build();

    @AfterEach
    void close() {
        dm.close();
    }

    private void create(String name) {
        Outcome.of(() -> dm.devCreate(TestRequests.create(name))).value();
    }

    @Test
    void shutdownIsBusyWhileDevicesExist() {
        create("a");
        create("b");
        Outcome<ShutdownDone> busy = Outcome.of(() -> dm.shutdown(false));
        busy.assertFailed(Errno.EBUSY, "2 devices");
        create("c");
        CoreInvariants.assertSettled(dm);
    }

    @Test
    void anIdleShutdownSucceedsAndThenCreatesAreENXIO() {
        assertEquals(List.of(), Outcome.of(() -> dm.shutdown(false)).value().destroyed());
        assertEquals(Errno.ENXIO, Outcome.of(() -> dm.devCreate(TestRequests.create("a"))).errno());
        CoreInvariants.assertQuiescent(dm);
    }

    @Test
    void aForcedShutdownRemovesAndNamesEveryDevice() throws Exception {
        create("b");
        create("a");
        create("c");
        try (EventRecorder events = EventRecorder.on(dm)) {
            assertEquals(List.of("a", "b", "c"), Outcome.of(() -> dm.shutdown(true)).value().destroyed());
            events.awaitMessage("destroying 3 device(s): a, b, c");
        }
        CoreInvariants.assertQuiescent(dm);
        assertEquals(Errno.ENXIO, Outcome.of(() -> dm.devCreate(TestRequests.create("a"))).errno());
    }

    @Test
    void aForcedShutdownLeavesDevicesThatAreStillOpenAndSaysSo() {
        create("a");
        create("b");
        OpenDevice opened = Outcome.of(() -> dm.blockOpen(TestRequests.open("b"))).value();
        Outcome<ShutdownDone> forced = Outcome.of(() -> dm.shutdown(true));
        forced.assertFailed(Errno.EBUSY, "removed 1 device(s) but 1 are still open");
        assertEquals(Errno.ENXIO, Outcome.of(() -> dm.devCreate(TestRequests.create("c"))).errno());
        opened.close();
        assertTrue(Outcome.of(() -> dm.devRemove(TestRequests.remove("b"))).ok());
        CoreInvariants.assertQuiescent(dm);
    }
}

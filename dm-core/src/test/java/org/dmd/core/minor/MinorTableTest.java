package org.dmd.core.minor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.dmd.core.concurrent.Step;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.dmd.core.testing.Outcome;
import org.dmd.core.testing.Parked;
import org.dmd.core.testing.StepGate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The IDR protocol of {@link MinorTable} (dm.c: next_free_minor, specific_minor, free_minor, dm_get_md): lowest-free allocation
 * across chunk boundaries, requested minors, placeholder and publish, holder counts, opens and
 * the deletion gate; and the lookup-vs-last-put race in both orders.
 */
class MinorTableTest {

    static final class TestEntry extends MinorTable.Entry {
        TestEntry(int minor) {
            super(minor);
        }
    }

    private final StepGate gate = new StepGate();
    private final MinorTable<TestEntry> table = new MinorTable<>(gate);

    @AfterEach
    void closeGate() {
        gate.close();
    }

    private TestEntry publishNew(int minor) throws DmException {
        table.reserve(minor);
        TestEntry entry = new TestEntry(minor);
        table.publish(entry);
        return entry;
    }

    private Errno errnoOf(Outcome.Call<?> call) {
        return Outcome.of(call).errno();
    }

    @Test
    void anyMinorIsTheLowestFreeOneAcrossChunkBoundaries() throws DmException {
        for (int i = 0; i < 2050; i++) {
            assertEquals(i, table.reserveAny());
        }
        table.release(5);
        table.release(1024);
        table.release(2049);
        assertEquals(5, table.reserveAny());
        assertEquals(1024, table.reserveAny());
        assertEquals(2049, table.reserveAny());
        assertEquals(2050, table.reserveAny());
        assertEquals(2051, table.allocated());
    }

    @Test
    void aRequestedMinorThatIsTakenIsBusyAndOneOutOfRangeInvalid() throws DmException {
        table.reserve(7);
        Outcome<Void> again = Outcome.of(() -> {
            table.reserve(7);
            return null;
        });
        again.assertFailed(Errno.EBUSY, "minor 7 is reserved");
        table.publish(new TestEntry(7));
        assertEquals(Errno.EBUSY, errnoOf(() -> {
            table.reserve(7);
            return null;
        }));
        assertEquals(Errno.EINVAL, errnoOf(() -> {
            table.reserve(MinorTable.MINORS);
            return null;
        }));
        assertEquals(Errno.EINVAL, errnoOf(() -> {
            table.reserve(-1);
            return null;
        }));
        assertEquals(0, table.reserveAny(), "a requested minor does not move the lowest free one");
    }

    @Test
    void thePlaceholderIsNoDeviceAndPublishIsTheLastStep() throws DmException {
        int minor = table.reserveAny();
        assertNull(table.get(minor));
        assertEquals(Errno.ENXIO, errnoOf(() -> table.open(minor)));
        assertEquals(List.of(), table.snapshot());
        assertFalse(table.isFree(minor));

        TestEntry entry = new TestEntry(minor);
        table.publish(entry);
        assertSame(entry, table.get(minor));
        assertEquals(2, entry.holders());
        assertThrows(IllegalStateException.class, () -> table.publish(new TestEntry(minor)));
        assertThrows(IllegalStateException.class, () -> table.publish(new TestEntry(minor + 1)));
        assertThrows(IllegalStateException.class, () -> table.release(minor), "a published minor is not released");
    }

    @Test
    void theLastPutMarksFreeingAndTheMinorStaysAllocatedUntilRelease() throws Exception {
        TestEntry entry = publishNew(3);
        table.get(entry);
        assertFalse(table.put(entry));
        assertTrue(table.put(entry));
        assertTrue(entry.isFreeing());
        assertTrue(table.awaitRelease(entry, 0, TimeUnit.MILLISECONDS));
        assertNull(table.get(3));
        assertFalse(table.isFree(3));
        assertEquals(Errno.EBUSY, errnoOf(() -> {
            table.hold(entry);
            return null;
        }), "dm_hold of a FREEING device");
        assertThrows(IllegalStateException.class, () -> table.put(entry), "a put too many is a bug");

        table.release(3);
        assertTrue(table.isFree(3));
        assertThrows(IllegalStateException.class, () -> table.release(3));
    }

    @Test
    void opensCountAndTheDeletionGate() throws DmException {
        TestEntry entry = publishNew(0);
        assertSame(entry, table.open(0));
        assertEquals(1, entry.openCount());
        assertEquals(2, entry.holders());

        assertEquals(Errno.EBUSY, errnoOf(() -> {
            table.lockForDeletion(entry, true, false);
            return null;
        }), "an open device is busy");
        assertTrue(entry.isDeferredRemove(), "and marked when asked");
        assertTrue(table.close(entry), "the last close of a marked device runs the deferred removal");
        assertThrows(IllegalStateException.class, () -> table.close(entry));

        table.cancelDeferredRemove(entry);
        assertFalse(entry.isDeferredRemove());
        assertEquals(Errno.EEXIST, errnoOf(() -> {
            table.lockForDeletion(entry, false, true);
            return null;
        }), "not marked: skipped by the deferred worker");
        table.lockForDeletion(entry, false, false);
        assertTrue(entry.isDeleting());
        assertEquals(Errno.ENXIO, errnoOf(() -> table.open(0)));
        assertNull(table.get(0));
        assertEquals(Errno.EBUSY, errnoOf(() -> {
            table.cancelDeferredRemove(entry);
            return null;
        }));
    }

    @Test
    void aLookupBeforeTheLastPutTakesTheGuardKeepsTheDeviceAlive() throws Exception {
        TestEntry entry = publishNew(0);
        Parked<Boolean> putter = Parked.start(gate.park(Step.PUT_MAY_BE_LAST, 0), "last put", () -> table.put(entry));

        assertSame(entry, table.get(0), "not yet FREEING: the lookup takes a reference");
        assertFalse(putter.finish().value(), "the lookup's reference makes that put not the last");
        assertFalse(entry.isFreeing());
        assertTrue(table.put(entry));
        assertTrue(entry.isFreeing());
        assertThrows(IllegalStateException.class, () -> table.get(entry), "dm_get of a freed device is a bug");
    }

    @Test
    void aLookupAfterTheLastPutFindsNothingAndTheMinorWaitsForRelease() throws Exception {
        TestEntry entry = publishNew(0);
        assertTrue(table.put(entry));

        assertNull(table.get(0));
        assertEquals(Errno.ENXIO, errnoOf(() -> table.open(0)));
        assertEquals(Errno.EBUSY, errnoOf(() -> {
            table.reserve(0);
            return null;
        }));
        assertEquals(1, table.reserveAny());
        table.release(0);
        assertEquals(0, table.reserveAny());
    }
}

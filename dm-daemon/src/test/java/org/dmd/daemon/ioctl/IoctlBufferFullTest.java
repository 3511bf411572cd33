package org.dmd.daemon.ioctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dmd.daemon.testing.IoctlClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * DM_BUFFER_FULL_FLAG where the reply does not fit the caller's buffer, with the kernel's tests,
 * and the complete reply once libdm retries with a doubled buffer.
 */
class IoctlBufferFullTest {

    private static final int BUFFER_FULL = 0x100;
    private static final int LIST_DEVICES = 2;
    private static final int TABLE_STATUS = 12;
    private static final int TABLE_DEPS = 11;
    private static final int LIST_VERSIONS = 13;

    private final Harness dm = new Harness(253);

    @AfterEach
    void close() {
        dm.close();
    }

    /** Doubles the buffer from 16 KiB until the reply fits, as libdm's _do_dm_ioctl does; returns the retries. */
    private int retries(int command, String name, int flags, int expectDataSize) {
        int size = IoctlClient.LIBDM_BUFFER;
        for (int retry = 0; ; retry++) {
            IoctlClient.Buffer buffer = IoctlClient.buffer(size).flags(flags);
            if (name != null) {
                buffer.name(name);
            }
            Harness.Outcome outcome = dm.ioctl(command, buffer.build());
            assertNull(outcome.errno());
            if ((outcome.flags() & BUFFER_FULL) == 0) {
                assertEquals(expectDataSize, outcome.dataSize());
                assertEquals(expectDataSize, outcome.bytes().length);
                return retry;
            }
            assertTrue(outcome.dataSize() <= size);
            size *= 2;
        }
    }

    @Test
    void listingManyDevices() {
        for (int i = 0; i < 600; i++) {
            assertNull(dm.ioctl(3, IoctlClient.buffer(312).name(String.format("device-%013d", i)).build()).errno());
        }
        // Each record: align8(12 + 20 + 1) + 8 = 48 bytes.
        Harness.Outcome full = dm.ioctl(LIST_DEVICES, IoctlClient.buffer(IoctlClient.LIBDM_BUFFER).build());
        assertEquals(BUFFER_FULL, full.flags() & BUFFER_FULL);
        assertEquals(305, full.dataSize(), "no payload");
        assertEquals(305, full.bytes().length);
        assertEquals(1, retries(LIST_DEVICES, null, 0x4, 312 + 600 * 48));
    }

    @Test
    void anEmptyListNeedsEightBytes() {
        Harness.Outcome full = dm.ioctl(LIST_DEVICES, IoctlClient.buffer(312).build());
        assertEquals(BUFFER_FULL, full.flags() & BUFFER_FULL);
        assertEquals(312, dm.ioctl(LIST_DEVICES, IoctlClient.buffer(320).build()).dataSize());
    }

    @Test
    void theTableOfTenThousandTargets() {
        assertNull(dm.ioctl(3, IoctlClient.buffer(312).name("big").build()).errno());
        Object[][] targets = new Object[10_000][];
        for (int i = 0; i < targets.length; i++) {
            targets[i] = new Object[] {i * 8L, 8, "zero", ""};
        }
        IoctlClient.Buffer load = IoctlClient.buffer(312 + 48 * targets.length).name("big").targets(targets);
        assertNull(dm.ioctl(9, load.build()).errno());
        assertNull(dm.ioctl(6, IoctlClient.buffer(312).name("big").build()).errno());

        Harness.Outcome first = dm.ioctl(TABLE_STATUS, IoctlClient.buffer(IoctlClient.LIBDM_BUFFER).name("big")
                .flags(0x14).build());
        assertEquals(BUFFER_FULL, first.flags() & BUFFER_FULL);
        assertEquals(10_000, first.targetCount(), "the table's count, whatever fitted");
        int fitted = (IoctlClient.LIBDM_BUFFER - 312 - 41) / 48 + 1;
        assertEquals(312 + 48 * (fitted - 1) + 41, first.dataSize(), "up to the last complete target's NUL");
        // 10,000 × 48 bytes: 16 KiB → 512 KiB is five doublings, as the real dmsetup showed.
        assertEquals(5, retries(TABLE_STATUS, "big", 0x14, 312 + 48 * 9_999 + 41));
    }

    @Test
    void depsAndVersionsThatDoNotFit() {
        assertNull(dm.ioctl(3, IoctlClient.buffer(312).name("a").build()).errno());
        assertNull(dm.ioctl(9, IoctlClient.buffer(400).name("a").targets(new Object[] {0, 8, "zero", ""}).build())
                .errno());
        assertNull(dm.ioctl(6, IoctlClient.buffer(312).name("a").build()).errno());
        Harness.Outcome deps = dm.ioctl(TABLE_DEPS, IoctlClient.buffer(319).name("a").build());
        assertEquals(BUFFER_FULL, deps.flags() & BUFFER_FULL, "8 bytes needed, 7 available");
        assertEquals(305, deps.dataSize());
        assertEquals(320, dm.ioctl(TABLE_DEPS, IoctlClient.buffer(320).name("a").build()).dataSize());
        Harness.Outcome versions = dm.ioctl(LIST_VERSIONS, IoctlClient.buffer(340).build());
        assertEquals(BUFFER_FULL, versions.flags() & BUFFER_FULL);
    }
}

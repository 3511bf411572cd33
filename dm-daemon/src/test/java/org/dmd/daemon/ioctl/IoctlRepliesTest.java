package org.dmd.daemon.ioctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.dmd.core.errno.Errno;
import org.dmd.daemon.testing.IoctlClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Replies no dmsetup fixture covers: LIST_DEVICES with uuids, TARGET_MSG's corners, DEV_ARM_POLL, SECURE_DATA. */
class IoctlRepliesTest {

    private final Harness dm = new Harness(253);

    @AfterEach
    void close() {
        dm.close();
    }

    private void create(String name, String uuid) {
        IoctlClient.Buffer create = IoctlClient.buffer(312).name(name);
        if (uuid != null) {
            create.uuid(uuid);
        }
        assertNull(dm.ioctl(3, create.build()).errno());
    }

    @Test
    void listDevicesWithUuidsHasTheFlagsWordAndTheUuid() {
        create("a", "UUID-A");
        create("b", null);
        Harness.Outcome list = dm.ioctl(2, IoctlClient.buffer(16384).flags(0x4 | 0x4000).build());
        assertNull(list.errno());
        // a: align8(12 + 2) = 16, trailer 8, uuid align8(7) = 8: 32 bytes; b: 16 + 8 = 24.
        assertEquals(312 + 32 + 24, list.dataSize());
        assertEquals(32, list.view().getInt(312 + 8), "next of the first record");
        assertEquals("a", list.string(312 + 12));
        assertEquals(IoctlReplies.NAME_LIST_HAS_UUID, list.view().getInt(312 + 16 + 4));
        assertEquals("UUID-A", list.string(312 + 24));
        assertEquals(0xFD01, list.view().getLong(344));
        assertEquals(0, list.view().getInt(344 + 8), "the last record's next is 0");
        assertEquals(IoctlReplies.NAME_LIST_DOESNT_HAVE_UUID, list.view().getInt(344 + 16 + 4));

        Harness.Outcome plain = dm.ioctl(2, IoctlClient.buffer(16384).build());
        assertEquals(312 + 24 + 24, plain.dataSize(), "no uuids without DM_UUID_FLAG");
        assertEquals(0, plain.view().getInt(312 + 16 + 4), "flags word 0");
        Harness.Outcome filtered = dm.ioctl(2, IoctlClient.buffer(16384).name("b").build());
        assertEquals(312 + 24, filtered.dataSize(), "the name is a prefix filter");
    }

    @Test
    void aMessageToADeviceWithoutALiveTableCopiesNothingBack() {
        create("a", null);
        Harness.Outcome quirk = dm.ioctl(14, IoctlClient.buffer(16384).name("a").putLong(312, 0)
                .string(320, "hello").build());
        assertNull(quirk.errno(), "the kernel's ioctl returns 2, not an error");
        assertEquals(0, quirk.bytes().length);
        Harness.Outcome core = dm.ioctl(14, IoctlClient.buffer(16384).name("a").string(320, "@cancel_deferred_remove")
                .build());
        assertNull(core.errno(), "a message to device-mapper core needs no table");
        assertEquals(305, core.bytes().length, "and is answered like any other");
        assertEquals(Errno.EINVAL, dm.ioctl(14, IoctlClient.buffer(16384).name("a").string(320, "   ").build())
                .errno(), "Empty message received");
    }

    @Test
    void armPollAnswersTheHeader() {
        Harness.Outcome armed = dm.ioctl(16, IoctlClient.buffer(16384).flags(0x4 | 0x100).build());
        assertNull(armed.errno());
        assertEquals(305, armed.bytes().length);
        assertEquals(0x4, armed.flags(), "BUFFER_FULL cleared on entry");
    }

    @Test
    void secureDataZeroesTheRestOfTheCallersBuffer() {
        create("a", null);
        byte[] sent = IoctlClient.buffer(1024).name("a").flags(0x4 | 0x8000).putLong(1000, -1L).build();
        Harness.Outcome status = dm.ioctl(7, sent);
        assertNull(status.errno());
        assertEquals(1024, status.bytes().length, "the whole buffer comes back: the reply, then zeros");
        assertEquals(305, status.dataSize());
        assertEquals(0, status.flags() & 0x8000, "SECURE_DATA is never returned");
        assertEquals(0, status.view().getLong(1000));
    }
}

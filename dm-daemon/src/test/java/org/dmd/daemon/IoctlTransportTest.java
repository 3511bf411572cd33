package org.dmd.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.dmd.core.concurrent.Step;
import org.dmd.core.concurrent.StepHook;
import org.dmd.core.control.Requests;
import org.dmd.daemon.testing.IoctlClient;
import org.dmd.daemon.testing.IoctlClient.Reply;
import org.dmd.daemon.testing.WireClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The binary dm-ioctl transport over a real socket: the command sequence of {@code dmsetup create},
 * {@code info}, {@code table}, {@code ls}, {@code remove}, with a JSON client on the same socket
 * seeing the same devices; dmd's extension commands; frame errors.
 */
class IoctlTransportTest {

    private static final int VERSION = 0;
    private static final int LIST_DEVICES = 2;
    private static final int DEV_CREATE = 3;
    private static final int DEV_REMOVE = 4;
    private static final int DEV_SUSPEND = 6;
    private static final int DEV_STATUS = 7;
    private static final int TABLE_LOAD = 9;
    private static final int TABLE_STATUS = 12;
    private static final int DMD_INFO = 0x8000_0001;

    @TempDir
    Path dir;

    @Test
    void dmsetupsCreateInfoTableLsRemoveSequenceBesideAJsonClient() throws Exception {
        try (TestDaemon daemon = TestDaemon.start(dir);
             IoctlClient binary = IoctlClient.connect(daemon.socket())) {
            WireClient json = daemon.client();
            Reply version = binary.call(VERSION, IoctlClient.buffer(IoctlClient.LIBDM_BUFFER).build());
            assertEquals(0, version.status());
            assertEquals(12, version.payload().length, "VERSION copies back the triple alone");
            assertEquals(4, version.view().getInt(0));
            assertEquals(50, version.view().getInt(4));

            Reply created = binary.call(DEV_CREATE, IoctlClient.buffer(IoctlClient.LIBDM_BUFFER).name("test1")
                    .eventNr(0x0020_0000).build());
            assertEquals(0, created.status());
            assertEquals(305, created.payload().length);
            assertEquals(305, created.dataSize());
            assertEquals(0xFD00, created.view().getLong(40), "253:0 in the huge encoding");
            assertEquals(IoctlClient.EXISTS_FLAG, created.flags(), "libdm's private bit echoed, nothing else");

            Reply loaded = binary.call(TABLE_LOAD, IoctlClient.buffer(IoctlClient.LIBDM_BUFFER).dev(0xFD00)
                    .flags(0xC).targets(new Object[] {0, 2048, "zero", ""}).build());
            assertEquals(0, loaded.status());
            assertEquals(0xC | 0x40, loaded.flags(), "INACTIVE_PRESENT");
            assertEquals("test1", loaded.string(48), "the lookup by dev writes the name back");

            Reply resumed = binary.call(DEV_SUSPEND, IoctlClient.buffer(IoctlClient.LIBDM_BUFFER).name("test1")
                    .eventNr(0x0060_0000).build());
            assertEquals(0, resumed.status());
            assertEquals(0x24, resumed.flags() & ~0x2000, "EXISTS | ACTIVE_PRESENT");

            Reply info = binary.call(DEV_STATUS, IoctlClient.buffer(IoctlClient.LIBDM_BUFFER).name("test1").build());
            assertEquals(0x24, info.flags());
            assertEquals(1, info.view().getInt(20), "one target");

            Reply table = binary.call(TABLE_STATUS, IoctlClient.buffer(IoctlClient.LIBDM_BUFFER).name("test1")
                    .flags(0x14).build());
            assertEquals(0, table.status());
            assertEquals(353, table.dataSize(), "spec, empty string and its NUL");
            assertEquals(353, table.payload().length);
            ByteBuffer spec = table.view();
            assertEquals(0, spec.getLong(312));
            assertEquals(2048, spec.getLong(320));
            assertEquals(48, spec.getInt(332), "next counts from data_start");
            assertEquals("zero", table.string(336));

            Reply list = binary.call(LIST_DEVICES, IoctlClient.buffer(IoctlClient.LIBDM_BUFFER).build());
            assertEquals(344, list.dataSize());
            assertEquals(0xFD00, list.view().getLong(312));
            assertEquals("test1", list.string(324));

            JsonNode seen = json.ok("LIST_DEVICES");
            assertEquals("test1", seen.get("devices").get(0).get("name").asText(), seen::toString);

            Reply removed = binary.call(DEV_REMOVE, IoctlClient.buffer(IoctlClient.LIBDM_BUFFER).name("test1")
                    .eventNr(0x0060_0000).build());
            assertEquals(0, removed.status());
            assertEquals(0x0060_0000, removed.view().getInt(32), "DEV_REMOVE echoes event_nr");
            assertEquals(Set.of(), Set.copyOf(daemon.mapper.listDevices(new Requests.ListDevices(null, null,
                    Set.of())).devices()));

            Reply missing = binary.call(DEV_STATUS, IoctlClient.buffer(IoctlClient.LIBDM_BUFFER).name("test1").build());
            assertEquals(6, missing.status(), "ENXIO");
            assertEquals(0, missing.payload().length, "nothing copied back on error");
        }
    }

    @Test
    void devWaitBlocksOnlyItsConnectionUntilTheEventNumberMoves() throws Exception {
        CountDownLatch registered = new CountDownLatch(1);
        StepHook steps = (step, subject) -> {
            if (step == Step.WAIT_REGISTERED) {
                registered.countDown();
            }
        };
        try (TestDaemon daemon = TestDaemon.start(dir, config -> config, steps);
             IoctlClient waiter = IoctlClient.connect(daemon.socket());
             IoctlClient other = IoctlClient.connect(daemon.socket())) {
            assertEquals(0, other.call(DEV_CREATE, IoctlClient.buffer(312).name("w").build()).status());
            assertEquals(0, other.call(TABLE_LOAD, IoctlClient.buffer(400).name("w")
                    .targets(new Object[] {0, 8, "zero", ""}).build()).status());
            assertEquals(0, other.call(DEV_SUSPEND, IoctlClient.buffer(312).name("w").build()).status());
            waiter.send(8, IoctlClient.buffer(IoctlClient.LIBDM_BUFFER).name("w").eventNr(0).build());
            assertTrue(registered.await(30, TimeUnit.SECONDS), "the wait is registered");
            assertEquals(0, other.call(DEV_STATUS, IoctlClient.buffer(312).name("w").build()).status(),
                    "another connection is served while the wait is pending");
            assertEquals(0, other.call(5, IoctlClient.buffer(400).name("w").string(312, "w2").build()).status(),
                    "a rename raises a table event");
            Reply woken = waiter.receive();
            assertEquals(0, woken.status());
            assertEquals(1, woken.view().getInt(32), "the new event number");
            assertEquals(353, woken.dataSize(), "status lines follow");
        }
    }

    @Test
    void dmdInfoTellsTheShimTheMajorAndVersions() throws Exception {
        try (TestDaemon daemon = TestDaemon.start(dir);
             IoctlClient binary = IoctlClient.connect(daemon.socket())) {
            Reply info = binary.call(DMD_INFO, new byte[0]);
            assertEquals(0, info.status());
            String text = new String(info.payload(), StandardCharsets.US_ASCII);
            assertTrue(text.startsWith("major=253\nversion="), text);
            assertTrue(text.endsWith("interface=4.50.0\n"), text);

            assertEquals(25, binary.call(0x8000_0077, new byte[0]).status(), "ENOTTY for an unknown extension");
            assertEquals(25, binary.call(19, IoctlClient.buffer(IoctlClient.LIBDM_BUFFER).build()).status());
            assertEquals(0, binary.call(VERSION, IoctlClient.buffer(312).build()).status(), "still in step");
        }
    }

    @Test
    void aFrameOverTheLimitIsAnsweredEmsgsizeAndClosed() throws Exception {
        try (TestDaemon daemon = TestDaemon.start(dir, config -> config.maxFrame(8192),
                StepHook.NONE);
             IoctlClient binary = IoctlClient.connect(daemon.socket())) {
            ByteBuffer header = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
            header.putInt(IoctlClient.MAGIC).putInt(DEV_STATUS).putInt(8193).flip();
            binary.writeFully(header);
            Reply refused = binary.receive();
            assertEquals(90, refused.status(), "EMSGSIZE");
            assertEquals(0, refused.payload().length);
            assertTrue(binary.closedByPeer());
        }
    }

    @Test
    void aTruncatedFrameExecutesNothing() throws Exception {
        try (TestDaemon daemon = TestDaemon.start(dir)) {
            byte[] create = IoctlClient.buffer(IoctlClient.LIBDM_BUFFER).name("half").build();
            try (IoctlClient binary = IoctlClient.connect(daemon.socket())) {
                ByteBuffer frame = ByteBuffer.allocate(12 + 400).order(ByteOrder.LITTLE_ENDIAN);
                frame.putInt(IoctlClient.MAGIC).putInt(DEV_CREATE).putInt(create.length).put(create, 0, 400).flip();
                binary.writeFully(frame);
            }
            WireClient json = daemon.client();
            assertEquals(0, json.ok("LIST_DEVICES").get("devices").size(), "the half frame created nothing");
        }
    }
}

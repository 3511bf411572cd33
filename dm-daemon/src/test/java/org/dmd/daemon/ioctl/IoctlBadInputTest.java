package org.dmd.daemon.ioctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.dmd.core.control.Replies;
import org.dmd.core.control.Requests;
import org.dmd.core.errno.Errno;
import org.dmd.daemon.testing.IoctlClient;
import org.dmd.daemon.testing.IoctlClient.Buffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Hostile buffers: each is answered with the errno the kernel's ioctl fails with, nothing is
 * copied back, and the core is as it was (one device "a" with a one-target live table, no
 * inactive table).
 */
class IoctlBadInputTest {

    private static final int DEV_CREATE = 3;
    private static final int DEV_RENAME = 5;
    private static final int DEV_STATUS = 7;
    private static final int TABLE_LOAD = 9;
    private static final int TABLE_STATUS = 12;
    private static final int LIST_DEVICES = 2;
    private static final int TARGET_MSG = 14;
    private static final int DEV_SET_GEOMETRY = 15;
    private static final int INACTIVE_PRESENT = 0x40;

    private final Harness dm = new Harness(253);
    private List<Replies.NameEntry> before;

    @BeforeEach
    void oneDevice() {
        assertNull(dm.ioctl(DEV_CREATE, buffer().name("a").build()).errno());
        assertNull(dm.ioctl(TABLE_LOAD, buffer().name("a").targets(new Object[] {0, 8, "zero", ""}).build()).errno());
        assertNull(dm.ioctl(6, buffer().name("a").build()).errno());
        before = dm.devices();
    }

    @AfterEach
    void unchanged() {
        assertEquals(before, dm.devices(), "the devices are as they were");
        Harness.Outcome status = dm.ioctl(DEV_STATUS, buffer().name("a").build());
        assertEquals(0, status.flags() & INACTIVE_PRESENT, "no table was staged");
        assertEquals(1, status.targetCount());
        dm.close();
    }

    private static Buffer buffer() {
        return IoctlClient.buffer(IoctlClient.LIBDM_BUFFER);
    }

    private void refused(Errno errno, int command, byte[] buffer) {
        Harness.Outcome outcome = dm.ioctl(command, buffer);
        assertEquals(errno, outcome.errno());
        assertEquals(0, outcome.bytes().length, "nothing copied back");
    }

    @Test
    void dataSizeBelowTheHeader() {
        refused(Errno.EINVAL, DEV_STATUS, buffer().name("a").dataSize(304).build());
    }

    @Test
    void dataSizeOverTheBytesSent() {
        byte[] sent = buffer().build();
        refused(Errno.EINVAL, LIST_DEVICES, IoctlClient.buffer(312).dataSize(16384).build());
        refused(Errno.EINVAL, TABLE_LOAD, Arrays.copyOf(buffer().name("a").targets(new Object[] {0, 8, "zero", ""})
                .build(), 340));
        assertEquals(16384, sent.length);
    }

    @Test
    void aHeaderOnlyCommandNeedsNoMoreThanTheHeader() {
        Harness.Outcome status = dm.ioctl(DEV_STATUS, IoctlClient.buffer(312).dataSize(16384).name("a").build());
        assertNull(status.errno(), "DEV_STATUS reads the header alone");
        assertEquals(305, status.bytes().length);
    }

    @Test
    void aBufferShorterThanTheHeader() {
        refused(Errno.EINVAL, DEV_STATUS, Arrays.copyOf(buffer().name("a").build(), 304));
        refused(Errno.EINVAL, DEV_STATUS, new byte[11]);
    }

    @Test
    void dataStartPastTheEnd() {
        refused(Errno.EINVAL, DEV_RENAME, buffer().name("a").dataStart(16384).build());
        refused(Errno.EINVAL, DEV_RENAME, buffer().name("a").dataStart(300).string(300, "b").build());
    }

    @Test
    void anUnterminatedRenamePayload() {
        byte[] raw = buffer().name("a").build();
        Arrays.fill(raw, 312, raw.length, (byte) 'b');
        refused(Errno.EINVAL, DEV_RENAME, raw);
    }

    @Test
    void aTooLongNewName() {
        refused(Errno.EINVAL, DEV_RENAME, buffer().name("a").string(312, "n".repeat(128)).build());
    }

    @Test
    void aSpecNextPointingBackwards() {
        byte[] raw = buffer().name("a").targets(new Object[] {0, 8, "zero", ""}, new Object[] {8, 8, "zero", ""})
                .putInt(312 + 20, 40).build();
        refused(Errno.EINVAL, TABLE_LOAD, raw);
        refused(Errno.EINVAL, TABLE_LOAD, buffer().name("a").targets(new Object[] {0, 8, "zero", "x"},
                new Object[] {8, 8, "zero", ""}).putInt(312 + 20, 0).build());
    }

    @Test
    void aSpecOutsideTheBuffer() {
        refused(Errno.EINVAL, TABLE_LOAD, buffer().name("a").targets(new Object[] {0, 8, "zero", ""},
                new Object[] {8, 8, "zero", ""}).putInt(312 + 20, 16384).build());
        refused(Errno.EINVAL, TABLE_LOAD, buffer().name("a").targets(new Object[] {0, 8, "zero", ""})
                .dataStart(16384 - 40).build());
    }

    @Test
    void aMisalignedSpec() {
        refused(Errno.EINVAL, TABLE_LOAD, buffer().name("a").targets(new Object[] {0, 8, "zero", ""},
                new Object[] {8, 8, "zero", ""}).putInt(312 + 20, 52).build());
    }

    @Test
    void aFirstSpecInsideTheHeader() {
        refused(Errno.EINVAL, TABLE_LOAD, buffer().name("a").dataStart(304).targets(new Object[] {0, 8, "zero", ""})
                .build());
    }

    @Test
    void unterminatedParametersAndTargetType() {
        byte[] params = buffer().name("a").targets(new Object[] {0, 8, "zero", ""}).build();
        Arrays.fill(params, 352, params.length, (byte) 'x');
        refused(Errno.EINVAL, TABLE_LOAD, params);
        byte[] type = buffer().name("a").targets(new Object[] {0, 8, "zero", ""}).build();
        Arrays.fill(type, 312 + 24, 312 + 40, (byte) 'z');
        refused(Errno.EINVAL, TABLE_LOAD, type);
    }

    @Test
    void aTargetCountThatLies() {
        byte[] one = buffer().name("a").targets(new Object[] {0, 8, "zero", ""}).targetCount(3).build();
        refused(Errno.EINVAL, TABLE_LOAD, Arrays.copyOf(one, 360));
        refused(Errno.EOVERFLOW, TABLE_LOAD, buffer().name("a").targets(new Object[] {0, 8, "zero", ""})
                .targetCount((1 << 20) + 1).build());
    }

    @Test
    void aVersionOtherThan4() {
        refused(Errno.EINVAL, DEV_STATUS, buffer().name("a").version(5, 0, 0).build());
        refused(Errno.EINVAL, DEV_STATUS, buffer().name("a").version(3, 0, 0).build());
        refused(Errno.EINVAL, DEV_STATUS, buffer().name("a").version(4, 51, 0).build());
        refused(Errno.EINVAL, 19, buffer().version(5, 0, 0).build());
    }

    @Test
    void anUnknownCommand() {
        refused(Errno.ENOTTY, 18, buffer().name("a").build());
        refused(Errno.ENOTTY, 19, buffer().name("a").build());
        refused(Errno.ENOTTY, 0x7FFF_FFFF, buffer().name("a").build());
    }

    @Test
    void aNameAndAUuidTogether() {
        refused(Errno.EINVAL, DEV_STATUS, buffer().name("a").uuid("U").build());
        refused(Errno.EINVAL, DEV_CREATE, buffer().build());
    }

    @Test
    void aNameThatIsNotUtf8() {
        refused(Errno.EINVAL, DEV_CREATE, buffer().bytes(48, new byte[] {'x', (byte) 0xFF, 0}).build());
    }

    @Test
    void anUnterminatedHeaderNameIsTruncatedAsTheKernelDoes() {
        byte[] raw = buffer().build();
        Arrays.fill(raw, 48, 48 + 128, (byte) 'n');
        Harness.Outcome created = dm.ioctl(DEV_CREATE, raw);
        assertNull(created.errno());
        assertEquals("n".repeat(127), created.string(48), "name[127] forced to NUL");
        assertNull(dm.ioctl(4, buffer().name("n".repeat(127)).build()).errno());
    }

    @Test
    void aMalformedMessageOrGeometryOfAMissingDeviceIsEnxioFirst() {
        byte[] message = buffer().name("missing").build();
        Arrays.fill(message, 320, message.length, (byte) 'm');
        refused(Errno.ENXIO, TARGET_MSG, message);
        refused(Errno.ENXIO, DEV_SET_GEOMETRY, buffer().name("missing").dataStart(100).build());
        Arrays.fill(message, 48, 56, (byte) 0);
        message[48] = 'a';
        refused(Errno.EINVAL, TARGET_MSG, message);
        refused(Errno.EINVAL, DEV_SET_GEOMETRY, buffer().name("a").dataStart(100).build());
    }

    @Test
    void flagsDmdDoesNotNameAreEchoedAndOutputOnlyOnesCleared() {
        int unknown = 0x80 | 0x10_0000 | 0x8000_0000;
        int outputOnly = 0x100 | 0x2000 | 0x10000;
        Harness.Outcome status = dm.ioctl(DEV_STATUS, buffer().name("a").flags(0x4 | unknown | outputOnly).build());
        assertNull(status.errno());
        assertEquals(0x4 | unknown | 0x20, status.flags(), "EXISTS and unknown bits echoed, ACTIVE_PRESENT set");
        Harness.Outcome table = dm.ioctl(TABLE_STATUS, buffer().name("a").flags(0x14 | unknown).build());
        assertEquals(0x14 | unknown | 0x20, table.flags());
    }

    @Test
    void requestsDecodeWithoutTheCore() throws Exception {
        IoctlCall call = IoctlRequests.decode(TABLE_LOAD, buffer().name("a").targets(
                new Object[] {0, 8, "linear", "7:0 0"}, new Object[] {8, 8, "striped", "2 8 7:0 0 7:1 0"}).build());
        Requests.TableLoad load = (Requests.TableLoad) call.request();
        assertEquals(List.of(new Requests.TargetSpec(0, 8, "linear", "7:0 0"),
                new Requests.TargetSpec(8, 8, "striped", "2 8 7:0 0 7:1 0")), load.targets());
        assertEquals("a", load.name());
        assertTrue(load.flags().contains(org.dmd.core.control.DmFlag.EXISTS));
    }
}

package org.dmd.core.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.dmd.core.control.Replies.MessageOutput;
import org.dmd.core.errno.Errno;
import org.dmd.core.testing.Outcome;
import org.dmd.core.testing.TestRequests;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * DM_DEV_SET_GEOMETRY (dm-ioctl.c: dev_set_geometry) and DM_TARGET_MSG (target_message) errno rows, in the kernel's
 * order: the device is looked up first (ENXIO), then the payload is checked (EINVAL).
 */
class GeometryAndMessageErrnoTest {

    private final DeviceMapper dm = DeviceMapper.builder().build();

    @BeforeEach
    void createDevice() {
        Outcome.of(() -> dm.devCreate(TestRequests.create("a"))).value();
    }

    @AfterEach
    void close() {
        dm.close();
    }

    private Outcome<Replies.Done> setGeometry(String name, String geometry) {
        return Outcome.of(() -> dm.devSetGeometry(new Requests.DevSetGeometry(name, null, null, Set.of(), geometry)));
    }

    private Outcome<MessageOutput> message(String name, String message) {
        return Outcome.of(() -> dm.targetMsg(TestRequests.message(name, message)));
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {"1 2 3", "1 2 3 4 5", "1 2 3 4 ", "1 2 3 4\n", "a b c d", "-1 2 3 4", "1,2,3,4",
            "65536 1 1 0", "1 256 1 0", "1 1 256 0", "2 2 2 9", "99999999999999999999 1 1 0"})
    void malformedOrOutOfRangeGeometryIsEINVAL(String geometry) {
        assertEquals(Errno.EINVAL, setGeometry("a", geometry).errno());
    }

    @ParameterizedTest
    @ValueSource(strings = {"1 2 3 4", "  1 2 3 4", "65535 255 255 0", "2 2 2 8", "0 0 0 0", "1\t2\t3\t4"})
    void wellFormedGeometryIsSet(String geometry) {
        assertTrue(setGeometry("a", geometry).ok());
    }

    @Test
    void geometryOfAMissingDeviceIsENXIOWhateverThePayload() {
        assertEquals(Errno.ENXIO, setGeometry("missing", "1 2 3 4").errno());
        assertEquals(Errno.ENXIO, setGeometry("missing", "nonsense").errno(), "the kernel looks the device up first");
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {"   ", "@stats_list_nonexistent", "@cancel_deferred_remove now", "@"})
    void badOrUnsupportedMessagesAreEINVAL(String text) {
        assertEquals(Errno.EINVAL, message("a", text).errno());
    }

    @Test
    void messagesToAMissingDeviceAreENXIOWhateverTheMessage() {
        assertEquals(Errno.ENXIO, message("missing", "@cancel_deferred_remove").errno());
        assertEquals(Errno.ENXIO, message("missing", "").errno(), "the kernel looks the device up first");
        assertEquals(Errno.ENXIO, message("missing", "@unknown").errno());
    }

    @Test
    void aTargetMessageToATableLessDeviceIsIgnoredAndCancelOfNothingSucceeds() {
        MessageOutput ignored = message("a", "flush").value();
        assertNull(ignored.output());
        assertFalse(ignored.device().flags().contains(DmFlag.DATA_OUT));
        assertTrue(message("a", "@cancel_deferred_remove").ok(), "nothing to cancel is not an error");
    }
}

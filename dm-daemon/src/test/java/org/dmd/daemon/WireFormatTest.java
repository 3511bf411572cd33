package org.dmd.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.dmd.core.control.Command;
import org.dmd.core.control.DmFlag;
import org.dmd.core.control.Replies;
import org.dmd.core.control.Requests;
import org.dmd.core.errno.Errno;
import org.dmd.core.event.KernelMessage;
import org.dmd.core.event.Uevent;
import org.dmd.core.event.UeventAction;
import org.junit.jupiter.api.Test;

/** The JSON exactly: requests as the records, replies flattened, events, errors. */
class WireFormatTest {

    private final WireFormat wire = new WireFormat();

    private Inbound read(String json) {
        return wire.readRequest(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)));
    }

    private String write(Outbound message) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        wire.write(message, out);
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void requestsBecomeTheirRecords() {
        Inbound.Call call = assertInstanceOf(Inbound.Call.class, read("{\"id\": 7, \"command\": \"dev_suspend\", "
                + "\"name\": \"vg-lv\", \"flags\": [\"SUSPEND\", \"noflush\"], \"eventNr\": 4194304}"));
        assertEquals(7, call.id());
        assertEquals(Command.DEV_SUSPEND, call.command());
        assertEquals(new Requests.DevSuspend("vg-lv", null, null, EnumSet.of(DmFlag.SUSPEND, DmFlag.NOFLUSH), 4194304),
                call.request());

        Inbound.Call load = assertInstanceOf(Inbound.Call.class, read("{\"id\": 8, \"command\": \"TABLE_LOAD\", "
                + "\"dev\": \"253:0\", \"targets\": [{\"start\": 0, \"length\": 2048, \"type\": \"linear\", "
                + "\"params\": \"7:0 0\"}]}"));
        assertEquals(new Requests.TableLoad(null, null, "253:0", Set.of(),
                List.of(new Requests.TargetSpec(0, 2048, "linear", "7:0 0"))), load.request());
    }

    @Test
    void absentFieldsAreNullZeroOrEmpty() {
        Inbound.Call call = assertInstanceOf(Inbound.Call.class, read("{\"id\": 1, \"command\": \"DEV_CREATE\"}"));
        assertEquals(new Requests.DevCreate(null, null, null, Set.of(), 0), call.request());
        Inbound.Call nulls = assertInstanceOf(Inbound.Call.class,
                read("{\"id\": 1, \"command\": \"TABLE_LOAD\", \"flags\": null, \"targets\": null}"));
        assertEquals(new Requests.TableLoad(null, null, null, Set.of(), List.of()), nulls.request());
    }

    @Test
    void refusalsCarryTheIdWhenItCouldBeRead() {
        Inbound.Refused unknown = assertInstanceOf(Inbound.Refused.class, read("{\"id\": 3, \"command\": \"FOO\"}"));
        assertEquals(3L, unknown.id());
        assertEquals(Errno.ENOTTY, unknown.error().errno());
        Inbound.Refused malformed = assertInstanceOf(Inbound.Refused.class, read("{\"id\": 3,"));
        assertEquals(null, malformed.id());
        Inbound.Refused duplicate = assertInstanceOf(Inbound.Refused.class,
                read("{\"id\": 3, \"command\": \"VERSION\", \"command\": \"LSMOD\"}"));
        assertEquals(Errno.EINVAL, duplicate.error().errno());
    }

    @Test
    void membersMayComeInAnyOrder() {
        Inbound.Call call = assertInstanceOf(Inbound.Call.class,
                read("{\"name\": \"vg-lv\", \"command\": \"DEV_STATUS\", \"flags\": [], \"id\": 4}"));
        assertEquals(4, call.id());
        assertEquals(new Requests.DevStatus("vg-lv", null, null, Set.of()), call.request());
    }

    @Test
    void aFrameThatIsNotAnObjectIsNamed() {
        assertRefused(null, "a request is one JSON object, not an array", read("[1, {\"id\": 2}]"));
        assertRefused(null, "a request is one JSON object, not the number 42", read("42"));
        assertRefused(null, "a request is one JSON object, not a string", read("\"VERSION\""));
        assertRefused(null, "a request is one JSON object, not null", read("null"));
        assertRefused(null, "a request is one JSON object, not an empty frame", read(" "));
        assertRefused(null, "a request needs an integer \"id\", not an object", read("{\"id\": {\"n\": 1}}"));
        assertRefused(7L, "a request needs a \"command\" string, not true", read("{\"id\": 7, \"command\": true}"));
    }

    @Test
    void malformedJsonAnywhereInTheFrameTakesPrecedence() {
        Inbound.Refused unknownThenBroken = assertRefused(null, "malformed JSON",
                read("{\"id\": 3, \"command\": \"FOO\", \"x\": ]}"));
        assertEquals(Errno.EINVAL, unknownThenBroken.error().errno());
        assertRefused(null, "malformed JSON", read("{\"id\": 3, \"command\": \"DEV_CREATE\", \"name\": 42, \"x\": ]}"));
        Inbound.Refused trailing = assertRefused(null, "malformed JSON", read("{\"id\": 3, \"command\": \"VERSION\"} {}"));
        assertTrue(trailing.error().getMessage().endsWith("trailing data after the JSON value"), trailing::toString);
    }

    private static Inbound.Refused assertRefused(Long id, String messageStart, Inbound inbound) {
        Inbound.Refused refused = assertInstanceOf(Inbound.Refused.class, inbound);
        assertEquals(id, refused.id());
        assertTrue(refused.error().getMessage().startsWith(messageStart), refused::toString);
        return refused;
    }

    @Test
    void successFlattensTheReplyAndOmitsNulls() throws IOException {
        Replies.DeviceInfo info = new Replies.DeviceInfo("vg-lv", null, "253:3",
                EnumSet.of(DmFlag.ACTIVE_PRESENT, DmFlag.SUSPEND), 1, 2, 1);
        assertEquals("{\"id\":5,\"errno\":0,\"message\":\"\",\"name\":\"vg-lv\",\"dev\":\"253:3\","
                + "\"flags\":[\"SUSPEND\",\"ACTIVE_PRESENT\"],\"openCount\":1,\"eventNr\":2,\"targetCount\":1}",
                write(new Outbound.Answer(5, info)));
        assertEquals("{\"id\":6,\"errno\":0,\"message\":\"\",\"major\":4,\"minor\":50,\"patch\":0}",
                write(new Outbound.Answer(6, new Replies.DriverVersion(4, 50, 0))));
    }

    /** Found by JsonFrameFuzzTest: NULs among the first bytes made Jackson read UTF-32, and fail outside JSON. */
    @Test
    void framesAreUtf8OnlyWhateverTheirFirstBytesSuggest() {
        byte[] utf32 = {'{', 0, 0, 0, '!', '{', '"', 'i', 'd', '"', ':', '2', '}'};
        Inbound.Refused refused = assertInstanceOf(Inbound.Refused.class,
                wire.readRequest(new ByteArrayInputStream(utf32)));
        assertEquals(Errno.EINVAL, refused.error().errno());
        assertTrue(refused.error().getMessage().startsWith("malformed JSON"), refused.error()::getMessage);
        byte[] utf16 = "{\"id\":1,\"command\":\"VERSION\"}".getBytes(StandardCharsets.UTF_16LE);
        refused = assertInstanceOf(Inbound.Refused.class, wire.readRequest(new ByteArrayInputStream(utf16)));
        assertEquals(Errno.EINVAL, refused.error().errno(), "UTF-16 is not the protocol's encoding");
        byte[] invalid = {'{', '"', 'i', 'd', '"', ':', '1', ',', '"', 'c', '"', ':', '"', (byte) 0xC3, '(', '"', '}'};
        refused = assertInstanceOf(Inbound.Refused.class, wire.readRequest(new ByteArrayInputStream(invalid)));
        assertEquals("malformed JSON: the frame is not UTF-8 (Input length = 1)", refused.error().getMessage());
    }

    @Test
    void aReplysFieldsFollowTheEnvelope() throws IOException {
        assertEquals("{\"id\":1,\"errno\":0,\"message\":\"\",\"modules\":[\"dm-zero\"]}",
                write(new Outbound.Answer(1, new Replies.ModprobeDone(List.of("dm-zero")))));
    }

    @Test
    void failures() throws IOException {
        assertEquals("{\"id\":9,\"errno\":6,\"error\":\"ENXIO\",\"message\":\"no such device\"}",
                write(new Outbound.Failure(9L, Errno.ENXIO, "no such device")));
        assertEquals("{\"id\":null,\"errno\":90,\"error\":\"EMSGSIZE\",\"message\":\"too big\"}",
                write(new Outbound.Failure(null, Errno.EMSGSIZE, "too big")));
    }

    @Test
    void events() throws IOException {
        Uevent add = new Uevent(12, UeventAction.ADD, "block", "/devices/virtual/block/dm-0",
                Map.of("DEVNAME", "dm-0", "MAJOR", "253", "MINOR", "0", "DM_NAME", "x", "DM_COOKIE", "4194305"));
        assertEquals("{\"event\":\"uevent\",\"seqnum\":12,\"action\":\"add\",\"subsystem\":\"block\","
                + "\"devpath\":\"/devices/virtual/block/dm-0\",\"env\":{\"DEVNAME\":\"dm-0\",\"DM_COOKIE\":\"4194305\","
                + "\"DM_NAME\":\"x\",\"MAJOR\":\"253\",\"MINOR\":\"0\"}}", write(new Outbound.Notice(add)));
        assertEquals("{\"event\":\"kernel\",\"seqnum\":13,\"level\":\"WARNING\",\"text\":\"careful\"}",
                write(new Outbound.Notice(new KernelMessage(13, KernelMessage.Level.WARNING, "careful"))));
        assertEquals("{\"event\":\"dropped\",\"count\":40}", write(new Outbound.Dropped(40)));
    }
}

package org.dmd.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.dmd.core.concurrent.StepHook;
import org.dmd.daemon.testing.WireClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every kind of bad input gets a clear error or a closed connection, changes nothing, and leaves
 * the daemon answering: each test ends by checking that a fresh connection is served and the
 * devices are exactly those created before.
 */
class BadInputTest {

    private static final int MAX_FRAME = 8192;

    @TempDir
    Path dir;
    private TestDaemon daemon;
    private WireClient client;
    private List<String> devicesBefore;

    @BeforeEach
    void start() throws Exception {
        daemon = TestDaemon.start(dir, config -> config.maxFrame(MAX_FRAME), StepHook.NONE);
        client = daemon.client();
        client.ok("DEV_CREATE", "name", "keep");
        client.ok("DEV_CREATE", "name", "also-kept", "uuid", "LVM-kept");
        devicesBefore = devices(client);
    }

    @AfterEach
    void stop() throws IOException {
        daemon.close();
    }

    private static List<String> devices(WireClient client) throws IOException {
        List<String> names = new ArrayList<>();
        client.ok("LIST_DEVICES", "flags", List.of("UUID")).get("devices")
                .forEach(d -> names.add(d.get("name").asText() + " " + d.get("dev").asText() + " "
                        + d.path("uuid").asText()));
        return names;
    }

    /** The daemon serves a new connection and its devices are as before. */
    private void assertUnharmed() throws IOException {
        WireClient fresh = daemon.client();
        assertEquals("4.50.0", version(fresh.ok("VERSION")));
        assertEquals(devicesBefore, devices(fresh));
    }

    private static String version(JsonNode reply) {
        return reply.get("major").asInt() + "." + reply.get("minor").asInt() + "." + reply.get("patch").asInt();
    }

    /** A failed reply to a {@link WireClient#call} (which checked the id). */
    private static void assertFails(JsonNode reply, String errno, String messagePart) {
        assertEquals(errno, reply.path("error").asText(), reply::toString);
        assertTrue(reply.get("message").asText().contains(messagePart), reply::toString);
    }

    private static void assertError(JsonNode reply, Long id, String errno, String messagePart) {
        assertEquals(errno, reply.path("error").asText(), reply::toString);
        if (id == null) {
            assertTrue(reply.get("id").isNull(), reply::toString);
        } else {
            assertEquals(id.longValue(), reply.get("id").asLong(), reply::toString);
        }
        assertTrue(reply.get("message").asText().contains(messagePart), reply::toString);
    }

    @Test
    void malformedJsonIsRefusedWithoutId() throws IOException {
        client.sendJson("{\"id\": 1, \"command\": ");
        assertError(client.next(), null, "EINVAL", "malformed JSON");
        client.ok("VERSION");
        assertUnharmed();
    }

    @Test
    void invalidUtf8AndTrailingDataAreMalformed() throws IOException {
        client.sendFrame(new byte[] {'{', '"', 'a', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'});
        assertError(client.next(), null, "EINVAL", "malformed JSON");
        client.sendJson("{\"id\": 2, \"command\": \"VERSION\"} {}");
        assertError(client.next(), null, "EINVAL", "malformed JSON");
        assertUnharmed();
    }

    @Test
    void framesThatAreNotObjectsAreRefused() throws IOException {
        for (String json : List.of("[1, 2]", "42", "\"VERSION\"", "null", "")) {
            client.sendJson(json);
            assertError(client.next(), null, "EINVAL", "a request is one JSON object");
        }
        assertUnharmed();
    }

    @Test
    void idMustBeAnInteger() throws IOException {
        client.sendJson("{\"command\": \"VERSION\"}");
        assertError(client.next(), null, "EINVAL", "integer \"id\"");
        client.sendJson("{\"id\": \"7\", \"command\": \"VERSION\"}");
        assertError(client.next(), null, "EINVAL", "integer \"id\"");
        client.sendJson("{\"id\": 1.5, \"command\": \"VERSION\"}");
        assertError(client.next(), null, "EINVAL", "integer \"id\"");
        assertUnharmed();
    }

    @Test
    void unknownCommandIsENOTTY() throws IOException {
        client.sendJson("{\"id\": 5, \"command\": \"DEV_EXPLODE\"}");
        assertError(client.next(), 5L, "ENOTTY", "DEV_EXPLODE");
        client.sendJson("{\"id\": 6}");
        assertError(client.next(), 6L, "EINVAL", "\"command\"");
        assertUnharmed();
    }

    @Test
    void commandNamesAreCaseInsensitive() throws IOException {
        assertEquals("4.50.0", version(client.ok("version")));
    }

    @Test
    void unknownFieldIsRefusedAndNothingIsCreated() throws IOException {
        JsonNode reply = client.call("DEV_CREATE", "name", "new", "colour", "red");
        assertFails(reply, "EINVAL", "unknown field \"colour\"");
        assertFails(reply, "EINVAL", "(fields: name, uuid, dev, flags, eventNr)");
        assertFails(client.call("TABLE_LOAD", "name", "keep", "targets",
                List.of(WireClient.object("start", 0, "length", 8, "type", "zero", "params", "", "extra", 1))),
                "EINVAL", "unknown field \"targets[0].extra\"");
        assertFails(client.call("VERSION", "name", "x"), "EINVAL", "it takes none");
        assertUnharmed();
    }

    @Test
    void wrongFieldTypesAreRefused() throws IOException {
        assertFails(client.call("DEV_CREATE", "name", 42), "EINVAL", "field \"name\" must be a string");
        assertFails(client.call("DEV_CREATE", "name", "new", "eventNr", "5"), "EINVAL",
                "field \"eventNr\" must be an integer");
        assertFails(client.call("DEV_CREATE", "name", "new", "eventNr", 1.5), "EINVAL",
                "field \"eventNr\" must be an integer");
        assertFails(client.call("DEV_CREATE", "name", "new", "eventNr", new BigInteger("99999999999999999999")),
                "EINVAL", "eventNr");
        assertFails(client.call("DEV_CREATE", "name", "new", "flags", "SUSPEND"), "EINVAL",
                "field \"flags\" must be an array");
        assertFails(client.call("DEV_CREATE", "name", "new", "flags", List.of("BOGUS")), "EINVAL",
                "unknown flag \"BOGUS\"");
        assertFails(client.call("SHUTDOWN", "force", 1), "EINVAL", "field \"force\" must be true or false");
        assertUnharmed();
    }

    @Test
    void deeplyNestedJsonIsRefused() throws IOException {
        client.sendJson("{\"id\": 3, \"command\": \"VERSION\", \"x\": " + "[".repeat(100) + "]".repeat(100) + "}");
        assertError(client.next(), null, "EINVAL", "malformed JSON");
        assertUnharmed();
    }

    @Test
    void nameOf200BytesIsRefusedByTheCore() throws IOException {
        JsonNode reply = client.call("DEV_CREATE", "name", "n".repeat(200));
        assertFails(reply, "EINVAL", "");
        assertEquals(22, reply.get("errno").asInt());
        assertUnharmed();
    }

    @Test
    void negativeTargetLengthIsRefusedAndNothingIsStaged() throws IOException {
        JsonNode reply = client.call("TABLE_LOAD", "name", "keep", "targets",
                List.of(WireClient.object("start", 0, "length", -8, "type", "zero", "params", "")));
        assertFails(reply, "EINVAL", "");
        JsonNode status = client.ok("DEV_STATUS", "name", "keep");
        assertEquals(0, status.get("flags").size(), status::toString);
        assertUnharmed();
    }

    @Test
    void negativeLengthPrefixClosesTheConnectionAfterEMSGSIZE() throws IOException {
        client.sendRaw(new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFE, '{', '}'});
        assertError(client.next(), null, "EMSGSIZE", "4294967294 bytes exceeds the limit of " + MAX_FRAME);
        client.awaitClosed();
        assertUnharmed();
    }

    @Test
    void oversizedFrameClosesTheConnectionAfterEMSGSIZE() throws IOException {
        String padding = "x".repeat(MAX_FRAME);
        client.sendJson("{\"id\": 9, \"command\": \"DEV_CREATE\", \"name\": \"big\", \"uuid\": \"" + padding + "\"}");
        assertError(client.next(), null, "EMSGSIZE", "exceeds the limit of " + MAX_FRAME);
        client.awaitClosed();
        assertUnharmed();
    }

    @Test
    void frameOfExactlyTheLimitIsRead() throws IOException {
        String head = "{\"id\": 4, \"command\": \"VERSION\", \"pad\": \"";
        String json = head + "x".repeat(MAX_FRAME - head.length() - 2) + "\"}";
        assertEquals(MAX_FRAME, json.getBytes(StandardCharsets.UTF_8).length);
        client.sendJson(json);
        assertError(client.next(), 4L, "EINVAL", "unknown field \"pad\"");
        assertUnharmed();
    }

    @Test
    void emptyFrameIsRefusedAndTheConnectionGoesOn() throws IOException {
        client.sendFrame(new byte[0]);
        assertError(client.next(), null, "EINVAL", "empty frame");
        client.ok("VERSION");
    }

    @Test
    void halfAFrameThenVanishingChangesNothing() throws IOException {
        WireClient vanishing = daemon.client();
        byte[] request = "{\"id\": 1, \"command\": \"DEV_REMOVE\", \"name\": \"keep\"}".getBytes(StandardCharsets.UTF_8);
        vanishing.sendRaw(ByteBuffer.allocate(4 + request.length / 2).putInt(request.length)
                .put(request, 0, request.length / 2).array());
        vanishing.close();
        assertUnharmed();
    }

    /** A second daemon, with its own idle timeout; the first keeps serving. */
    private TestDaemon secondDaemon(Duration idleTimeout) throws StartupException {
        return TestDaemon.start(dir.resolve("second"), config -> config.idleTimeout(idleTimeout), StepHook.NONE);
    }

    @Test
    void halfAFrameThenSilenceIsClosedWhenIdle() throws IOException, StartupException {
        try (TestDaemon impatient = secondDaemon(Duration.ofMillis(200))) {
            WireClient stalled = impatient.client();
            stalled.sendRaw(new byte[] {0, 0, 0, 100, '{'});
            stalled.awaitClosed();
            impatient.client().ok("VERSION");
        }
        assertUnharmed();
    }

    @Test
    void silentClientIsClosedWhenIdle() throws IOException, StartupException {
        try (TestDaemon impatient = secondDaemon(Duration.ofMillis(200))) {
            WireClient silent = impatient.client();
            silent.awaitClosed();
            impatient.client().ok("VERSION");
        }
        assertUnharmed();
    }

    @Test
    void clientThatKeepsTalkingOutlivesASilentOne() throws IOException, StartupException {
        try (TestDaemon impatient = secondDaemon(Duration.ofSeconds(1))) {
            WireClient silent = impatient.client();
            WireClient talking = impatient.client();
            talking.ok("DEV_CREATE", "name", "talker");
            // DEV_STATUS runs on the event loop: between two of them the connection waits for nothing.
            while (!silent.hasPending()) {
                talking.ok("DEV_STATUS", "name", "talker");
            }
            silent.awaitClosed();
            talking.ok("DEV_STATUS", "name", "talker");
        }
        assertUnharmed();
    }

    @Test
    void requestsAfterAnErrorAreStillServedInOrder() throws IOException {
        client.sendJson("{\"id\": 10, \"command\": \"VERSION\"}");
        client.sendJson("not json");
        client.sendJson("{\"id\": 11, \"command\": \"NOPE\"}");
        client.sendJson("{\"id\": 12, \"command\": \"VERSION\"}");
        assertEquals(10, client.next().get("id").asInt());
        assertTrue(client.next().get("id").isNull());
        assertEquals(11, client.next().get("id").asInt());
        assertEquals(12, client.next().get("id").asInt());
    }
}

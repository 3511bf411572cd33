package org.dmd.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.dmd.core.concurrent.StepHook;
import org.dmd.daemon.testing.WireClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** MONITOR: every subscriber sees the same ordered uevents; a slow one loses events, is told, and slows nobody. */
class MonitorTest {

    /** More renames than this without the slow subscriber falling behind means the buffers are unbounded. */
    private static final int MAX_RENAMES = 50_000;

    @TempDir
    Path dir;
    private TestDaemon daemon;

    private void start(UnaryOperator<DaemonConfig.Builder> config) throws StartupException {
        daemon = TestDaemon.start(dir, config, StepHook.NONE);
    }

    @AfterEach
    void stop() throws IOException {
        if (daemon != null) {
            daemon.close();
        }
    }

    private static WireClient subscribe(WireClient client, boolean kernelMessages) throws Exception {
        JsonNode reply = client.ok("MONITOR", "kernelMessages", kernelMessages);
        assertEquals(0, reply.get("errno").asInt());
        return client;
    }

    /** Creates a device with a one-line zero table and resumes it: ADD, then CHANGE. */
    private static void activate(WireClient client, String name, long cookie) throws Exception {
        client.ok("DEV_CREATE", "name", name);
        client.ok("TABLE_LOAD", "name", name, "targets",
                List.of(WireClient.object("start", 0, "length", 8, "type", "zero", "params", "")));
        client.ok("DEV_SUSPEND", "name", name, "eventNr", cookie);
    }

    /** Frames up to and including the {@code count}th block uevent (module uevents come along when dm-zero loads). */
    private static List<JsonNode> untilBlockEvents(WireClient subscriber, int count) {
        List<JsonNode> events = new ArrayList<>();
        int block = 0;
        while (block < count) {
            JsonNode event = subscriber.next();
            events.add(event);
            if (event.path("subsystem").asText().equals("block")) {
                block++;
            }
        }
        return events;
    }

    @Test
    void twoSubscribersSeeTheSameOrderedEvents() throws Exception {
        start(config -> config);
        WireClient first = subscribe(daemon.client(), false);
        WireClient second = subscribe(daemon.client(), false);
        WireClient control = daemon.client();
        long cookie = control.ok("UDEV_CREATE_COOKIE").get("cookie").asLong();
        for (String name : List.of("a", "b", "c")) {
            activate(control, name, name.equals("b") ? cookie : 0);
            control.ok("DEV_REMOVE", "name", name);
        }
        control.ok("UDEV_RELEASE_COOKIE", "cookie", cookie);

        List<JsonNode> seen = untilBlockEvents(first, 9);
        assertEquals(seen, untilBlockEvents(second, 9));
        List<String> actions = new ArrayList<>();
        long seqnum = 0;
        for (JsonNode event : seen) {
            assertEquals("uevent", event.get("event").asText(), event::toString);
            assertTrue(event.get("seqnum").asLong() > seqnum, "seqnums increase");
            seqnum = event.get("seqnum").asLong();
            if (!event.get("subsystem").asText().equals("block")) {
                continue;
            }
            JsonNode env = event.get("env");
            assertEquals(event.get("devpath").asText(), "/devices/virtual/block/" + env.get("DEVNAME").asText());
            assertEquals("253", env.get("MAJOR").asText());
            actions.add(event.get("action").asText() + " " + env.get("DM_NAME").asText()
                    + (env.has("DM_COOKIE") ? " cookie " + env.get("DM_COOKIE").asLong() : ""));
        }
        assertEquals(List.of("add a", "change a", "remove a", "add b", "change b cookie " + cookie, "remove b",
                "add c", "change c", "remove c"), actions);
    }

    @Test
    void slowSubscriberIsDroppedWithNoticeWhileOthersAreServed() throws Exception {
        start(config -> config.monitorBuffer(16));
        WireClient slow = daemon.pausedClient();
        long subscribe = slow.send("MONITOR", "kernelMessages", true);
        WireClient control = daemon.client();
        WireClient bystander = daemon.client();
        activate(control, "x", 0);
        String name = "x";
        try (LogCapture log = new LogCapture(MonitorSubscription.class)) {
            int renames = 0;
            while (log.count("dropping events") == 0) {
                if (++renames > MAX_RENAMES) {
                    fail("the slow subscriber never fell behind after " + MAX_RENAMES + " events");
                }
                String next = name.equals("x") ? "y" : "x";
                control.ok("DEV_RENAME", "name", name, "newName", next);
                name = next;
            }
            bystander.ok("VERSION");
        }

        slow.startReading();
        assertEquals(subscribe, slow.next().get("id").asLong());
        long lastSeqnum = 0;
        JsonNode frame = slow.next();
        while (!frame.get("event").asText().equals("dropped")) {
            assertEquals(lastSeqnum == 0 ? frame.get("seqnum").asLong() : lastSeqnum + 1,
                    frame.get("seqnum").asLong(), "no gap before the notice");
            lastSeqnum = frame.get("seqnum").asLong();
            frame = slow.next();
        }
        long dropped = frame.get("count").asLong();
        assertTrue(dropped > 0, frame::toString);

        // Streaming resumes, and the seqnums account for exactly the dropped events.
        control.ok("DEV_RENAME", "name", name, "newName", "z");
        JsonNode after = slow.next();
        assertEquals(lastSeqnum + dropped + 1, after.get("seqnum").asLong(), after::toString);
    }

    @Test
    void monitoringConnectionTakesNoFurtherRequests() throws Exception {
        start(config -> config);
        WireClient monitor = subscribe(daemon.client(), false);
        JsonNode refused = monitor.call("VERSION");
        assertEquals("EINVAL", refused.get("error").asText(), refused::toString);
        activate(daemon.client(), "a", 0);
        assertEquals("add", untilBlockEvents(monitor, 1).get(0).get("action").asText());
    }

    @Test
    void monitoringConnectionIsNotIdle() throws Exception {
        start(config -> config.idleTimeout(Duration.ofMillis(100)));
        try (LogCapture log = new LogCapture(IdleCloser.class)) {
            WireClient monitor = subscribe(daemon.client(), false);
            log.await("kept open", 2);
            activate(daemon.client(), "a", 0);
            assertEquals("add", untilBlockEvents(monitor, 1).get(0).get("action").asText());
        }
    }
}

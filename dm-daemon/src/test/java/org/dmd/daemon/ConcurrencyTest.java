package org.dmd.daemon;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.dmd.core.concurrent.Step;
import org.dmd.core.concurrent.StepHook;
import org.dmd.core.module.ModuleFaults;
import org.dmd.daemon.testing.WireClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ordering per connection, concurrency between connections, waits that hold no thread, and what
 * a disconnect cancels. Commands are held on their worker with a {@link Gate} at a named step.
 */
class ConcurrencyTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;
    private TestDaemon daemon;
    private Gate gate;
    private final CountDownLatch waitRegistered = new CountDownLatch(1);

    private void start(String gatedName, UnaryOperator<DaemonConfig.Builder> config) throws StartupException {
        gate = new Gate(Step.RENAME_CHECKED, gatedName);
        StepHook steps = (step, subject) -> {
            if (step == Step.WAIT_REGISTERED) {
                waitRegistered.countDown();
            }
            gate.reached(step, subject);
        };
        daemon = TestDaemon.start(dir, config, steps);
    }

    @AfterEach
    void stop() throws IOException {
        if (gate != null) {
            gate.open();
        }
        if (daemon != null) {
            daemon.close();
        }
    }

    private static int minor(JsonNode deviceInfo) {
        return Integer.parseInt(deviceInfo.get("dev").asText().split(":")[1]);
    }

    private void awaitWaitRegistered() throws InterruptedException {
        assertTrue(waitRegistered.await(WAIT.toSeconds(), TimeUnit.SECONDS), "DEV_WAIT never registered");
    }

    /** Sends DEV_WAIT for {@code name} at the event number it was {@code created} with; returns once it waits. */
    private long devWait(WireClient client, String name, JsonNode created) throws IOException, InterruptedException {
        long id = client.send("DEV_WAIT", "name", name, "eventNr", created.get("eventNr").asLong());
        awaitWaitRegistered();
        return id;
    }

    @Test
    void oneConnectionIsAnsweredInOrderWhileAnotherIsServed() throws Exception {
        start("slow", config -> config);
        WireClient a = daemon.client();
        WireClient b = daemon.client();
        a.ok("DEV_CREATE", "name", "slow");
        long rename = a.send("DEV_RENAME", "name", "slow", "newName", "renamed");
        long version = a.send("VERSION");
        long list = a.send("LIST_DEVICES");
        await().atMost(WAIT).until(() -> gate.arrived() == 1);

        b.ok("VERSION");
        b.ok("DEV_CREATE", "name", "meanwhile");
        assertFalse(a.hasPending(), "a reply overtook the held rename");

        gate.open();
        assertEquals(rename, a.next().get("id").asLong());
        assertEquals(version, a.next().get("id").asLong());
        JsonNode listed = a.next();
        assertEquals(list, listed.get("id").asLong());
        assertEquals(List.of("meanwhile", "renamed"), names(listed));
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws Exception {
        start("none", config -> config);
        WireClient client = daemon.client();
        client.ok("DEV_CREATE", "name", "polled");
        List<Long> sent = new ArrayList<>();
        for (int i = 0; i < 3 * Dispatcher.READ_AHEAD; i++) {
            // DEV_STATUS is answered on the event loop, VERSION on a worker
            sent.add(i % 3 == 0 ? client.send("VERSION") : client.send("DEV_STATUS", "name", "polled"));
        }
        for (long id : sent) {
            assertEquals(id, client.next().get("id").asLong());
        }
    }

    private static List<String> names(JsonNode listReply) {
        List<String> names = new ArrayList<>();
        listReply.get("devices").forEach(d -> names.add(d.get("name").asText()));
        return names;
    }

    @Test
    void devWaitHoldsNoWorker() throws Exception {
        // One worker: were it held by the wait, the other connection's commands would queue behind it for ever.
        start("none", config -> config.workers(1).workQueue(1));
        WireClient waiter = daemon.client();
        WireClient other = daemon.client();
        JsonNode created = waiter.ok("DEV_CREATE", "name", "w");
        long wait = devWait(waiter, "w", created);

        other.ok("VERSION");
        other.ok("DEV_CREATE", "name", "x");
        assertFalse(waiter.hasPending());

        other.ok("DEV_REMOVE", "name", "w");
        JsonNode woken = waiter.next();
        assertEquals(wait, woken.get("id").asLong());
        assertEquals("ENXIO", woken.get("error").asText(), woken::toString);
    }

    @Test
    void disconnectWithDevWaitPendingReleasesTheDevice() throws Exception {
        start("none", config -> config);
        WireClient waiter = daemon.client();
        WireClient other = daemon.client();
        JsonNode created = waiter.ok("DEV_CREATE", "name", "w");
        int minor = minor(created);
        int holdersBefore = daemon.device(minor).holders();
        devWait(waiter, "w", created);
        assertEquals(holdersBefore + 1, daemon.device(minor).holders(), "the waiter holds the device");

        waiter.close();
        await().atMost(WAIT).until(() -> daemon.device(minor).holders() == holdersBefore);
        other.ok("DEV_REMOVE", "name", "w");
        assertEquals(List.of(), names(other.ok("LIST_DEVICES")));
    }

    @Test
    void disconnectInterruptsTheWorkerAndClosesTheSession() throws Exception {
        start("held", config -> config);
        WireClient client = daemon.client();
        WireClient other = daemon.client();
        int minor = minor(client.ok("DEV_CREATE", "name", "held"));
        client.ok("BLOCK_OPEN", "name", "held");
        assertEquals(1, daemon.device(minor).openCount());
        client.send("DEV_RENAME", "name", "held", "newName", "released");
        await().atMost(WAIT).until(() -> gate.arrived() == 1);

        client.close();
        await().atMost(WAIT).until(() -> gate.interrupted() == 1);
        await().atMost(WAIT).until(() -> daemon.device(minor).openCount() == 0);
        other.ok("DEV_REMOVE", "dev", "253:" + minor);
        assertEquals(List.of(), names(other.ok("LIST_DEVICES")));
    }

    @Test
    void disconnectInterruptsACommandWaitingInTheCore() throws Exception {
        ModuleFaults slowInit = ModuleFaults.parse("dm-zero:delay=10m");
        daemon = TestDaemon.startWithCore(dir, config -> config, core -> core.moduleFaults(slowInit));
        WireClient loader = daemon.client();
        WireClient other = daemon.client();
        loader.send("MODPROBE", "name", "dm-zero");
        await().atMost(WAIT).until(() -> moduleStates(other).contains("dm_zero COMING"));

        loader.close();
        await().atMost(WAIT).until(() -> !moduleStates(other).contains("dm_zero COMING"));
        assertFalse(moduleStates(other).contains("dm_zero LIVE"), "the interrupted init did not complete");
    }

    private static List<String> moduleStates(WireClient client) throws IOException {
        List<String> states = new java.util.ArrayList<>();
        client.ok("LSMOD").get("modules").forEach(m -> states.add(m.get("name").asText() + " "
                + m.get("state").asText()));
        return states;
    }

    /**
     * Parks a rename of a new device "busy", sent by {@code holder}, at the gate on the daemon's
     * only worker; returns the rename's request id.
     */
    private long occupyTheOnlyWorker(WireClient holder) throws Exception {
        holder.ok("DEV_CREATE", "name", "busy");
        long rename = holder.send("DEV_RENAME", "name", "busy", "newName", "done");
        await().atMost(WAIT).until(() -> gate.arrived() == 1);
        return rename;
    }

    @Test
    void saturatedWorkersAnswerEAGAIN() throws Exception {
        start("busy", config -> config.workers(1).workQueue(0));
        WireClient holder = daemon.client();
        WireClient other = daemon.client();
        long rename = occupyTheOnlyWorker(holder);

        JsonNode refused = other.call("VERSION");
        assertEquals("EAGAIN", refused.get("error").asText(), refused::toString);
        assertTrue(refused.get("message").asText().startsWith("daemon busy"), refused::toString);

        gate.open();
        assertEquals(rename, holder.next().get("id").asLong());
        await().atMost(WAIT).until(() -> other.call("VERSION").get("errno").asInt() == 0);
    }

    @Test
    void devStatusIsAnsweredOnTheEventLoopWhileEveryWorkerIsBusy() throws Exception {
        start("busy", config -> config.workers(1).workQueue(0));
        WireClient holder = daemon.client();
        WireClient other = daemon.client();
        other.ok("DEV_CREATE", "name", "polled");
        long rename = occupyTheOnlyWorker(holder);

        JsonNode status = other.call("DEV_STATUS", "name", "polled");
        assertEquals(0, status.get("errno").asInt(), status::toString);
        assertEquals("polled", status.get("name").asText(), status::toString);
        assertEquals("EAGAIN", other.call("VERSION").get("error").asText(), "VERSION still needs a worker");

        gate.open();
        assertEquals(rename, holder.next().get("id").asLong());
    }

    @Test
    void connectionWaitingForAReplyIsNotIdle() throws Exception {
        // The waiter's only frame is its DEV_WAIT, sent right after connecting: the timeout leaves a
        // loaded machine ample time for that, and the connection is then quiet but waiting.
        start("none", config -> config.idleTimeout(Duration.ofSeconds(1)));
        try (LogCapture log = new LogCapture(IdleCloser.class)) {
            JsonNode created = daemon.client().ok("DEV_CREATE", "name", "w");
            WireClient waiter = daemon.client();
            long wait = devWait(waiter, "w", created);
            log.await("kept open", 2);

            daemon.client().ok("DEV_REMOVE", "name", "w");
            assertEquals(wait, waiter.next().get("id").asLong());
            waiter.awaitClosed();
        }
    }
}

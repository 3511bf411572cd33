package org.dmd.daemon;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.dmd.core.concurrent.Step;
import org.dmd.core.concurrent.StepHook;
import org.dmd.daemon.testing.DaemonProcess;
import org.dmd.daemon.testing.WireClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Stopping: on a signal (the same path in process), on SHUTDOWN, with commands in progress. */
class LifecycleTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    @Test
    void stopDropsEveryDeviceAndSaysHowManyAndWhich() throws Exception {
        TestDaemon daemon = TestDaemon.start(dir);
        WireClient client = daemon.client();
        client.ok("DEV_CREATE", "name", "alpha");
        JsonNode beta = client.ok("DEV_CREATE", "name", "beta");
        client.ok("BLOCK_OPEN", "name", "alpha");
        WireClient waiter = daemon.client();
        waiter.send("DEV_WAIT", "name", "beta", "eventNr", beta.get("eventNr").asLong());

        ControlServer.StopReport report;
        try (LogCapture log = new LogCapture(ControlServer.class)) {
            report = daemon.server.stop();
            assertEquals(1, log.count("dropping 2 devices: alpha, beta"), log.messages()::toString);
            assertEquals(1, log.count("dmd stopped"));
        }
        assertEquals(List.of("alpha", "beta"), report.droppedDevices().stream().sorted().toList());
        assertEquals(0, daemon.mapper.minors().allocated());
        client.awaitClosed();
        waiter.awaitClosed();
        assertFalse(Files.exists(daemon.socket()));
        assertTrue(daemon.server.stopped().isDone());

        // The lock went with it: a new daemon takes the same socket.
        try (TestDaemon next = TestDaemon.start(dir)) {
            next.client().ok("VERSION");
        }
        daemon.close();
    }

    @Test
    void stopLetsTheCommandInProgressFinishAndAnswer() throws Exception {
        Gate gate = new Gate(Step.RENAME_CHECKED, "old");
        try (TestDaemon daemon = TestDaemon.start(dir, config -> config, gate)) {
            WireClient client = daemon.client();
            client.ok("DEV_CREATE", "name", "old");
            long rename = client.send("DEV_RENAME", "name", "old", "newName", "new");
            await().atMost(WAIT).until(() -> gate.arrived() == 1);

            CompletableFuture<ControlServer.StopReport> stopping = CompletableFuture.supplyAsync(daemon.server::stop);
            await().atMost(WAIT).until(() -> !Files.exists(daemon.socket()));
            assertFalse(stopping.isDone(), "the stop waits for the rename");
            gate.open();
            JsonNode renamed = client.next();
            assertEquals(rename, renamed.get("id").asLong());
            assertEquals(0, renamed.get("errno").asInt(), renamed::toString);
            client.awaitClosed();
            assertEquals(List.of("new"), stopping.get().droppedDevices());
            assertEquals(0, gate.interrupted());
        }
    }

    @Test
    void stopInterruptsACommandThatOutlastsTheGrace() throws Exception {
        Gate gate = new Gate(Step.RENAME_CHECKED, "stuck");
        try (TestDaemon daemon = TestDaemon.start(dir, config -> config.shutdownGrace(Duration.ZERO), gate)) {
            WireClient client = daemon.client();
            client.ok("DEV_CREATE", "name", "stuck");
            client.send("DEV_RENAME", "name", "stuck", "newName", "unstuck");
            await().atMost(WAIT).until(() -> gate.arrived() == 1);
            daemon.server.stop();
            assertEquals(1, gate.interrupted());
            assertEquals(0, daemon.mapper.minors().allocated());
        } finally {
            gate.open();
        }
    }

    @Test
    void shutdownIsRefusedWhileDevicesExistUnlessForced() throws Exception {
        try (TestDaemon daemon = TestDaemon.start(dir)) {
            WireClient client = daemon.client();
            client.ok("DEV_CREATE", "name", "busy");
            JsonNode refused = client.call("SHUTDOWN");
            assertEquals("EBUSY", refused.get("error").asText(), refused::toString);
            client.ok("VERSION");
            assertFalse(daemon.server.stopped().isDone());

            JsonNode forced = client.ok("SHUTDOWN", "force", true);
            assertEquals(List.of("busy"), List.of(forced.get("destroyed").get(0).asText()));
            client.awaitClosed();
            assertEquals(List.of(), daemon.server.stopped().get().droppedDevices());
            assertFalse(Files.exists(daemon.socket()));
        }
    }

    @Test
    void shutdownWithoutDevicesStopsTheDaemonAfterReplying() throws Exception {
        try (TestDaemon daemon = TestDaemon.start(dir)) {
            WireClient client = daemon.client();
            client.ok("SHUTDOWN");
            client.awaitClosed();
            daemon.server.stopped().get();
        }
    }

    @Test
    void processStopsOnSigtermDroppingItsDevices() throws Exception {
        Path socket = dir.resolve("dmd").resolve("control.sock");
        try (DaemonProcess process = DaemonProcess.start(socket)) {
            String started = process.output();
            assertTrue(started.matches("(?s).*dmd \\S+ listening on " + socket + " \\(interface 4\\.50\\.0, Netty "
                    + "4\\.1\\.\\d+\\.Final, transport epoll, block major \\d+\\); NBD exports on "
                    + socket.resolveSibling("nbd.sock") + "\n"),
                    started);
            assertEquals(1, started.lines().count(), "one line on start");

            try (WireClient client = WireClient.connect(socket)) {
                client.ok("DEV_CREATE", "name", "p");
            }
            DaemonProcess second = DaemonProcess.launch(socket);
            assertEquals(1, second.awaitExit());
            second.awaitOutput("dmd is already running on " + socket);

            assertEquals(143, process.terminate());
            process.awaitOutput("dmd stopped");
            assertTrue(process.output().contains("dropping 1 device: p"), process.output());
            assertFalse(Files.exists(socket));
        }
    }
}

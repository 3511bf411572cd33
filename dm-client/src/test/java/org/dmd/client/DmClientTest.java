package org.dmd.client;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.dmd.core.control.DmFlag;
import org.dmd.core.control.Replies;
import org.dmd.core.control.Requests.TargetSpec;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DmClientTest {

    @TempDir
    Path dir;

    private static Replies.DeviceInfo info(String name) {
        return new Replies.DeviceInfo(name, null, "253:0", EnumSet.of(DmFlag.ACTIVE_PRESENT), 0, 0, 1);
    }

    @Test
    void requestsCarryIdCommandAndTheRecordsFieldsWithFlagsByName() throws Exception {
        try (FakeDaemon daemon = FakeDaemon.start(dir, r -> FakeDaemon.ok(info("x")));
             DmClient client = DmClient.connect(daemon.socket())) {
            client.create("x", "LVM-1");
            client.suspend(DeviceId.name("x"), DmFlag.NOFLUSH);
            client.table(DeviceId.dev(253, 0));
            client.tableLoad("x", List.of(new TargetSpec(0, 8, "zero", "")));
            List<JsonNode> sent = daemon.requests();
            JsonNode create = sent.get(0);
            assertEquals(1, create.get("id").asLong());
            assertEquals("DEV_CREATE", create.get("command").asText());
            assertEquals("x", create.get("name").asText());
            assertEquals("LVM-1", create.get("uuid").asText());
            assertFalse(create.has("dev"), "null fields are left out");
            assertTrue(create.get("flags").isArray());
            assertEquals(Set.of("SUSPEND", "NOFLUSH"), names(sent.get(1).get("flags")));
            assertEquals("253:0", sent.get(2).get("dev").asText());
            assertEquals(Set.of("STATUS_TABLE"), names(sent.get(2).get("flags")));
            JsonNode target = sent.get(3).get("targets").get(0);
            assertEquals("zero", target.get("type").asText());
            assertEquals(8, target.get("length").asLong());
            assertEquals(List.of(1L, 2L, 3L, 4L), sent.stream().map(r -> r.get("id").asLong()).toList());
        }
    }

    private static Set<String> names(JsonNode array) {
        Set<String> names = new java.util.HashSet<>();
        array.forEach(n -> names.add(n.asText()));
        return names;
    }

    @Test
    void repliesDecodeIntoTheCommandsRecord() throws Exception {
        Replies.TableLines lines = new Replies.TableLines(info("x"),
                List.of(new Replies.TargetLine(0, 8, "zero", "")));
        Replies.Names names = new Replies.Names(List.of(new Replies.NameEntry("x", "253:0", 3, "U")));
        try (FakeDaemon daemon = FakeDaemon.start(dir, r -> {
            switch (r.get("command").asText()) {
                case "TABLE_STATUS":
                    return FakeDaemon.ok(lines);
                case "LIST_DEVICES":
                    return FakeDaemon.ok(names);
                case "VERSION":
                    return FakeDaemon.ok(new Replies.DriverVersion(4, 50, 0));
                default:
                    return FakeDaemon.ok(new Replies.Done());
            }
        }); DmClient client = DmClient.connect(daemon.socket())) {
            assertEquals(lines, client.status("x"));
            assertEquals(names, client.listDevices());
            assertEquals("4.50.0", client.version().toString());
            assertEquals(new Replies.Done(), client.setGeometry(DeviceId.name("x"), 1, 2, 3, 0));
            assertEquals("1 2 3 0", daemon.requests().get(3).get("geometry").asText());
        }
    }

    @Test
    void failuresCarryTheDaemonsErrnoAndMessage() throws Exception {
        try (FakeDaemon daemon = FakeDaemon.start(dir, r -> "DEV_STATUS".equals(r.get("command").asText())
                ? FakeDaemon.error(Errno.ENXIO, "device x does not exist")
                : FakeDaemon.error(Errno.EBUSY, "name x is taken"));
             DmClient client = DmClient.connect(daemon.socket())) {
            DmException missing = assertThrows(DmException.class, () -> client.info("x"));
            assertEquals(Errno.ENXIO, missing.errno());
            assertEquals("device x does not exist", missing.getMessage());
            DmException busy = assertThrows(DmException.class, () -> client.create("x"));
            assertEquals(Errno.EBUSY, busy.errno());
            // The connection stays usable after failures.
            assertThrows(DmException.class, () -> client.info("x"));
        }
    }

    @Test
    void anErrnoDmdDoesNotNameKeepsItsNameInTheMessage() throws Exception {
        try (FakeDaemon daemon = FakeDaemon.start(dir, r -> {
            ObjectNode reply = FakeDaemon.error(Errno.EIO, "odd");
            reply.put("errno", 121);
            reply.put("error", "EREMOTEIO");
            return reply;
        }); DmClient client = DmClient.connect(daemon.socket())) {
            DmException e = assertThrows(DmException.class, client::version);
            assertEquals(Errno.EIO, e.errno());
            assertEquals("odd (EREMOTEIO)", e.getMessage());
        }
    }

    @Test
    void aDaemonThatIsNotRunningIsOneClearSentence() throws Exception {
        Path missing = dir.resolve("nothing.sock");
        ConnectionException e = assertThrows(ConnectionException.class, () -> DmClient.connect(missing));
        assertEquals(Errno.ENOENT, e.errno());
        assertEquals("dmd is not running (no socket at " + missing + ")", e.getMessage());

        Path stale = dir.resolve("stale.sock");
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(stale));
        server.close();
        ConnectionException refused = assertThrows(ConnectionException.class, () -> DmClient.connect(stale));
        assertEquals(Errno.ECONNREFUSED, refused.errno());
        assertEquals("dmd is not running (stale socket at " + stale + ")", refused.getMessage());
    }

    @Test
    void aReplyToAnotherRequestIsAProtocolError() throws Exception {
        try (FakeDaemon daemon = FakeDaemon.start(dir, r -> {
            ObjectNode reply = FakeDaemon.ok(new Replies.Done());
            reply.put("id", 999);
            return reply;
        }); DmClient client = DmClient.connect(daemon.socket())) {
            ConnectionException e = assertThrows(ConnectionException.class, client::lsmod);
            assertEquals(Errno.EPROTO, e.errno());
        }
    }

    @Test
    void aDaemonGoingAwayMidRequestIsAConnectionError() throws Exception {
        FakeDaemon daemon = FakeDaemon.start(dir, r -> {
            throw new IllegalStateException("never answered");
        });
        try (DmClient client = DmClient.connect(daemon.socket())) {
            await().atMost(Duration.ofSeconds(10)).until(() -> daemon.connectionCount() == 1);
            daemon.close();
            ConnectionException e = assertThrows(ConnectionException.class, client::lsmod);
            assertEquals(Errno.EPIPE, e.errno());
        }
    }

    @Test
    void oneClientServesManyThreadsEachGettingItsOwnReply() throws Exception {
        try (FakeDaemon daemon = FakeDaemon.start(dir, r -> FakeDaemon.ok(info(r.get("name").asText())));
             DmClient client = DmClient.connect(daemon.socket())) {
            int threads = 8;
            int calls = 50;
            CyclicBarrier start = new CyclicBarrier(threads);
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<Integer>> results = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    String name = "dev" + t;
                    results.add(pool.submit(() -> {
                        start.await();
                        int matching = 0;
                        for (int i = 0; i < calls; i++) {
                            if (client.info(name + "-" + i).name().equals(name + "-" + i)) {
                                matching++;
                            }
                        }
                        return matching;
                    }));
                }
                for (Future<Integer> result : results) {
                    assertEquals(calls, result.get(30, TimeUnit.SECONDS));
                }
            } finally {
                pool.shutdownNow();
            }
            assertEquals(threads * calls, daemon.requests().size());
        }
    }

    @Test
    void monitorDeliversPushedEventsInOrderOnItsOwnConnection() throws Exception {
        try (FakeDaemon daemon = FakeDaemon.start(dir, r -> FakeDaemon.ok(
                "MONITOR".equals(r.get("command").asText()) ? new Replies.Subscribed() : new Replies.Done()));
             DmClient client = DmClient.connect(daemon.socket())) {
            List<MonitorEvent> seen = new CopyOnWriteArrayList<>();
            Subscription subscription = client.monitor(true, seen::add);
            JsonNode monitor = daemon.requests().get(0);
            assertEquals("MONITOR", monitor.get("command").asText());
            assertTrue(monitor.get("kernelMessages").asBoolean());
            await().atMost(Duration.ofSeconds(10)).until(() -> daemon.monitorCount() == 1);

            ObjectNode uevent = WireCodec.mapper().createObjectNode();
            uevent.put("event", "uevent").put("seqnum", 1).put("action", "add").put("subsystem", "block")
                    .put("devpath", "/devices/virtual/block/dm-0");
            uevent.putObject("env").put("MINOR", "0").put("MAJOR", "253").put("DEVNAME", "dm-0");
            daemon.push(uevent);
            ObjectNode kernel = WireCodec.mapper().createObjectNode();
            kernel.put("event", "kernel").put("seqnum", 2).put("level", "WARNING").put("text", "hello");
            daemon.push(kernel);
            daemon.push(WireCodec.mapper().createObjectNode().put("event", "dropped").put("count", 5));
            // The request connection is not the monitoring one and still answers.
            assertNotNull(client.lsmod());

            await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() == 3);
            MonitorEvent.Uevent first = assertInstanceOf(MonitorEvent.Uevent.class, seen.get(0));
            assertEquals("add", first.action());
            assertEquals(List.of("MINOR", "MAJOR", "DEVNAME"), List.copyOf(first.env().keySet()));
            assertEquals(new MonitorEvent.KernelMessage(2, "WARNING", "hello"), seen.get(1));
            assertEquals(new MonitorEvent.Dropped(5), seen.get(2));

            subscription.close();
            assertTrue(subscription.awaitEnd(10, TimeUnit.SECONDS));
            assertNull(subscription.join(), "closing is not a failure");
        }
    }

    @Test
    void monitorEndsWithTheReasonWhenTheDaemonGoesAway() throws Exception {
        FakeDaemon daemon = FakeDaemon.start(dir, r -> FakeDaemon.ok(new Replies.Subscribed()));
        try (DmClient client = DmClient.connect(daemon.socket())) {
            Subscription subscription = client.monitor(event -> { });
            await().atMost(Duration.ofSeconds(10)).until(() -> daemon.monitorCount() == 1);
            daemon.close();
            DmException reason = subscription.join();
            assertInstanceOf(ConnectionException.class, reason);
            assertFalse(subscription.isOpen());
        }
    }

    @Test
    void socketPathFollowsExplicitThenEnvironmentThenTheDaemonsDefault() {
        assertEquals(Path.of("/x.sock"), SocketPaths.resolve("/x.sock", Map.of(SocketPaths.ENV, "/y.sock"), 1000));
        assertEquals(Path.of("/y.sock"), SocketPaths.resolve(null, Map.of(SocketPaths.ENV, "/y.sock"), 1000));
        assertEquals(Path.of("/run/dmd/control.sock"), SocketPaths.resolve(null, Map.of(), 0));
        assertEquals(Path.of("/run/user/1000/dmd/control.sock"),
                SocketPaths.resolve(null, Map.of("XDG_RUNTIME_DIR", "/run/user/1000"), 1000));
        assertEquals(Path.of("/tmp/dmd-1000/control.sock"), SocketPaths.resolve(null, Map.of(), 1000));
    }
}

package org.dmd.client.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.dmd.client.DmClient;
import org.dmd.core.control.DmFlag;
import org.dmd.core.control.Replies;
import org.dmd.core.control.Requests.TargetSpec;
import org.dmd.core.errno.DmException;
import org.dmd.daemon.testing.DaemonProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dmd --state-dir}: SIGKILL in the middle of a storm of creates, table loads, resumes and
 * removes from 4 clients, then a restart on the same directory, twice. Each client keeps a model of
 * its own devices from the replies it saw succeed. After the restart every client's devices are
 * exactly its model, or its model with the one request it had in flight when the daemon died
 * applied whole: nothing acknowledged is lost, nothing unacknowledged is half there.
 */
class CrashRecoveryTest {

    private static final int CLIENTS = 4;
    /** Acknowledged requests (over all clients) before the kill: the storm is well under way. */
    private static final int ACKED_BEFORE_KILL = 120;
    private static final int ROUNDS = 2;

    @TempDir
    Path dir;

    /** A device as replay must restore it: its live and inactive tables (null: none). */
    private record Device(String live, String inactive) {
    }

    /** One request a client makes, applied to its model when the reply says it succeeded. */
    private record Op(String kind, String name, String table) {
        void applyTo(Map<String, Device> model) {
            switch (kind) {
                case "create" -> model.put(name, new Device(null, null));
                case "load" -> model.put(name, new Device(model.get(name).live(), table));
                case "resume" -> {
                    Device d = model.get(name);
                    model.put(name, d.inactive() == null ? d : new Device(d.inactive(), null));
                }
                case "remove" -> model.remove(name);
                default -> throw new IllegalArgumentException(kind);
            }
        }

        void run(DmClient client) throws DmException {
            switch (kind) {
                case "create" -> client.create(name);
                case "load" -> client.tableLoad(name, List.of(new TargetSpec(0, Long.parseLong(table), "zero", "")));
                case "resume" -> client.resume(name);
                case "remove" -> client.remove(name);
                default -> throw new IllegalArgumentException(kind);
            }
        }
    }

    /** A client's model, and the request it had in flight when the connection died (null if none). */
    private static final class Client {
        final int id;
        final Map<String, Device> model = new TreeMap<>();
        int next;
        Op inFlight;

        Client(int id) {
            this.id = id;
        }

        /** The client's next request: create, load, resume, and every third device the one before it removed. */
        Op nextOp() {
            int k = next / 4;
            String name = "c" + id + "-" + k;
            Op op = switch (next % 4) {
                case 0 -> new Op("create", name, null);
                case 1 -> new Op("load", name, Integer.toString(8 + k));
                case 2 -> new Op("resume", name, null);
                default -> k % 3 == 2 ? new Op("remove", "c" + id + "-" + (k - 1), null) : new Op("load", name, "16");
            };
            next++;
            return op;
        }
    }

    @Test
    void sigkillDuringAStormLosesNothingAcknowledgedAndLeavesNothingHalfDone() throws Exception {
        Path state = dir.resolve("state");
        List<Client> clients = new ArrayList<>();
        for (int i = 0; i < CLIENTS; i++) {
            clients.add(new Client(i));
        }
        for (int round = 0; round < ROUNDS; round++) {
            try (RealDaemon daemon = RealDaemon.start(dir, "--state-dir", state.toString())) {
                if (round > 0) {
                    assertTrue(daemon.log().contains("state directory " + state + ": replayed"), daemon.log());
                    checkAgainstModels(daemon, clients);
                }
                storm(daemon, clients);
            }
        }
        try (RealDaemon daemon = RealDaemon.start(dir, "--state-dir", state.toString())) {
            checkAgainstModels(daemon, clients);
        }
    }

    /** The clients run until the daemon dies: killed with SIGKILL once enough requests were acknowledged. */
    private static void storm(RealDaemon daemon, List<Client> clients) throws Exception {
        CountDownLatch acked = new CountDownLatch(ACKED_BEFORE_KILL);
        AtomicBoolean killed = new AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
        try {
            List<Future<?>> running = new ArrayList<>();
            for (Client c : clients) {
                DmClient connection = daemon.client();
                running.add(pool.submit((java.util.concurrent.Callable<Void>) () -> {
                    c.inFlight = null;
                    while (true) {
                        Op op = c.nextOp();
                        c.inFlight = op;
                        try {
                            op.run(connection);
                        } catch (DmException e) {
                            if (!killed.get()) {
                                throw new AssertionError("client " + c.id + ": " + op + " failed", e);
                            }
                            // The daemon died under it: the outcome is unknown.
                            return null;
                        }
                        c.inFlight = null;
                        op.applyTo(c.model);
                        acked.countDown();
                    }
                }));
            }
            assertTrue(acked.await(DaemonProcess.TIMEOUT.toSeconds(), TimeUnit.SECONDS), "the storm stalled");
            Process process = daemon.process().process();
            killed.set(true);
            process.destroyForcibly();
            assertTrue(process.waitFor(DaemonProcess.TIMEOUT.toSeconds(), TimeUnit.SECONDS));
            assertEquals(137, process.exitValue(), "killed by SIGKILL");
            for (Future<?> f : running) {
                f.get(DaemonProcess.TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** Every client's devices are its model, or its model with its in-flight request applied whole. */
    private static void checkAgainstModels(RealDaemon daemon, List<Client> clients) throws Exception {
        DmClient client = daemon.client();
        Map<Integer, Map<String, Device>> actual = new HashMap<>();
        for (Replies.NameEntry entry : client.listDevices().devices()) {
            String name = entry.name();
            assertTrue(name.matches("c[0-9]+-[0-9]+"), "a device no client made: " + name);
            Replies.DeviceInfo info = client.info(name);
            String live = info.flags().contains(DmFlag.ACTIVE_PRESENT) ? table(client.table(name)) : null;
            String inactive = info.flags().contains(DmFlag.INACTIVE_PRESENT)
                    ? table(client.table(org.dmd.client.DeviceId.name(name), DmFlag.QUERY_INACTIVE_TABLE)) : null;
            actual.computeIfAbsent(Integer.parseInt(name.substring(1, name.indexOf('-'))), i -> new TreeMap<>())
                    .put(name, new Device(live, inactive));
        }
        for (Client c : clients) {
            Map<String, Device> found = actual.getOrDefault(c.id, Map.of());
            Map<String, Device> withInFlight = new TreeMap<>(c.model);
            if (c.inFlight != null) {
                c.inFlight.applyTo(withInFlight);
            }
            assertTrue(found.equals(c.model) || found.equals(withInFlight), "client " + c.id + " in flight "
                    + c.inFlight + ":\n acknowledged " + c.model + "\n found        " + found);
            if (found.equals(withInFlight)) {
                // It happened: from now on the model has it.
                c.model.clear();
                c.model.putAll(withInFlight);
            } else if (c.inFlight != null) {
                // It did not: the client sends it again.
                c.next--;
            }
        }
    }

    private static String table(Replies.TableLines lines) {
        assertEquals(1, lines.targets().size(), lines.toString());
        Replies.TargetLine line = lines.targets().get(0);
        return Long.toString(line.length());
    }
}

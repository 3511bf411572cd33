package org.dmd.client.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.dmd.client.DmClient;
import org.dmd.client.MonitorEvent;
import org.dmd.client.Subscription;
import org.dmd.core.control.Replies;
import org.dmd.core.control.Requests;
import org.dmd.core.control.Requests.TargetSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The three parallel creates of the seeds (docs/sources.md) over the socket: three clients create a device and load
 * a mirror table at the same moment while dm-mirror is not loaded. The module is loaded once,
 * every create succeeds, each table holds a reference, and once the devices are gone the module
 * can be removed.
 */
class ModuleRaceTest {

    private static final int DEVICES = 3;

    @TempDir
    Path dir;

    @Test
    void threeCreatesLoadTheModuleOnceAndAllSucceed() throws Exception {
        try (RealDaemon daemon = RealDaemon.start(dir)) {
            DmClient dm = daemon.client();
            assertTrue(module(dm, "dm_mirror").isEmpty(), "dm-mirror starts unloaded");
            List<String> legs = new ArrayList<>();
            for (int i = 0; i < 2 * DEVICES; i++) {
                dm.create("leg" + i);
                dm.tableLoad("leg" + i, List.of(new TargetSpec(0, 2048, "zero", "")));
                legs.add(dm.resume("leg" + i).dev());
            }
            List<MonitorEvent> events = new CopyOnWriteArrayList<>();
            Subscription monitor = dm.monitor(events::add);

            CyclicBarrier together = new CyclicBarrier(DEVICES);
            ExecutorService pool = Executors.newFixedThreadPool(DEVICES);
            List<Future<Replies.DeviceInfo>> results = new ArrayList<>();
            for (int i = 0; i < DEVICES; i++) {
                DmClient client = daemon.client();
                String name = "mirror" + i;
                String table = "core 1 1024 2 " + legs.get(2 * i) + " 0 " + legs.get(2 * i + 1) + " 0";
                results.add(pool.submit(() -> {
                    together.await(60, TimeUnit.SECONDS);
                    client.create(name);
                    client.tableLoad(name, List.of(new TargetSpec(0, 2048, "mirror", table)));
                    return client.resume(name);
                }));
            }
            for (Future<Replies.DeviceInfo> result : results) {
                assertEquals(1, result.get(120, TimeUnit.SECONDS).targetCount());
            }
            pool.shutdown();

            // Events are delivered in one order: once the three resumes are seen, so is every module load.
            await().atMost(Duration.ofSeconds(30)).until(() -> events.stream().filter(e -> e instanceof MonitorEvent.Uevent u
                    && u.action().equals("change") && u.env().getOrDefault("DM_NAME", "").startsWith("mirror"))
                    .count() == DEVICES);
            long loads = events.stream().filter(e -> e instanceof MonitorEvent.Uevent u && u.action().equals("add")
                    && u.devpath().equals("/module/dm_mirror")).count();
            assertEquals(1, loads, "dm-mirror was loaded once");
            monitor.close();

            assertEquals(DEVICES, module(dm, "dm_mirror").orElseThrow().refcount());
            for (int i = 0; i < DEVICES; i++) {
                dm.remove("mirror" + i);
            }
            assertEquals(0, module(dm, "dm_mirror").orElseThrow().refcount());
            dm.modprobe(new Requests.Modprobe("dm-mirror", true, false));
            assertTrue(module(dm, "dm_mirror").isEmpty(), "dm-mirror removed");
            for (int i = 0; i < 2 * DEVICES; i++) {
                dm.remove("leg" + i);
            }
        }
    }

    private static Optional<Replies.ModuleInfo> module(DmClient dm, String name) throws Exception {
        return dm.lsmod().modules().stream().filter(m -> m.name().equals(name)).findFirst();
    }
}

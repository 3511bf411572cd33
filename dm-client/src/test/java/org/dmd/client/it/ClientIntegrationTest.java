package org.dmd.client.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.dmd.client.DeviceId;
import org.dmd.client.DmClient;
import org.dmd.client.MonitorEvent;
import org.dmd.client.Subscription;
import org.dmd.core.control.DmFlag;
import org.dmd.core.control.Replies;
import org.dmd.core.control.Requests;
import org.dmd.core.control.Requests.TargetSpec;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** Every DmClient command against the real daemon: its success path and its main errno paths. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClientIntegrationTest {

    private static final List<TargetSpec> ZERO = List.of(new TargetSpec(0, 2048, "zero", ""));

    @TempDir
    static Path dir;
    private RealDaemon daemon;
    private DmClient dm;

    @BeforeAll
    void start() throws Exception {
        daemon = RealDaemon.start(dir);
        dm = daemon.client();
    }

    @AfterAll
    void stop() throws Exception {
        daemon.close();
    }

    private static Errno errno(Executable call) {
        return assertThrows(DmException.class, call::run).errno();
    }

    @FunctionalInterface
    private interface Executable {
        void run() throws Exception;
    }

    private void createLive(String name) throws DmException {
        dm.create(name);
        dm.tableLoad(name, ZERO);
        dm.resume(name);
    }

    @Test
    void versionIs4_50() throws Exception {
        assertEquals(new Replies.DriverVersion(4, 50, 0), dm.version());
    }

    @Test
    void lifecycleOfADevice() throws Exception {
        Replies.DeviceInfo created = dm.create("life", "LVM-life");
        assertEquals("life", created.name());
        assertFalse(created.flags().contains(DmFlag.ACTIVE_PRESENT));
        Replies.DeviceInfo loaded = dm.tableLoad("life", ZERO);
        assertTrue(loaded.flags().contains(DmFlag.INACTIVE_PRESENT));
        Replies.DeviceInfo resumed = dm.resume("life");
        assertTrue(resumed.flags().contains(DmFlag.ACTIVE_PRESENT));
        assertEquals(1, resumed.targetCount());
        Replies.DeviceInfo info = dm.info(DeviceId.uuid("LVM-life"));
        assertEquals("life", info.name());
        assertEquals(created.dev(), info.dev());
        assertEquals(info, dm.info(DeviceId.dev(info.dev())));

        assertTrue(dm.suspend("life").flags().contains(DmFlag.SUSPEND));
        assertFalse(dm.resume("life").flags().contains(DmFlag.SUSPEND));

        Replies.TableLines table = dm.table("life");
        assertEquals(List.of(new Replies.TargetLine(0, 2048, "zero", "")), table.targets());
        assertEquals("zero", dm.status("life").targets().get(0).type());
        assertEquals(List.of(), dm.deps("life").devices());

        dm.tableLoad("life", List.of(new TargetSpec(0, 8, "error", "")));
        assertEquals("error", dm.table(DeviceId.name("life"), DmFlag.QUERY_INACTIVE_TABLE).targets().get(0).type());
        assertFalse(dm.clear("life").flags().contains(DmFlag.INACTIVE_PRESENT));

        assertEquals(new Replies.Done(), dm.setGeometry(DeviceId.name("life"), 100, 16, 63, 0));
        assertEquals(Errno.EINVAL, errno(() -> dm.setGeometry(DeviceId.name("life"), "1 2")));

        dm.rename("life", "life2");
        assertEquals(Errno.ENXIO, errno(() -> dm.info("life")));
        assertEquals("LVM-life", dm.info("life2").uuid());
        dm.remove("life2");
        assertEquals(Errno.ENXIO, errno(() -> dm.info("life2")));
    }

    @Test
    void namesAndUuidsAreUniqueAndUuidsAreSetOnce() throws Exception {
        dm.create("uniq", "U-uniq");
        try {
            assertEquals(Errno.EBUSY, errno(() -> dm.create("uniq")));
            assertEquals(Errno.EBUSY, errno(() -> dm.create("uniq-other", "U-uniq")));
            assertEquals(Errno.EINVAL, errno(() -> dm.create("a/b")));
            assertEquals(Errno.EINVAL, errno(() -> dm.setUuid("uniq", "U-changed")));
            dm.create("nouuid");
            dm.setUuid("nouuid", "U-later");
            assertEquals("U-later", dm.info("nouuid").uuid());
            assertEquals(Errno.EBUSY, errno(() -> dm.rename("nouuid", "uniq")));
            // Naming a device by name and uuid at once is refused before any lookup.
            assertEquals(Errno.EINVAL, errno(() -> dm.execute(new Requests.DevStatus("uniq", "U-uniq", null,
                    EnumSet.noneOf(DmFlag.class)))));
        } finally {
            dm.remove("uniq");
            dm.remove("nouuid");
        }
    }

    @Test
    void missingDevicesAreEnxio() {
        assertEquals(Errno.ENXIO, errno(() -> dm.info("ghost")));
        assertEquals(Errno.ENXIO, errno(() -> dm.remove("ghost")));
        assertEquals(Errno.ENXIO, errno(() -> dm.suspend("ghost")));
        assertEquals(Errno.ENXIO, errno(() -> dm.tableLoad("ghost", ZERO)));
        assertEquals(Errno.ENXIO, errno(() -> dm.deps("ghost")));
        assertEquals(Errno.ENXIO, errno(() -> dm.rename("ghost", "spirit")));
        assertEquals(Errno.ENXIO, errno(() -> dm.message("ghost", 0, "hello")));
    }

    @Test
    void badTablesAreEinvalAndLeaveNothingStaged() throws Exception {
        dm.create("badtable");
        try {
            assertEquals(Errno.EINVAL, errno(() -> dm.tableLoad("badtable",
                    List.of(new TargetSpec(0, 8, "no-such-target-type", "")))));
            assertFalse(dm.info("badtable").flags().contains(DmFlag.INACTIVE_PRESENT));
            // Suspended without any table, it cannot be resumed.
            dm.suspend("badtable");
            assertEquals(Errno.EINVAL, errno(() -> dm.resume("badtable")));
        } finally {
            dm.remove("badtable");
        }
    }

    @Test
    void targetsAndTheirVersions() throws Exception {
        List<String> names = dm.targets().targets().stream().map(Replies.TargetVersion::name).toList();
        assertTrue(names.containsAll(List.of("linear", "striped", "error")), names.toString());
        assertEquals("linear", dm.targetVersion("linear").targets().get(0).name());
        assertEquals(Errno.EINVAL, errno(() -> dm.targetVersion("no-such-target")));
    }

    @Test
    void loopDevicesBackTablesAndCannotGoWhileUsed() throws Exception {
        Path image = Files.write(dir.resolve("loop.img"), new byte[1 << 20]);
        Replies.LoopInfo loop = dm.loopAttach(image, false);
        assertTrue(dm.loops().loops().stream().anyMatch(l -> l.device().equals(loop.device())));
        dm.create("onloop");
        dm.tableLoad("onloop", List.of(new TargetSpec(0, 2048, "linear", loop.dev() + " 0")));
        dm.resume("onloop");
        assertEquals(List.of(loop.dev()), dm.deps("onloop").devices());
        assertEquals(Errno.EBUSY, errno(() -> dm.loopDetach(loop.device())));
        dm.remove("onloop");
        dm.loopDetach(loop.device());
        assertEquals(Errno.ENXIO, errno(() -> dm.loopDetach(loop.device())));
        assertEquals(Errno.ENOENT, errno(() -> dm.loopAttach(dir.resolve("absent.img"), true)));
    }

    @Test
    void messagesReachTargetsAndCore() throws Exception {
        createLive("msg");
        try {
            assertEquals(Errno.EINVAL, errno(() -> dm.message("msg", 0, "@bogus")));
            assertNotNull(dm.message("msg", 0, "@cancel_deferred_remove"));
        } finally {
            dm.remove("msg");
        }
    }

    @Test
    void waitEventReturnsOnceTheEventNumberMoves() throws Exception {
        createLive("waiter");
        try (DmClient waiting = DmClient.connect(daemon.socket())) {
            Replies.DeviceInfo before = dm.info("waiter");
            long now = before.eventNr();
            // By number, so the wait finds the device whether it starts before or after the rename.
            CompletableFuture<Replies.TableLines> wait = CompletableFuture.supplyAsync(() -> {
                try {
                    return waiting.waitEvent(DeviceId.dev(before.dev()), now);
                } catch (DmException e) {
                    throw new IllegalStateException(e);
                }
            });
            // A rename of a device with a live table is a table event.
            dm.rename("waiter", "waiter2");
            Replies.TableLines lines = wait.get(30, TimeUnit.SECONDS);
            assertTrue(lines.device().eventNr() > now);
        } finally {
            dm.remove("waiter2");
        }
    }

    @Test
    void blockOpensKeepDevicesBusyUntilClosed() throws Exception {
        createLive("opened");
        Replies.BlockOpened open = dm.blockOpen(DeviceId.name("opened"));
        assertEquals(1, dm.info("opened").openCount());
        assertEquals(Errno.EBUSY, errno(() -> dm.remove("opened")));
        assertTrue(dm.remove(DeviceId.name("opened"), DmFlag.DEFERRED_REMOVE).flags().contains(DmFlag.DEFERRED_REMOVE));
        assertTrue(dm.info("opened").flags().contains(DmFlag.DEFERRED_REMOVE));
        dm.blockClose(open.handle());
        await().atMost(Duration.ofSeconds(10)).until(() -> !exists("opened"));
    }

    private boolean exists(String name) throws DmException {
        try {
            dm.info(name);
            return true;
        } catch (DmException e) {
            if (e.errno() == Errno.ENXIO) {
                return false;
            }
            throw e;
        }
    }

    @Test
    void udevCookiesCountTheirTransactionsUevents() throws Exception {
        long cookie = dm.udevCreateCookie().cookie();
        assertTrue(cookie > 0 && cookie <= 0xFFFF);
        assertTrue(dm.udevCookies().cookies().stream().anyMatch(c -> c.cookie() == cookie && c.value() == 1));
        dm.create("cookied");
        dm.tableLoad("cookied", ZERO);
        dm.devSuspend(new Requests.DevSuspend("cookied", null, null, EnumSet.noneOf(DmFlag.class),
                0x00600000L | cookie));
        dm.udevReleaseCookie(cookie);
        assertTrue(dm.udevCookies().cookies().stream().noneMatch(c -> c.cookie() == cookie));
        assertEquals(Errno.EINVAL, errno(() -> dm.udevComplete(cookie)));
        long other = dm.udevCreateCookie().cookie();
        dm.udevCompleteAll(0);
        assertTrue(dm.udevCookies().cookies().stream().noneMatch(c -> c.cookie() == other));
        dm.remove("cookied");
    }

    @Test
    void monitorSeesTheUeventsOfADevicesLife() throws Exception {
        List<MonitorEvent> events = new CopyOnWriteArrayList<>();
        Subscription subscription = dm.monitor(events::add);
        try {
            createLive("watched");
            dm.remove("watched");
            await().atMost(Duration.ofSeconds(20)).until(() -> actions(events, "watched").size() >= 3);
            assertEquals(List.of("add", "change", "remove"), actions(events, "watched"));
        } finally {
            subscription.close();
        }
        assertTrue(subscription.awaitEnd(10, TimeUnit.SECONDS));
        assertNull(subscription.join());
    }

    private static List<String> actions(List<MonitorEvent> events, String name) {
        return events.stream().filter(e -> e instanceof MonitorEvent.Uevent u && name.equals(u.env().get("DM_NAME")))
                .map(e -> ((MonitorEvent.Uevent) e).action()).toList();
    }

    @Test
    void modprobeAndLsmod() throws Exception {
        dm.modprobe("dm-zero");
        assertTrue(dm.lsmod().modules().stream().anyMatch(m -> m.name().equals("dm_zero")));
        assertEquals(Errno.ENOENT, errno(() -> dm.modprobe("dm-no-such-module")));
    }
}

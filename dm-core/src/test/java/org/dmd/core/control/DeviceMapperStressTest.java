package org.dmd.core.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicLong;
import org.dmd.core.device.MappedDevice;
import org.dmd.core.device.OpenDevice;
import org.dmd.core.errno.Errno;
import org.dmd.core.testing.Async;
import org.dmd.core.testing.CoreInvariants;
import org.dmd.core.testing.Outcome;
import org.dmd.core.testing.TestRequests;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A bounded stress of the device core: four threads run a fixed number of random commands on a
 * handful of names (create, remove, deferred remove, rename, set-uuid, open, close, status by
 * name and by number, list, cancel-deferred-remove), recording every errno. At the end only the
 * errnos the kernel's handler can return for each command were seen (dm-ioctl.c, dm.c), and once every open is closed and everything removed, nothing is left: no device, no
 * allocated minor, no dm-mod reference, no holder on any device ever seen.
 */
class DeviceMapperStressTest {

    private static final int THREADS = 4;
    private static final int OPERATIONS_PER_THREAD = 25_000;
    private static final String[] NAMES = {"d0", "d1", "d2", "d3", "d4"};
    private static final String[] UUIDS = {"U0", "U1", "U2"};

    /** The errnos each command may return here (valid names throughout, so no EINVAL for bad strings). */
    private static final Map<String, Set<Errno>> DOCUMENTED = Map.of(
            "create", EnumSet.of(Errno.EBUSY),
            "remove", EnumSet.of(Errno.ENXIO, Errno.EBUSY),
            "rename", EnumSet.of(Errno.EBUSY, Errno.ENXIO),
            "setUuid", EnumSet.of(Errno.EBUSY, Errno.ENXIO, Errno.EINVAL),
            "open", EnumSet.of(Errno.ENXIO),
            "status", EnumSet.of(Errno.ENXIO),
            "cancelDeferredRemove", EnumSet.of(Errno.ENXIO, Errno.EBUSY));

    private final DeviceMapper dm = DeviceMapper.builder().build();
    private final Map<String, Set<Errno>> seen = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> successes = new ConcurrentHashMap<>();
    private final Set<MappedDevice> devicesSeen = ConcurrentHashMap.newKeySet();

    @AfterEach
    void close() {
        dm.close();
    }

    private void record(String command, Outcome<?> outcome) {
        if (outcome.ok()) {
            successes.computeIfAbsent(command, c -> new AtomicLong()).incrementAndGet();
        } else {
            seen.computeIfAbsent(command, c -> ConcurrentHashMap.newKeySet()).add(outcome.errno());
        }
    }

    /** One client: random commands; the opens it makes are its own to close. */
    private List<OpenDevice> client(long seed, CyclicBarrier start) throws Exception {
        Random random = new Random(seed);
        List<OpenDevice> opens = new ArrayList<>();
        start.await();
        for (int i = 0; i < OPERATIONS_PER_THREAD; i++) {
            String name = NAMES[random.nextInt(NAMES.length)];
            String uuid = UUIDS[random.nextInt(UUIDS.length)];
            switch (random.nextInt(12)) {
                case 0, 1 -> record("create", Outcome.of(() -> dm.devCreate(random.nextBoolean()
                        ? TestRequests.create(name) : TestRequests.create(name, uuid))));
                case 2 -> record("remove", Outcome.of(() -> dm.devRemove(TestRequests.remove(name))));
                case 3 -> record("remove", Outcome.of(() -> dm.devRemove(TestRequests.removeDeferred(name))));
                case 4 -> record("rename", Outcome.of(() -> dm.devRename(
                        TestRequests.rename(name, NAMES[random.nextInt(NAMES.length)]))));
                case 5 -> record("setUuid", Outcome.of(() -> dm.devRename(TestRequests.setUuid(name, uuid))));
                case 6, 7 -> {
                    Outcome<OpenDevice> opened = Outcome.of(() -> dm.blockOpen(TestRequests.open(name)));
                    record("open", opened);
                    if (opened.ok()) {
                        opens.add(opened.value());
                        devicesSeen.add(opened.value().device());
                    }
                }
                case 8 -> {
                    if (!opens.isEmpty()) {
                        opens.remove(random.nextInt(opens.size())).close();
                    }
                }
                case 9 -> record("status", Outcome.of(() -> random.nextBoolean()
                        ? dm.devStatus(TestRequests.status(name))
                        : dm.devStatus(TestRequests.statusByDev(dm.major() + ":" + random.nextInt(6)))));
                case 10 -> {
                    dm.listDevices(TestRequests.list());
                    devicesSeen.addAll(dm.minors().snapshot());
                }
                default -> record("cancelDeferredRemove", Outcome.of(() -> dm.targetMsg(
                        TestRequests.message(name, "@cancel_deferred_remove"))));
            }
        }
        return opens;
    }

    @Test
    void randomCommandsSeeOnlyDocumentedErrnosAndLeaveNothingBehind() {
        CyclicBarrier start = new CyclicBarrier(THREADS);
        List<Async<List<OpenDevice>>> clients = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            long seed = 0x5EED + t;
            clients.add(Async.start("client " + t, () -> client(seed, start)));
        }
        List<OpenDevice> opens = new ArrayList<>();
        clients.forEach(client -> opens.addAll(client.await().value()));

        seen.forEach((command, errnos) -> assertTrue(DOCUMENTED.get(command).containsAll(errnos),
                command + " returned " + errnos + ", documented: " + DOCUMENTED.get(command)));
        for (String command : List.of("create", "remove", "rename", "setUuid", "open", "status")) {
            assertTrue(successes.containsKey(command), command + " never succeeded: the stress did not exercise it");
        }
        CoreInvariants.assertSettled(dm);

        opens.forEach(OpenDevice::close);
        assertEquals(0, dm.removeAll(TestRequests.removeAll()).leftOpen());
        devicesSeen.addAll(dm.minors().snapshot());
        CoreInvariants.assertQuiescent(dm, devicesSeen);
        assertTrue(devicesSeen.size() > NAMES.length, "devices were created and destroyed many times");
    }
}

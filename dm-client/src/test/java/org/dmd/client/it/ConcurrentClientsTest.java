package org.dmd.client.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.dmd.client.DmClient;
import org.dmd.core.control.DmFlag;
import org.dmd.core.control.Replies;
import org.dmd.core.control.Requests.TargetSpec;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 32 clients, each on its own connection, racing create, load, resume, info, rename and remove
 * on the same few names for a fixed number of operations. Phases separated by a barrier make the
 * winners countable: exactly one create, one rename and one remove per name succeed, and every
 * info of a name within a round sees the device its winning create made. A free-for-all phase
 * then checks that every failure is one of the errnos the kernel gives in that race. Afterwards no
 * device is left, the next create gets minor 0, and dmd stops with no command still running.
 */
class ConcurrentClientsTest {

    private static final int CLIENTS = 32;
    private static final int NAMES = 6;
    private static final int ROUNDS = 4;
    private static final int FREE_FOR_ALL_OPERATIONS = 40;
    private static final List<TargetSpec> ZERO = List.of(new TargetSpec(0, 8, "zero", ""));

    @TempDir
    Path dir;

    /** One client's outcome of one operation: the reply, or the errno. */
    private record Outcome(String operation, String name, Object reply, Errno errno) {
        boolean succeeded() {
            return errno == null;
        }
    }

    @FunctionalInterface
    private interface Operation {
        Object run() throws DmException;
    }

    private static Outcome attempt(String operation, String name, Operation call) {
        try {
            return new Outcome(operation, name, call.run(), null);
        } catch (DmException e) {
            return new Outcome(operation, name, null, e.errno());
        }
    }

    @Test
    void racingClientsAgreeWithASerialOrderAndLeaveNothingBehind() throws Exception {
        try (RealDaemon daemon = RealDaemon.start(dir)) {
            List<DmClient> clients = new ArrayList<>();
            for (int i = 0; i < CLIENTS; i++) {
                clients.add(daemon.client());
            }
            ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
            try {
                for (int round = 0; round < ROUNDS; round++) {
                    phasedRound(pool, clients, round);
                }
                freeForAll(pool, clients);
            } finally {
                pool.shutdownNow();
                assertTrue(pool.awaitTermination(30, TimeUnit.SECONDS));
            }
            DmClient dm = clients.get(0);
            assertEquals(List.of(), dm.listDevices().devices(), "every device was removed");
            Replies.DeviceInfo fresh = dm.create("fresh");
            assertEquals("253:0", fresh.dev(), "no minor leaked");
            dm.remove("fresh");
        }
    }

    /** Runs {@code work} on every client at once (a barrier lines them up) and gathers the outcomes. */
    private static List<Outcome> together(ExecutorService pool, List<DmClient> clients, ClientWork work)
            throws Exception {
        CyclicBarrier start = new CyclicBarrier(clients.size());
        List<Future<List<Outcome>>> futures = new ArrayList<>();
        for (int i = 0; i < clients.size(); i++) {
            int index = i;
            futures.add(pool.submit(() -> {
                start.await(60, TimeUnit.SECONDS);
                return work.run(index, clients.get(index));
            }));
        }
        List<Outcome> outcomes = new ArrayList<>();
        for (Future<List<Outcome>> future : futures) {
            outcomes.addAll(future.get(120, TimeUnit.SECONDS));
        }
        return outcomes;
    }

    @FunctionalInterface
    private interface ClientWork {
        List<Outcome> run(int index, DmClient client) throws Exception;
    }

    private static String name(int round, int n) {
        return "r" + round + "-n" + n;
    }

    private static void phasedRound(ExecutorService pool, List<DmClient> clients, int round) throws Exception {
        // Everyone creates every name (in a rotated order, so the contention moves around).
        List<Outcome> creates = together(pool, clients, (index, dm) -> {
            List<Outcome> out = new ArrayList<>();
            for (int k = 0; k < NAMES; k++) {
                String name = name(round, (k + index) % NAMES);
                out.add(attempt("create", name, () -> dm.create(name)));
            }
            return out;
        });
        Map<String, String> deviceOf = new HashMap<>();
        for (int n = 0; n < NAMES; n++) {
            String name = name(round, n);
            List<Outcome> won = creates.stream().filter(o -> o.name().equals(name) && o.succeeded()).toList();
            assertEquals(1, won.size(), "one create of " + name + " wins");
            deviceOf.put(name, ((Replies.DeviceInfo) won.get(0).reply()).dev());
            assertTrue(creates.stream().filter(o -> o.name().equals(name) && !o.succeeded())
                    .allMatch(o -> o.errno() == Errno.EBUSY), "the others are told the name is taken");
        }
        assertEquals(NAMES, Set.copyOf(deviceOf.values()).size(), "each winner has a minor of its own");

        // Everyone loads, resumes and looks, and sees the winner's device. A resume may find the
        // device suspended by another resume that is swapping in its first table: EINVAL, as the
        // kernel's do_resume gives (its suspend, swap and resume are separate steps).
        List<Outcome> uses = together(pool, clients, (index, dm) -> {
            List<Outcome> out = new ArrayList<>();
            for (int k = 0; k < NAMES; k++) {
                String name = name(round, (k + index) % NAMES);
                out.add(attempt("load", name, () -> dm.tableLoad(name, ZERO)));
                Outcome resume = attempt("resume", name, () -> dm.resume(name));
                out.add(resume);
                Outcome info = attempt("info", name, () -> dm.info(name));
                out.add(info);
                if (resume.succeeded() && info.succeeded()) {
                    assertTrue(((Replies.DeviceInfo) info.reply()).flags().contains(DmFlag.ACTIVE_PRESENT),
                            "resumed, so live: " + info);
                }
            }
            return out;
        });
        for (Outcome o : uses) {
            if (o.operation().equals("resume") && !o.succeeded()) {
                assertEquals(Errno.EINVAL, o.errno(), o.toString());
                continue;
            }
            assertTrue(o.succeeded(), o.toString());
            Replies.DeviceInfo info = (Replies.DeviceInfo) o.reply();
            assertEquals(deviceOf.get(o.name()), info.dev(), "one device per name: " + o);
        }
        for (int n = 0; n < NAMES; n++) {
            Replies.DeviceInfo settled = clients.get(n).info(name(round, n));
            assertTrue(settled.flags().contains(DmFlag.ACTIVE_PRESENT) && !settled.flags().contains(DmFlag.SUSPEND),
                    "every device ends up live and running: " + settled);
        }

        // Everyone renames each name to the same new name: one wins.
        List<Outcome> renames = together(pool, clients, (index, dm) -> {
            List<Outcome> out = new ArrayList<>();
            for (int k = 0; k < NAMES; k++) {
                String name = name(round, (k + index) % NAMES);
                out.add(attempt("rename", name, () -> dm.rename(name, name + "-renamed")));
                out.add(attempt("info", name + "-renamed", () -> dm.info(name + "-renamed")));
            }
            return out;
        });
        for (int n = 0; n < NAMES; n++) {
            String name = name(round, n);
            assertEquals(1, renames.stream().filter(o -> o.operation().equals("rename") && o.name().equals(name)
                    && o.succeeded()).count(), "one rename of " + name + " wins");
        }
        for (Outcome o : renames) {
            if (o.operation().equals("rename") && !o.succeeded()) {
                assertTrue(Set.of(Errno.ENXIO, Errno.EBUSY).contains(o.errno()), o.toString());
            }
            if (o.operation().equals("info")) {
                String original = o.name().substring(0, o.name().length() - "-renamed".length());
                if (o.succeeded()) {
                    assertEquals(deviceOf.get(original), ((Replies.DeviceInfo) o.reply()).dev(), o.toString());
                } else {
                    assertEquals(Errno.ENXIO, o.errno(), o.toString());
                }
            }
        }

        // Everyone removes: one removal per name.
        List<Outcome> removes = together(pool, clients, (index, dm) -> {
            List<Outcome> out = new ArrayList<>();
            for (int k = 0; k < NAMES; k++) {
                String name = name(round, (k + index) % NAMES) + "-renamed";
                out.add(attempt("remove", name, () -> dm.remove(name)));
            }
            return out;
        });
        for (int n = 0; n < NAMES; n++) {
            String name = name(round, n) + "-renamed";
            assertEquals(1, removes.stream().filter(o -> o.name().equals(name) && o.succeeded()).count(),
                    "one remove of " + name + " wins");
        }
        assertTrue(removes.stream().filter(o -> !o.succeeded()).allMatch(o -> o.errno() == Errno.ENXIO),
                removes.toString());
    }

    /** Random operations on shared names; every failure must be an errno that race can give. */
    private static void freeForAll(ExecutorService pool, List<DmClient> clients) throws Exception {
        Map<String, Set<Errno>> allowed = Map.of(
                "create", EnumSet.of(Errno.EBUSY),
                "load", EnumSet.of(Errno.ENXIO),
                "resume", EnumSet.of(Errno.ENXIO, Errno.EINVAL),
                "info", EnumSet.of(Errno.ENXIO),
                "rename", EnumSet.of(Errno.ENXIO, Errno.EBUSY),
                "remove", EnumSet.of(Errno.ENXIO));
        Map<String, Integer> successes = new ConcurrentHashMap<>();
        List<Outcome> outcomes = together(pool, clients, (index, dm) -> {
            Random random = new Random(index);
            List<Outcome> out = new ArrayList<>();
            for (int i = 0; i < FREE_FOR_ALL_OPERATIONS; i++) {
                String name = "m" + random.nextInt(NAMES);
                String other = "m" + random.nextInt(NAMES);
                Outcome o;
                switch (random.nextInt(6)) {
                    case 0 -> o = attempt("create", name, () -> dm.create(name));
                    case 1 -> o = attempt("load", name, () -> dm.tableLoad(name, ZERO));
                    case 2 -> o = attempt("resume", name, () -> dm.resume(name));
                    case 3 -> o = attempt("info", name, () -> dm.info(name));
                    case 4 -> o = attempt("rename", name, () -> dm.rename(name, other));
                    default -> o = attempt("remove", name, () -> dm.remove(name));
                }
                out.add(o);
            }
            return out;
        });
        for (Outcome o : outcomes) {
            if (o.succeeded()) {
                successes.merge(o.operation(), 1, Integer::sum);
            } else {
                assertTrue(allowed.get(o.operation()).contains(o.errno()), o.toString());
            }
            if (o.succeeded() && o.reply() instanceof Replies.DeviceInfo info && !o.operation().equals("rename")) {
                assertEquals(o.name(), info.name(), "a reply names the device asked for: " + o);
            }
        }
        assertEquals(CLIENTS * FREE_FOR_ALL_OPERATIONS, outcomes.size());
        assertTrue(successes.getOrDefault("create", 0) > 0, successes.toString());
        // Whatever is left goes, name by name.
        DmClient dm = clients.get(0);
        for (Replies.NameEntry left : dm.listDevices().devices()) {
            dm.remove(left.name());
        }
    }
}

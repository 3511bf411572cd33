package org.dmd.core.control;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.dmd.core.control.Replies.LoopInfo;
import org.dmd.core.device.OpenDevice;
import org.dmd.core.errno.Errno;
import org.dmd.core.event.KernelMessage;
import org.dmd.core.testing.Async;
import org.dmd.core.testing.CoreInvariants;
import org.dmd.core.testing.EventRecorder;
import org.dmd.core.testing.GatedDeviceMapperTest;
import org.dmd.core.testing.Outcome;
import org.dmd.core.testing.StepGate;
import org.dmd.core.testing.TestLoops;
import org.dmd.core.testing.TestRequests;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bounded stress test of the device core with tables: a few threads run a fixed number of
 * random commands (create, remove, deferred remove, rename, load of linear, zero, error, mirror,
 * multipath and stacked tables, clear, suspend, resume, status, deps, messages, opens, module
 * removal) on a small set of names, so that they collide. Every command either succeeds or fails
 * with an errno the spec documents for it; nothing crashes or hangs. After removing everything:
 * no device, every minor free, no table holds a device, every loop's open count is 0 and every
 * module's reference count is back to its use links.
 */
class TableStressTest extends GatedDeviceMapperTest {

    private static final int THREADS = 6;
    private static final int OPERATIONS = 5000;
    private static final long SEED = 20_260_101L;
    private static final List<String> NAMES = List.of("s0", "s1", "s2", "s3");
    /** Kernel messages that only a bug produces (reference leaks, crashes, destroy waiting forever). */
    private static final List<String> SUSPICIOUS = List.of("underflow", "still held", "crashed", "still waiting for",
            "BUG");

    @TempDir
    Path backing;

    private final List<String> loops = new ArrayList<>();
    private EventRecorder recorder;

    @Test
    void randomTableCommandsOnCollidingNamesKeepEveryInvariant() {
        recorder = recordEvents();
        TestLoops attach = new TestLoops(backing);
        for (int i = 0; i < 3; i++) {
            loops.add(attach.attach(dm, 8192));
        }
        List<Async<List<String>>> workers = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            Random random = new Random(SEED + t);
            workers.add(Async.start("stress-" + t, () -> run(random)));
        }
        List<String> unexpected = new ArrayList<>();
        workers.forEach(worker -> unexpected.addAll(worker.await().value()));
        assertEquals(List.of(), unexpected, "errnos the spec does not document");
        // Deferred removals a table's release made due may still be running on their worker.
        await().atMost(StepGate.TIMEOUT).pollInterval(Duration.ofMillis(1))
                .untilAsserted(() -> CoreInvariants.assertSettled(dm));
        recorder.sync();
        assertEquals(List.of(), recorder.messages().stream().map(KernelMessage::text)
                .filter(text -> SUSPICIOUS.stream().anyMatch(text::contains)).toList(), "kernel warnings of a bug");

        Replies.RemoveAllDone removed = dm.removeAll(TestRequests.removeAll());
        assertEquals(0, removed.leftOpen(), "every open was closed");
        CoreInvariants.assertQuiescent(dm);
        CoreInvariants.assertNoTableHolds(dm);
        CoreInvariants.assertModulesIdle(dm);
        for (LoopInfo loop : dm.loopList().loops()) {
            assertTrue(Outcome.of(() -> dm.loopDetach(TestRequests.loopDetach(loop.device()))).ok(), loop.device());
        }
    }

    /** One worker: {@link #OPERATIONS} random commands; returns the unexpected outcomes. */
    private List<String> run(Random random) {
        List<String> unexpected = new ArrayList<>();
        for (int i = 0; i < OPERATIONS; i++) {
            String name = pick(random, NAMES);
            Command command = Command.pick(random);
            Outcome<?> outcome = execute(command, name, random);
            if (!outcome.ok() && !command.allowed.contains(outcome.errno())) {
                unexpected.add(command + " " + name + ": " + outcome);
            }
        }
        return unexpected;
    }

    /**
     * The commands, with how often they are picked and the errnos they may fail with when racing
     * the others (dm-ioctl.c's handlers; EBUSY for a multipath message while suspended;
     * modprobe -r's "in use" and delete_module's EAGAIN when a table took the module meanwhile).
     */
    private enum Command {
        CREATE(3, Errno.EBUSY),
        REMOVE(1, Errno.ENXIO, Errno.EBUSY),
        REMOVE_DEFERRED(1, Errno.ENXIO),
        RENAME(1, Errno.ENXIO, Errno.EBUSY),
        LOAD(4, Errno.ENXIO, Errno.EINVAL, Errno.ENOENT),
        LOAD_STACKED(3, Errno.ENXIO, Errno.EINVAL, Errno.ENOENT),
        CLEAR(1, Errno.ENXIO),
        SUSPEND(1, Errno.ENXIO),
        RESUME(4, Errno.ENXIO, Errno.EINVAL),
        STATUS(1, Errno.ENXIO),
        DEPS(1, Errno.ENXIO),
        TABLE(1, Errno.ENXIO),
        MESSAGE(1, Errno.ENXIO, Errno.EINVAL, Errno.EBUSY),
        OPEN_CLOSE(2, Errno.ENXIO),
        UNLOAD_MODULE(1, Errno.EBUSY, Errno.EAGAIN, Errno.ENOENT);

        private static final int TOTAL_WEIGHT = Arrays.stream(values()).mapToInt(c -> c.weight).sum();

        final int weight;
        final Set<Errno> allowed;

        Command(int weight, Errno first, Errno... rest) {
            this.weight = weight;
            this.allowed = EnumSet.of(first, rest);
        }

        static Command pick(Random random) {
            int ticket = random.nextInt(TOTAL_WEIGHT);
            for (Command command : values()) {
                ticket -= command.weight;
                if (ticket < 0) {
                    return command;
                }
            }
            throw new IllegalStateException("weights do not add up");
        }
    }

    private Outcome<?> execute(Command command, String name, Random random) {
        switch (command) {
            case CREATE:
                return Outcome.of(() -> dm.devCreate(TestRequests.create(name)));
            case REMOVE:
                return Outcome.of(() -> dm.devRemove(TestRequests.remove(name)));
            case REMOVE_DEFERRED:
                return Outcome.of(() -> dm.devRemove(TestRequests.removeDeferred(name)));
            case RENAME:
                return Outcome.of(() -> dm.devRename(TestRequests.rename(name, pick(random, NAMES))));
            case LOAD:
                return Outcome.of(() -> dm.tableLoad(TestRequests.load(name, table(random))));
            case LOAD_STACKED:
                String lower = "/dev/mapper/" + pick(random, NAMES);
                return Outcome.of(() -> dm.tableLoad(TestRequests.load(name, "0 64 linear " + lower + " 0")));
            case CLEAR:
                return Outcome.of(() -> dm.tableClear(TestRequests.clear(name)));
            case SUSPEND:
                return Outcome.of(() -> dm.devSuspend(TestRequests.suspend(name)));
            case RESUME:
                return Outcome.of(() -> dm.devSuspend(TestRequests.resume(name)));
            case STATUS:
                return Outcome.of(() -> dm.devStatus(random.nextBoolean() ? TestRequests.status(name)
                        : TestRequests.statusInactive(name)));
            case DEPS:
                return Outcome.of(() -> dm.tableDeps(random.nextBoolean() ? TestRequests.deps(name)
                        : TestRequests.depsInactive(name)));
            case TABLE:
                return Outcome.of(() -> dm.tableStatus(random.nextBoolean() ? TestRequests.tableText(name)
                        : TestRequests.tableStatusInactive(name)));
            case MESSAGE:
                String text = random.nextBoolean() ? "@cancel_deferred_remove" : "fail_path " + pick(random, loops);
                return Outcome.of(() -> dm.targetMsg(TestRequests.message(name, 0, text)));
            case OPEN_CLOSE:
                return Outcome.of(() -> {
                    try (OpenDevice open = dm.blockOpen(TestRequests.open(name))) {
                        return open;
                    }
                });
            case UNLOAD_MODULE:
                String module = pick(random, List.of("dm-zero", "dm-mirror", "dm-multipath"));
                return Outcome.of(() -> dm.modprobe(TestRequests.modprobeRemove(module)));
            default:
                throw new IllegalStateException("unknown command " + command);
        }
    }

    private String table(Random random) {
        String a = pick(random, loops);
        String b = pick(random, loops);
        switch (random.nextInt(5)) {
            case 0:
                return "0 1024 linear " + a + " 0\n1024 1024 linear " + b + " 2048";
            case 1:
                return "0 2048 zero";
            case 2:
                return "0 512 error";
            case 3:
                return "0 2048 mirror core 1 512 2 " + a + " 0 " + b + " 4096";
            default:
                return "0 2048 multipath 0 0 1 1 round-robin 0 2 1 " + a + " 1 " + b + " 1";
        }
    }

    private static String pick(Random random, List<String> choices) {
        return choices.get(random.nextInt(choices.size()));
    }
}

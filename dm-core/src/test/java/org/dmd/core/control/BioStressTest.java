package org.dmd.core.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.dmd.core.device.OpenDevice;
import org.dmd.core.errno.DmException;
import org.dmd.core.testing.Async;
import org.dmd.core.testing.Outcome;
import org.dmd.core.testing.TestRequests;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many threads doing I/O through a striped-over-linear stack while another suspends, resumes
 * (plain and noflush) and swaps tables of both levels: every request completes exactly once, only
 * with the errno a table swap explains (none here: the swapped tables map the same size), no
 * request is left in flight or deferred, and the open counts go back to zero.
 */
class BioStressTest {

    private static final int SECTOR = 512;
    private static final int THREADS = 4;
    private static final int REQUESTS_PER_THREAD = 1500;
    private static final int DEPTH = 8;

    @TempDir
    Path backing;

    @Test
    void ioRacingSuspendResumeAndSwapsLosesNothing() throws Exception {
        DeviceMapper dm = DeviceMapper.builder().build();
        try {
            String a = loop(dm, "a", 4096);
            String b = loop(dm, "b", 4096);
            String c = loop(dm, "c", 4096);
            live(dm, "low", "0 2048 linear " + a + " 0");
            live(dm, "top", "0 4096 striped 2 16 /dev/mapper/low 0 " + b + " 0");
            OpenDevice[] opens = new OpenDevice[THREADS];
            for (int i = 0; i < THREADS; i++) {
                opens[i] = dm.blockOpen(TestRequests.open("top"));
            }
            AtomicLong submitted = new AtomicLong();
            AtomicLong completed = new AtomicLong();
            AtomicLong doubles = new AtomicLong();
            Map<String, AtomicInteger> failures = new ConcurrentHashMap<>();
            AtomicBoolean running = new AtomicBoolean(true);
            CyclicBarrier start = new CyclicBarrier(THREADS + 1);
            List<Async<Void>> workers = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                OpenDevice open = opens[t];
                workers.add(Async.start("io-" + t, () -> {
                    start.await();
                    Semaphore depth = new Semaphore(DEPTH);
                    ThreadLocalRandom random = ThreadLocalRandom.current();
                    for (int n = 0; n < REQUESTS_PER_THREAD; n++) {
                        depth.acquire();
                        long sector = random.nextLong(4096 - 64);
                        int sectors = 1 + random.nextInt(64);
                        ByteBuffer buffer = ByteBuffer.allocateDirect(sectors * SECTOR);
                        int kind = random.nextInt(10);
                        CompletableFuture<Void> request = kind < 5 ? open.io().read(sector * SECTOR, buffer)
                                : kind < 9 ? open.io().write(sector * SECTOR, buffer, kind == 8)
                                : open.io().flush();
                        submitted.incrementAndGet();
                        AtomicBoolean once = new AtomicBoolean();
                        request.whenComplete((ignored, failure) -> {
                            if (!once.compareAndSet(false, true)) {
                                doubles.incrementAndGet();
                            }
                            if (failure != null) {
                                Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
                                String errno = cause instanceof DmException e ? e.errno().name() : cause.toString();
                                failures.computeIfAbsent(errno, k -> new AtomicInteger()).incrementAndGet();
                            }
                            completed.incrementAndGet();
                            depth.release();
                        });
                    }
                    depth.acquire(DEPTH);
                    return null;
                }));
            }
            Async<Integer> control = Async.start("control", () -> {
                start.await();
                int cycles = 0;
                String[] lowTables = {"0 2048 linear " + a + " 0", "0 2048 linear " + c + " 1024"};
                while (running.get()) {
                    boolean noflush = cycles % 3 == 1;
                    String device = cycles % 2 == 0 ? "top" : "low";
                    dm.devSuspend(new Requests.DevSuspend(device, null, null, noflush
                            ? EnumSet.of(DmFlag.SUSPEND, DmFlag.NOFLUSH) : EnumSet.of(DmFlag.SUSPEND), 0));
                    if (cycles % 4 == 3) {
                        dm.tableLoad(TestRequests.load("low", lowTables[cycles / 4 % 2]));
                        dm.devSuspend(TestRequests.resume("low"));
                    }
                    dm.devSuspend(TestRequests.resume(device));
                    cycles++;
                }
                return cycles;
            });
            for (Async<Void> worker : workers) {
                worker.await().value();
            }
            running.set(false);
            int cycles = control.await().value();
            assertTrue(cycles > 0);

            assertEquals(0, doubles.get(), "no request completed twice");
            assertEquals(submitted.get(), completed.get(), "every request completed");
            assertEquals((long) THREADS * REQUESTS_PER_THREAD, completed.get());
            assertEquals(Map.of(), Map.copyOf(failures), "no request failed");
            for (String name : List.of("top", "low")) {
                Replies.DeviceInfo info = Outcome.of(() -> dm.devStatus(TestRequests.status(name))).value();
                assertTrue(!info.flags().contains(DmFlag.SUSPEND), name + " is resumed");
            }
            assertEquals(0, opens[0].device().inFlight());
            assertEquals(0, opens[0].device().deferredBios());
            for (OpenDevice open : opens) {
                open.close();
            }
            assertEquals(0, dm.devStatus(TestRequests.status("top")).openCount());
            assertEquals(1, dm.devStatus(TestRequests.status("low")).openCount(), "held by top's table only");
            dm.devRemove(TestRequests.remove("top"));
            assertEquals(0, dm.devStatus(TestRequests.status("low")).openCount());
            dm.devRemove(TestRequests.remove("low"));
            assertTrue(dm.loopList().loops().stream().allMatch(l -> l.openCount() == 0));
        } finally {
            dm.close();
        }
    }

    private String loop(DeviceMapper dm, String name, long sectors) throws IOException, DmException {
        Path file = backing.resolve(name + ".img");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(sectors * SECTOR);
        }
        return dm.loopAttach(new Requests.LoopAttach(file.toString(), false)).device();
    }

    private static void live(DeviceMapper dm, String name, String table) throws DmException {
        dm.devCreate(TestRequests.create(name));
        dm.tableLoad(TestRequests.load(name, table));
        dm.devSuspend(TestRequests.resume(name));
    }
}

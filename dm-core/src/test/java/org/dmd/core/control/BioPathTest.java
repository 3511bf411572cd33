package org.dmd.core.control;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.dmd.core.concurrent.Step;
import org.dmd.core.device.OpenDevice;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.dmd.core.io.Bio;
import org.dmd.core.io.DeviceIo;
import org.dmd.core.io.MapResult;
import org.dmd.core.target.Target;
import org.dmd.core.target.Version;
import org.dmd.core.target.support.BasicTargetType;
import org.dmd.core.target.support.LinearMapping;
import org.dmd.core.testing.Async;
import org.dmd.core.testing.GatedDeviceMapperTest;
import org.dmd.core.testing.Outcome;
import org.dmd.core.testing.Parked;
import org.dmd.core.testing.StepGate;
import org.dmd.core.testing.TestRequests;
import org.dmd.core.testing.TestTargets;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bio path (dm.c: __split_and_process_bio, max_io_len, dec_pending, the deferred list) through
 * real tables over loop files: where the bytes land, how requests are split, the errno of every
 * refusal, and how suspend, noflush, a table swap at resume and removal treat the I/O waiting.
 */
class BioPathTest extends GatedDeviceMapperTest {

    private static final int SECTOR = 512;

    @TempDir
    Path backing;

    private final List<Path> files = new ArrayList<>();
    /** Clones the "rec" target saw, as {@code targetSector+sectors@line}. */
    private final List<String> clones = new ArrayList<>();
    /** While set, the "pushback" target answers REQUEUE. */
    private final AtomicBoolean pushBack = new AtomicBoolean();
    /** The "pushback" target counts this down when it maps, then waits for {@link #pushBackGo}. */
    private volatile CountDownLatch pushBackMapping = new CountDownLatch(0);
    private volatile CountDownLatch pushBackGo = new CountDownLatch(0);

    @BeforeEach
    void testTargets() throws DmException {
        // rec <max_io_len> <name>: records each clone and ends it.
        TestTargets.registerBuiltin(dm, new BasicTargetType("rec", Version.of(1, 0, 0), Set.of(),
                (context, args) -> new Target() {
                    @Override
                    public String table() {
                        return String.join(" ", args);
                    }

                    @Override
                    public long maxIoLen() {
                        return Long.parseLong(args.get(0));
                    }

                    @Override
                    public MapResult map(Bio bio) {
                        synchronized (clones) {
                            clones.add(bio.targetSector() + "+" + bio.sectors() + "@" + args.get(1));
                        }
                        bio.end(null);
                        return MapResult.SUBMITTED;
                    }
                }));
        // pushback <dev> <offset>: linear, but REQUEUE while pushBack is set.
        TestTargets.registerBuiltin(dm, new BasicTargetType("pushback", Version.of(1, 0, 0), Set.of(),
                (context, args) -> {
                    LinearMapping mapping = LinearMapping.parse(context, args.get(0), args.get(1));
                    return new Target() {
                        @Override
                        public String table() {
                            return mapping.toString();
                        }

                        @Override
                        public MapResult map(Bio bio) {
                            pushBackMapping.countDown();
                            try {
                                assertTrue(pushBackGo.await(StepGate.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
                            } catch (InterruptedException e) {
                                throw new AssertionError(e);
                            }
                            return pushBack.get() ? MapResult.REQUEUE
                                    : bio.remap(mapping.device(), mapping.start() + bio.targetSector());
                        }
                    };
                }));
    }

    // ------------------------------------------------------------------ helpers

    /** A new zeroed backing file of {@code sectors}, attached; returns {@code /dev/loopN}. */
    private String loop(long sectors) {
        Path file = backing.resolve("loop-" + files.size() + ".img");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(sectors * SECTOR);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        files.add(file);
        return Outcome.of(() -> dm.loopAttach(new Requests.LoopAttach(file.toString(), false))).value().device();
    }

    private byte[] fileBytes(int loop) {
        try {
            return Files.readAllBytes(files.get(loop));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void live(String device, String table) {
        if (!status(device).ok()) {
            create(device);
        }
        Outcome.of(() -> dm.tableLoad(TestRequests.load(device, table))).value();
        Outcome.of(() -> dm.devSuspend(TestRequests.resume(device))).value();
    }

    private Outcome<Replies.DeviceInfo> suspend(String device, boolean noflush) {
        EnumSet<DmFlag> flags = noflush ? EnumSet.of(DmFlag.SUSPEND, DmFlag.NOFLUSH) : EnumSet.of(DmFlag.SUSPEND);
        return Outcome.of(() -> dm.devSuspend(new Requests.DevSuspend(device, null, null, flags, 0)));
    }

    private Outcome<Replies.DeviceInfo> resume(String device) {
        return Outcome.of(() -> dm.devSuspend(TestRequests.resume(device)));
    }

    /** {@code sectors} sectors, each filled with a byte naming it (sector number + seed). */
    private static ByteBuffer pattern(int sectors, int seed) {
        ByteBuffer data = ByteBuffer.allocateDirect(sectors * SECTOR);
        for (int s = 0; s < sectors; s++) {
            for (int i = 0; i < SECTOR; i++) {
                data.put((byte) (s * 7 + seed + i / 64));
            }
        }
        return data.flip();
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] out = new byte[buffer.remaining()];
        buffer.duplicate().get(out);
        return out;
    }

    private static byte[] slice(byte[] from, long sector, int sectors) {
        byte[] out = new byte[sectors * SECTOR];
        System.arraycopy(from, (int) (sector * SECTOR), out, 0, out.length);
        return out;
    }

    private static <T> T done(CompletableFuture<T> future) {
        try {
            return future.get(StepGate.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new AssertionError("request failed", e.getCause());
        } catch (InterruptedException | TimeoutException e) {
            throw new AssertionError("request did not complete", e);
        }
    }

    private static DmException failure(CompletableFuture<?> future) {
        try {
            future.get(StepGate.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            throw new AssertionError("request succeeded");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() instanceof CompletionException c ? c.getCause() : e.getCause();
            return (DmException) cause;
        } catch (InterruptedException | TimeoutException e) {
            throw new AssertionError("request did not complete", e);
        }
    }

    // ------------------------------------------------------------------ data lands where the tables say

    @Test
    void stripedOverLinearStackLandsAtTheTablesOffsets() {
        String a = loop(2048);
        String b = loop(2048);
        String c = loop(2048);
        live("low1", "0 1024 linear " + a + " 64");
        live("low2", "0 1024 linear " + b + " 0");
        // top: 1024 sectors striped in 8-sector chunks over low1 (from 0) and low2 (from 16), then 512 on c.
        live("top", "0 1024 striped 2 8 /dev/mapper/low1 0 /dev/mapper/low2 16\n1024 512 linear " + c + " 100");
        OpenDevice top = open("top");
        DeviceIo io = top.io();
        assertEquals(1536L * SECTOR, io.size());

        ByteBuffer written = pattern(1536, 3);
        done(io.write(0, written, false));

        byte[] fa = fileBytes(0);
        byte[] fb = fileBytes(1);
        byte[] fc = fileBytes(2);
        byte[] data = bytes(written);
        for (int s = 0; s < 1536; s++) {
            byte[] expected = slice(data, s, 1);
            byte[] actual;
            if (s < 1024) {
                long chunk = s / 8;
                long onStripe = chunk / 2 * 8 + s % 8;
                actual = chunk % 2 == 0 ? slice(fa, 64 + onStripe, 1) : slice(fb, 16 + onStripe, 1);
            } else {
                actual = slice(fc, 100 + s - 1024, 1);
            }
            assertArrayEquals(expected, actual, "sector " + s);
        }
        assertArrayEquals(new byte[64 * SECTOR], slice(fa, 0, 64), "nothing before low1's offset");

        ByteBuffer read = ByteBuffer.allocateDirect(1536 * SECTOR);
        done(io.read(0, read));
        assertArrayEquals(data, bytes(read));
        // An unaligned piece across the striped/linear boundary reads back too.
        ByteBuffer piece = ByteBuffer.allocate(40 * SECTOR);
        done(io.read(1000L * SECTOR, piece));
        assertArrayEquals(slice(data, 1000, 40), bytes(piece));
        top.close();
    }

    @Test
    void requestsAreSplitAtTargetBoundariesAndMaxIoLen() {
        live("r", "0 100 rec 16 one\n100 50 rec 0 two");
        OpenDevice r = open("r");
        done(r.io().read(90L * SECTOR, ByteBuffer.allocate(50 * SECTOR)));
        assertEquals(List.of("90+6@one", "96+4@one", "0+40@two"), clones);
        clones.clear();
        done(r.io().write(0, ByteBuffer.allocate(40 * SECTOR), false));
        assertEquals(List.of("0+16@one", "16+16@one", "32+8@one"), clones);
        r.close();
    }

    @Test
    void zeroReadsZerosAndDropsWritesErrorFailsWithEio() {
        String a = loop(64);
        live("z", "0 16 zero\n16 16 error\n32 16 linear " + a + " 0");
        OpenDevice z = open("z");
        ByteBuffer read = ByteBuffer.allocate(16 * SECTOR);
        for (int i = 0; i < read.limit(); i++) {
            read.put(i, (byte) 0xff);
        }
        done(z.io().write(0, pattern(16, 1), false));
        done(z.io().read(0, read));
        assertArrayEquals(new byte[16 * SECTOR], bytes(read));

        DmException error = failure(z.io().read(16L * SECTOR, ByteBuffer.allocate(SECTOR)));
        assertEquals(Errno.EIO, error.errno());
        assertTrue(error.getMessage().contains("error target"), error.getMessage());
        // A write over zero, error and linear: the request fails, the linear part is written (no rollback).
        ByteBuffer across = pattern(48, 9);
        assertEquals(Errno.EIO, failure(z.io().write(0, across, false)).errno());
        assertArrayEquals(slice(bytes(across), 32, 16), slice(fileBytes(0), 0, 16));
        done(z.io().flush());
        z.close();
    }

    @Test
    void theFirstErrorWins() {
        live("e", "0 8 error\n8 8 error");
        OpenDevice e = open("e");
        DmException error = failure(e.io().write(0, pattern(16, 0), true));
        assertTrue(error.getMessage().contains("at sector 0"), error.getMessage());
        e.close();
    }

    @Test
    void refusalsCarryTheKernelsErrno() {
        String a = loop(64);
        live("d", "0 64 linear " + a + " 0");
        create("ro");
        Outcome.of(() -> dm.tableLoad(TestRequests.loadReadOnly("ro", "0 64 linear " + a + " 0"))).value();
        resume("ro").value();
        create("empty");
        OpenDevice d = open("d");
        OpenDevice ro = open("ro");
        OpenDevice empty = open("empty");

        assertEquals(Errno.EINVAL, failure(d.io().read(64L * SECTOR, ByteBuffer.allocate(SECTOR))).errno());
        assertEquals(Errno.EINVAL, failure(d.io().write(60L * SECTOR, pattern(8, 0), false)).errno());
        assertEquals(Errno.EINVAL, failure(d.io().read(100, ByteBuffer.allocate(SECTOR))).errno());
        assertEquals(Errno.EINVAL, failure(d.io().discard(0, 100)).errno());
        assertEquals(Errno.EPERM, failure(ro.io().write(0, pattern(1, 0), false)).errno());
        assertEquals(Errno.EPERM, failure(ro.io().writeZeroes(0, SECTOR)).errno());
        done(ro.io().read(0, ByteBuffer.allocate(SECTOR)));
        done(ro.io().flush());
        assertEquals(Errno.ENXIO, failure(empty.io().read(0, ByteBuffer.allocate(SECTOR))).errno());
        assertArrayEquals(new byte[64 * SECTOR], fileBytes(0), "no refused request wrote");
        d.close();
        ro.close();
        empty.close();
    }

    @Test
    void discardAndWriteZeroesZeroTheFile() {
        String a = loop(64);
        live("d", "0 64 linear " + a + " 0");
        OpenDevice d = open("d");
        done(d.io().write(0, pattern(64, 5), false));
        done(d.io().discard(8L * SECTOR, 8L * SECTOR));
        done(d.io().writeZeroes(32L * SECTOR, 4L * SECTOR));
        byte[] file = fileBytes(0);
        assertArrayEquals(new byte[8 * SECTOR], slice(file, 8, 8));
        assertArrayEquals(new byte[4 * SECTOR], slice(file, 32, 4));
        assertArrayEquals(slice(bytes(pattern(64, 5)), 16, 16), slice(file, 16, 16));
        d.close();
    }

    // ------------------------------------------------------------------ suspend, resume, removal

    @Test
    void aSuspendedDeviceHoldsAWriteUntilResume() {
        String a = loop(64);
        live("s", "0 64 linear " + a + " 0");
        OpenDevice s = open("s");
        suspend("s", false).value();
        CompletableFuture<Void> write = s.io().write(0, pattern(8, 1), false);
        assertEquals(1, gate.count(Step.BIO_DEFERRED, "dm-0"));
        assertFalse(write.isDone());
        assertEquals(1, deviceOf(s).deferredBios());
        assertArrayEquals(new byte[8 * SECTOR], slice(fileBytes(0), 0, 8));

        resume("s").value();
        done(write);
        assertArrayEquals(bytes(pattern(8, 1)), slice(fileBytes(0), 0, 8));
        s.close();
    }

    private static org.dmd.core.device.MappedDevice deviceOf(OpenDevice open) {
        return open.device();
    }

    @Test
    void suspendWaitsForTheIoInFlight() {
        String a = loop(64);
        live("s", "0 64 linear " + a + " 0");
        OpenDevice s = open("s");
        Parked<Void> write = Parked.start(gate.park(Step.BIO_REMAPPED, "dm-0"), "write",
                () -> s.io().write(0, pattern(8, 2), false).join());
        Async<Replies.DeviceInfo> suspending = Async.start("suspend", () -> dm.devSuspend(TestRequests.suspend("s")));
        suspending.awaitBlockedIn("awaitDrained");
        assertFalse(suspending.isDone());
        assertEquals(1, deviceOf(s).inFlight());

        assertTrue(write.finish().ok());
        assertTrue(suspending.await().value().flags().contains(DmFlag.SUSPEND));
        assertArrayEquals(bytes(pattern(8, 2)), slice(fileBytes(0), 0, 8));
        resume("s").value();
        s.close();
    }

    @Test
    void noflushSuspendRequeuesWhatATargetPushesBack() {
        String a = loop(64);
        live("p", "0 64 pushback " + a + " 0");
        OpenDevice p = open("p");
        CompletableFuture<Void> write = pushedBackDuringSuspend(p, true);
        assertTrue(suspend("p", true).ok());
        assertFalse(write.isDone());
        assertEquals(1, deviceOf(p).deferredBios());
        assertEquals(0, deviceOf(p).inFlight());

        pushBack.set(false);
        resume("p").value();
        done(write);
        assertArrayEquals(bytes(pattern(8, 4)), slice(fileBytes(0), 0, 8));
        p.close();
    }

    @Test
    void aPushBackOutsideANoflushSuspendFailsWithEio() {
        String a = loop(64);
        live("p", "0 64 pushback " + a + " 0");
        OpenDevice p = open("p");
        CompletableFuture<Void> write = pushedBackDuringSuspend(p, false);
        assertEquals(Errno.EIO, failure(write).errno());
        resume("p").value();
        p.close();
    }

    /** A write the pushback target maps (pushing it back) while a suspend of {@code p} drains. */
    private CompletableFuture<Void> pushedBackDuringSuspend(OpenDevice p, boolean noflush) {
        pushBack.set(true);
        pushBackMapping = new CountDownLatch(1);
        pushBackGo = new CountDownLatch(1);
        Async<CompletableFuture<Void>> submit = Async.start("write", () -> p.io().write(0, pattern(8, 4), false));
        try {
            assertTrue(pushBackMapping.await(StepGate.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        Async<Replies.DeviceInfo> suspending = Async.start("suspend", () -> suspend("p", noflush).value());
        suspending.awaitBlockedIn("awaitDrained");
        pushBackGo.countDown();
        suspending.await().value();
        return submit.await().value();
    }

    @Test
    void aTableSwappedAtResumeTakesTheWaitingWrites() {
        String a = loop(64);
        String b = loop(64);
        live("w", "0 64 linear " + a + " 0");
        OpenDevice w = open("w");
        suspend("w", false).value();
        CompletableFuture<Void> write = w.io().write(8L * SECTOR, pattern(8, 6), false);
        Outcome.of(() -> dm.tableLoad(TestRequests.load("w", "0 48 linear " + b + " 16"))).value();
        assertFalse(write.isDone());
        resume("w").value();
        done(write);
        assertArrayEquals(new byte[64 * SECTOR], fileBytes(0), "nothing reached the old table's device");
        assertArrayEquals(bytes(pattern(8, 6)), slice(fileBytes(1), 24, 8));
        w.close();
    }

    @Test
    void removalFailsTheWaitingRequestsWithEioThenTheDeviceIsGone() {
        String a = loop(64);
        live("g", "0 64 linear " + a + " 0");
        OpenDevice g = open("g");
        CompletableFuture<Void> gone = g.gone();
        suspend("g", false).value();
        CompletableFuture<Void> write = g.io().write(0, pattern(8, 1), false);
        CompletableFuture<Void> flush = g.io().flush();
        g.close();
        assertFalse(gone.isDone());
        Outcome.of(() -> dm.devRemove(TestRequests.remove("g"))).value();
        assertEquals(Errno.EIO, failure(write).errno());
        assertEquals(Errno.EIO, failure(flush).errno());
        assertTrue(gone.isDone());
        assertEquals(Errno.EIO, failure(g.io().read(0, ByteBuffer.allocate(SECTOR))).errno());
        assertArrayEquals(new byte[64 * SECTOR], fileBytes(0));
    }

    @Test
    void aStackedDeviceWaitsForItsSuspendedLowerDevice() {
        String a = loop(64);
        live("lower", "0 64 linear " + a + " 0");
        live("upper", "0 32 linear /dev/mapper/lower 32");
        OpenDevice upper = open("upper");
        suspend("lower", false).value();
        CompletableFuture<Void> write = upper.io().write(0, pattern(4, 8), false);
        assertFalse(write.isDone());
        // The upper device's request is in flight (its clone waits below): suspending it would wait.
        assertEquals(1, deviceOf(upper).inFlight());
        resume("lower").value();
        done(write);
        assertArrayEquals(bytes(pattern(4, 8)), slice(fileBytes(0), 32, 4));
        upper.close();
    }
}

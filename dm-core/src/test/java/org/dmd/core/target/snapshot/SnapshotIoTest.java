package org.dmd.core.target.snapshot;

import static org.dmd.core.target.TargetAssertions.construct;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.dmd.core.io.Bio;
import org.dmd.core.io.MapResult;
import org.dmd.core.minor.DeviceNumber;
import org.dmd.core.target.FakeTargetContext;
import org.dmd.core.target.MemoryDevice;
import org.dmd.core.target.TableDevice;
import org.dmd.core.target.Target;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The snapshot data path over devices in memory: copy-on-write through the origin, reads of the
 * snapshot, snapshot writes, the persistent store's layout and reload, overflow.
 */
class SnapshotIoTest {

    private static final int CHUNK = 8;
    private static final int CHUNK_BYTES = CHUNK * 512;

    // Numbers of their own: snapshots register with their origin by device number, JVM-wide.
    private final MemoryDevice origin = MemoryDevice.of(9, 100, 512);
    private final MemoryDevice cow = MemoryDevice.of(9, 101, 512);
    private final List<Target> constructed = new ArrayList<>();

    @AfterEach
    void destroy() {
        constructed.forEach(Target::destroy);
    }

    private FakeTargetContext context(TableDevice cowDevice) {
        return new FakeTargetContext(origin.sectors()).withDevice("/dev/origin", origin)
                .withDevice("/dev/cow", cowDevice).withExceptionStore(PersistentStoreType.COMPAT)
                .withExceptionStore(TransientStoreType.COMPAT);
    }

    private Target snapshot(String store) throws DmException {
        return snapshot(context(cow), store);
    }

    private Target snapshot(FakeTargetContext context, String store) throws DmException {
        Target target = construct(SnapshotTarget.SNAPSHOT, context, "/dev/origin /dev/cow " + store);
        constructed.add(target);
        return target;
    }

    private Target originTarget() throws DmException {
        return construct(SnapshotOriginTarget.TYPE, context(cow), "/dev/origin");
    }

    /** What device-mapper core does with a clone: map it, then submit, fail or leave it to the target. */
    private static CompletableFuture<Void> run(Target target, Bio bio, CompletableFuture<Void> done) {
        MapResult result = target.map(bio);
        switch (result) {
            case REMAPPED -> bio.device().submit(bio);
            case KILL -> bio.end(bio.killed());
            case SUBMITTED -> { }
            case REQUEUE -> throw new AssertionError("no requeue here");
        }
        return done;
    }

    private static CompletableFuture<Void> write(Target target, long chunk, byte value) {
        return write(target, chunk * CHUNK, CHUNK_BYTES, value);
    }

    private static CompletableFuture<Void> write(Target target, long sector, int bytes, byte value) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        ByteBuffer data = ByteBuffer.allocate(bytes);
        Arrays.fill(data.array(), value);
        return run(target, Bio.write(sector, data, false, false, (bio, error) -> finish(done, error)), done);
    }

    private static byte[] read(Target target, long chunk) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        ByteBuffer data = ByteBuffer.allocate(CHUNK_BYTES);
        run(target, Bio.read(chunk * CHUNK, data, (bio, error) -> finish(done, error)), done).join();
        return data.array();
    }

    private static void finish(CompletableFuture<Void> done, DmException error) {
        if (error == null) {
            done.complete(null);
        } else {
            done.completeExceptionally(error);
        }
    }

    private static byte[] filled(int length, byte value) {
        byte[] bytes = new byte[length];
        Arrays.fill(bytes, value);
        return bytes;
    }

    private static DmException failure(CompletableFuture<Void> io) {
        CompletionException e = org.junit.jupiter.api.Assertions.assertThrows(CompletionException.class, io::join);
        return assertInstanceOf(DmException.class, e.getCause());
    }

    @Test
    void anOriginWriteCopiesTheChunkFirstAndOnlyOnce() throws DmException {
        origin.fill(0, (int) origin.sectors() * 512, (byte) 'A');
        Target snapshot = snapshot("P " + CHUNK);
        Target target = originTarget();
        assertEquals("16/512 16", snapshot.status());
        int cowWrites = cow.writes();

        write(target, 3, (byte) 'B').join();
        assertArrayEquals(filled(CHUNK_BYTES, (byte) 'B'), origin.bytes(3L * CHUNK_BYTES, CHUNK_BYTES));
        assertArrayEquals(filled(CHUNK_BYTES, (byte) 'A'), read(snapshot, 3), "the snapshot keeps the old data");
        assertArrayEquals(filled(CHUNK_BYTES, (byte) 'B'), read(target, 3), "the origin reads the new");
        assertArrayEquals(filled(CHUNK_BYTES, (byte) 'A'), read(snapshot, 4), "an uncopied chunk reads the origin");
        // The old chunk went to the first data chunk (2), then its entry {3, 2} to area 0 (chunk 1).
        assertArrayEquals(filled(CHUNK_BYTES, (byte) 'A'), cow.bytes(2L * CHUNK_BYTES, CHUNK_BYTES));
        ByteBuffer layout = cow.snapshot();
        assertEquals(3, layout.getLong(CHUNK_BYTES));
        assertEquals(2, layout.getLong(CHUNK_BYTES + 8));
        assertEquals(0, layout.getLong(CHUNK_BYTES + 24), "the next entry ends the area");
        assertEquals(cowWrites + 2, cow.writes(), "one data chunk, one metadata area");
        assertEquals("24/512 16", snapshot.status());

        write(target, 3, (byte) 'C').join();
        write(target, 3L * CHUNK + 2, 1024, (byte) 'D').join();
        assertEquals(cowWrites + 2, cow.writes(), "a copied chunk is not copied again");
        assertEquals("24/512 16", snapshot.status());
        assertArrayEquals(filled(CHUNK_BYTES, (byte) 'A'), read(snapshot, 3));
    }

    @Test
    void aWriteAcrossChunksCopiesEachOfThem() throws DmException {
        origin.fill(0, (int) origin.sectors() * 512, (byte) 'A');
        Target snapshot = snapshot("P " + CHUNK);
        write(originTarget(), 5L * CHUNK + 4, CHUNK_BYTES, (byte) 'B').join();
        assertEquals("32/512 16", snapshot.status());
        assertArrayEquals(filled(CHUNK_BYTES, (byte) 'A'), read(snapshot, 5));
        assertArrayEquals(filled(CHUNK_BYTES, (byte) 'A'), read(snapshot, 6));
    }

    @Test
    void theHeaderIsTheKernels() throws DmException {
        snapshot("P " + CHUNK);
        ByteBuffer header = cow.snapshot();
        assertEquals(0x70416e53, header.getInt(0));
        assertEquals('S', header.get(0));
        assertEquals(1, header.getInt(4), "valid");
        assertEquals(1, header.getInt(8), "version");
        assertEquals(CHUNK, header.getInt(12), "chunk size");
    }

    @Test
    void aSnapshotWriteAllocatesAnExceptionAndLeavesTheOriginAlone() throws DmException {
        origin.fill(0, (int) origin.sectors() * 512, (byte) 'A');
        Target snapshot = snapshot("P " + CHUNK);
        write(snapshot, 6L * CHUNK + 1, 512, (byte) 'S').join();
        byte[] expected = filled(CHUNK_BYTES, (byte) 'A');
        Arrays.fill(expected, 512, 1024, (byte) 'S');
        assertArrayEquals(expected, read(snapshot, 6), "copy, then the write over it");
        assertArrayEquals(filled(CHUNK_BYTES, (byte) 'A'), origin.bytes(6L * CHUNK_BYTES, CHUNK_BYTES));
        assertEquals("24/512 16", snapshot.status());
        write(originTarget(), 6, (byte) 'B').join();
        assertEquals("24/512 16", snapshot.status(), "the origin write finds the chunk already remapped");
        assertArrayEquals(expected, read(snapshot, 6));
    }

    @Test
    void concurrentWritesToOneChunkWaitForTheOneCopy() throws DmException {
        origin.fill(0, (int) origin.sectors() * 512, (byte) 'A');
        HeldDevice held = new HeldDevice(cow);
        Target snapshot = snapshot(context(held), "P " + CHUNK);
        Target target = construct(SnapshotOriginTarget.TYPE, context(held), "/dev/origin");
        held.hold = true;
        CompletableFuture<Void> first = write(target, 2, (byte) 'B');
        CompletableFuture<Void> second = write(target, 2L * CHUNK + 1, 512, (byte) 'C');
        assertEquals(1, held.held.size(), "one copy under way, for both writes");
        assertFalse(first.isDone() || second.isDone());
        assertArrayEquals(filled(CHUNK_BYTES, (byte) 'A'), origin.bytes(2L * CHUNK_BYTES, CHUNK_BYTES),
                "the origin is not written before its chunk is copied");
        held.hold = false;
        held.releaseAll();
        first.join();
        second.join();
        assertArrayEquals(filled(CHUNK_BYTES, (byte) 'A'), read(snapshot, 2));
        assertEquals("24/512 16", snapshot.status());
    }

    @Test
    void theStoreResumesItsExceptionsAtTheNextTableLoad() throws DmException {
        origin.fill(0, (int) origin.sectors() * 512, (byte) 'A');
        Target snapshot = snapshot("P 1");
        Target target = originTarget();
        // 1-sector chunks: 32 exceptions per area, so 40 copies fill area 0 and start area 1 (chunk 34).
        for (int chunk = 0; chunk < 40; chunk++) {
            write(target, chunk, 512, (byte) 'B').join();
        }
        String status = snapshot.status();
        assertEquals((2 + 40 + 1) + "/512 3", status, "header, 40 data chunks, 2 areas");
        assertEquals(0, cow.snapshot().getLong(34 * 512 + 8 * 16 + 8), "area 1 holds 8 entries");
        snapshot.destroy();
        constructed.clear();

        Target reloaded = snapshot("P 1");
        assertEquals(status, reloaded.status());
        origin.fill(0, 40 * 512, (byte) 'Z');
        for (int chunk = 0; chunk < 40; chunk++) {
            CompletableFuture<Void> done = new CompletableFuture<>();
            ByteBuffer data = ByteBuffer.allocate(512);
            run(reloaded, Bio.read(chunk, data, (bio, error) -> finish(done, error)), done).join();
            assertArrayEquals(filled(512, (byte) 'A'), data.array(), "chunk " + chunk);
        }
        write(target, 41, 512, (byte) 'B').join();
        assertEquals((2 + 41 + 1) + "/512 3", reloaded.status(), "allocation resumes after the last chunk");
    }

    @Test
    void aFullCowDeviceInvalidatesThePersistentSnapshot() throws DmException {
        MemoryDevice small = MemoryDevice.of(9, 102, 4 * CHUNK);
        FakeTargetContext context = context(small);
        Target snapshot = snapshot(context, "P " + CHUNK);
        Target target = construct(SnapshotOriginTarget.TYPE, context, "/dev/origin");
        write(target, 0, (byte) 'B').join();
        write(target, 1, (byte) 'B').join();
        assertEquals("32/32 16", snapshot.status());
        write(target, 2, (byte) 'B').join();
        assertEquals("Invalid", snapshot.status());
        assertEquals(1, context.eventCount());
        assertEquals(Errno.EIO, failure(readAsync(snapshot, 0)).errno());
        assertEquals(Errno.EIO, failure(write(snapshot, 3, (byte) 'S')).errno());
        write(target, 3, (byte) 'B').join();
        assertArrayEquals(filled(CHUNK_BYTES, (byte) 'B'), origin.bytes(3L * CHUNK_BYTES, CHUNK_BYTES),
                "the origin goes on without its snapshot");
        assertEquals(0, small.snapshot().getInt(4), "the header says invalid");
        snapshot.destroy();
        constructed.clear();
        assertEquals("Invalid", snapshot(context, "P " + CHUNK).status(), "and stays so at the next load");
    }

    @Test
    void aFullPoStoreOverflowsOnASnapshotWrite() throws DmException {
        MemoryDevice small = MemoryDevice.of(9, 103, 3 * CHUNK);
        FakeTargetContext context = context(small);
        Target snapshot = snapshot(context, "PO " + CHUNK);
        write(snapshot, 0, (byte) 'S').join();
        assertEquals(Errno.EIO, failure(write(snapshot, 1, (byte) 'S')).errno());
        assertEquals("Overflow", snapshot.status());
        assertArrayEquals(filled(CHUNK_BYTES, (byte) 'S'), read(snapshot, 0), "reads still work");
    }

    @Test
    void theTransientStoreCountsWhatItHandedOut() throws DmException {
        Target snapshot = snapshot("N " + CHUNK);
        write(originTarget(), 7, (byte) 'B').join();
        assertEquals(CHUNK + "/512 0", snapshot.status());
        assertArrayEquals(new byte[CHUNK_BYTES], read(snapshot, 7));
        assertEquals(0, cow.snapshot().getInt(0), "nothing on disk but the data");
    }

    @Test
    void aCopyWaitsForReadsOfTheChunkInFlight() throws DmException {
        origin.fill(0, (int) origin.sectors() * 512, (byte) 'A');
        HeldDevice heldOrigin = new HeldDevice(origin);
        FakeTargetContext context = new FakeTargetContext(origin.sectors()).withDevice("/dev/origin", heldOrigin)
                .withDevice("/dev/cow", cow).withExceptionStore(PersistentStoreType.COMPAT);
        Target snapshot = snapshot(context, "P " + CHUNK);
        Target target = construct(SnapshotOriginTarget.TYPE, context, "/dev/origin");
        heldOrigin.holdReads = true;
        CompletableFuture<Void> read = new CompletableFuture<>();
        ByteBuffer data = ByteBuffer.allocate(CHUNK_BYTES);
        run(snapshot, Bio.read(4L * CHUNK, data, (bio, error) -> finish(read, error)), read);
        heldOrigin.holdReads = false;
        CompletableFuture<Void> originWrite = write(target, 4, (byte) 'B');
        assertFalse(originWrite.isDone(), "the copy is committed but waits for the snapshot's read");
        assertArrayEquals(filled(CHUNK_BYTES, (byte) 'A'), origin.bytes(4L * CHUNK_BYTES, CHUNK_BYTES));
        heldOrigin.releaseAll();
        read.join();
        originWrite.join();
        assertArrayEquals(filled(CHUNK_BYTES, (byte) 'A'), data.array());
        assertTrue(snapshot.status().startsWith("24/"));
    }

    private static CompletableFuture<Void> readAsync(Target target, long chunk) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        return run(target, Bio.read(chunk * CHUNK, ByteBuffer.allocate(CHUNK_BYTES),
                (bio, error) -> finish(done, error)), done);
    }

    /** A device that keeps data writes (or reads) while told to, until released. */
    private static final class HeldDevice implements TableDevice {
        private final TableDevice device;
        final ConcurrentLinkedQueue<Bio> held = new ConcurrentLinkedQueue<>();
        volatile boolean hold;
        volatile boolean holdReads;

        HeldDevice(TableDevice device) {
            this.device = device;
        }

        @Override
        public void submit(Bio bio) {
            boolean keep = bio.op() == Bio.Op.WRITE && hold && !bio.fua() || bio.op() == Bio.Op.READ && holdReads;
            if (keep) {
                held.add(bio);
            } else {
                device.submit(bio);
            }
        }

        void releaseAll() {
            for (Bio bio; (bio = held.poll()) != null; ) {
                device.submit(bio);
            }
        }

        @Override
        public DeviceNumber number() {
            return device.number();
        }

        @Override
        public long sectors() {
            return device.sectors();
        }
    }
}

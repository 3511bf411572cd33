package org.dmd.core.target.snapshot;

import static org.dmd.core.target.TargetAssertions.assertCtrFails;
import static org.dmd.core.target.TargetAssertions.assertMessageFails;
import static org.dmd.core.target.TargetAssertions.construct;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.dmd.core.minor.DeviceNumber;
import org.dmd.core.target.DeviceArea;
import org.dmd.core.target.FakeTargetContext;
import org.dmd.core.target.MemoryDevice;
import org.dmd.core.target.Target;
import org.dmd.core.target.TargetType;
import org.dmd.core.target.Version;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SnapshotTargetTest {

    private static final String DEVICES = "/dev/loop0 /dev/loop1 ";

    // Stores read their COW device at construction: every test gets blank ones in memory.
    private final MemoryDevice origin = MemoryDevice.of(7, 0, 4096);
    private final MemoryDevice cow = MemoryDevice.of(7, 1, 8192);
    private final List<Target> constructed = new ArrayList<>();
    private final FakeTargetContext context = withStores(new FakeTargetContext(2048)
            .withDevice("/dev/loop0", origin).withDevice("/dev/loop1", cow).withLoop(2, 16)
            .withDevice("/dev/big-block", new MemoryDevice(new DeviceNumber(8, 0), 8192, 4096)));

    @AfterEach
    void destroy() {
        // A snapshot registers with its origin until its table is destroyed.
        constructed.forEach(Target::destroy);
    }

    private static FakeTargetContext withStores(FakeTargetContext context) {
        return context.withExceptionStore(PersistentStoreType.COMPAT).withExceptionStore(TransientStoreType.COMPAT);
    }

    private Target snapshot(String line) throws DmException {
        return kept(construct(SnapshotTarget.SNAPSHOT, context, line));
    }

    private Target kept(Target target) {
        constructed.add(target);
        return target;
    }

    private void fails(String line, String error) {
        assertCtrFails(SnapshotTarget.SNAPSHOT, context, line, Errno.EINVAL, error);
    }

    @Test
    void versions() {
        assertEquals(Version.of(1, 16, 0), SnapshotTarget.SNAPSHOT.version());
        assertEquals(Version.of(1, 5, 0), SnapshotTarget.SNAPSHOT_MERGE.version());
        assertEquals(Version.of(1, 9, 0), SnapshotOriginTarget.TYPE.version());
    }

    @Test
    void persistentSnapshotAtRest() throws DmException {
        Target snapshot = snapshot(DEVICES + "P 16");
        assertEquals("7:0 7:1 P 16", snapshot.table());
        // Header chunk + first metadata area: 2 chunks allocated, both metadata.
        assertEquals("32/8192 32", snapshot.status());
        assertEquals(List.of(new DeviceArea(origin, 0, 2048), new DeviceArea(cow, 0, 8192)), snapshot.areas());
        assertMessageFails(snapshot, "x", Errno.EINVAL);
    }

    @Test
    void storeLettersAndDefaultChunkSize() throws DmException {
        assertEquals("7:0 7:1 PO 8", snapshot(DEVICES + "PO 8").table());
        assertEquals("7:0 7:1 PO 8", snapshot(DEVICES + "po 8").table());
        // read_header: the chunk size in the COW device's header overrides the table's.
        assertEquals("7:0 7:1 P 8", snapshot("7:0 7:1 p 16").table());
        cow.fill(0, 512, (byte) 0);
        assertEquals("7:0 7:1 P 16", snapshot("7:0 7:1 p 16").table());
        cow.fill(0, 512, (byte) 0);
        Target defaulted = snapshot(DEVICES + "P 0");
        assertEquals("7:0 7:1 P 32", defaulted.table());
        assertEquals("64/8192 64", defaulted.status());
        Target transientStore = snapshot(DEVICES + "N 16");
        assertEquals("7:0 7:1 N 16", transientStore.table());
        assertEquals("0/8192 0", transientStore.status());
        assertEquals("7:0 7:1 N 16", snapshot(DEVICES + "nx 16").table());
    }

    @Test
    void featuresPrintInTheKernelsOrder() throws DmException {
        assertEquals("7:0 7:1 P 16 1 discard_zeroes_cow", snapshot(DEVICES + "P 16 1 discard_zeroes_cow").table());
        assertEquals("7:0 7:1 P 16 2 discard_zeroes_cow discard_passdown_origin",
                snapshot(DEVICES + "P 16 2 DISCARD_PASSDOWN_origin discard_zeroes_cow").table());
        assertEquals("7:0 7:1 P 16", snapshot(DEVICES + "P 16 0").table());
    }

    @Test
    void argumentAndDeviceErrors() {
        fails(DEVICES + "P", "requires 4 or more arguments");
        fails(DEVICES + "P 16 3 a b c", "Invalid number of feature arguments");
        fails(DEVICES + "P 16 2 discard_zeroes_cow", "Invalid number of feature arguments");
        fails(DEVICES + "P 16 1 nope", "Unrecognised feature requested");
        fails(DEVICES + "P 16 1 discard_passdown_origin",
                "discard_passdown_origin feature depends on discard_zeroes_cow");
        assertCtrFails(SnapshotTarget.SNAPSHOT, context, "/dev/loop9 /dev/loop1 P 16", Errno.ENOENT,
                "Cannot get origin device");
        assertCtrFails(SnapshotTarget.SNAPSHOT, context, "/dev/loop0 7:9 P 16", Errno.ENXIO, "Cannot get COW device");
        fails("/dev/loop0 7:0 P 16", "COW device cannot be the same as origin device");
    }

    @Test
    void exceptionStoreErrorsAreAllOneEinval() {
        fails(DEVICES + "X 16", "Couldn't create exception store: Exception store type is not P or N");
        fails(DEVICES + "P x", "Couldn't create exception store: Invalid chunk size");
        fails(DEVICES + "P 12", "Couldn't create exception store: Chunk size is not a power of 2");
        fails(DEVICES + "P 8388608", "Couldn't create exception store: Chunk size is too high");
        fails("/dev/loop0 /dev/big-block P 4",
                "Couldn't create exception store: Chunk size is not a multiple of device blocksize");
        fails(DEVICES + "Px 16", "Couldn't create exception store: Exception store type constructor failed");
        assertCtrFails(SnapshotTarget.SNAPSHOT, new FakeTargetContext(2048).withLoop(0, 4096).withLoop(1, 4096),
                DEVICES + "P 16", Errno.EINVAL, "Couldn't create exception store: Exception store type not recognised");
    }

    @Test
    void metadataAndChunkSizeErrors() {
        fails(DEVICES + "N 0", "Chunk size not set");
        assertCtrFails(SnapshotTarget.SNAPSHOT, context, "/dev/loop0 /dev/loop2 P 16", Errno.EIO,
                "Failed to read snapshot metadata");
    }

    @Test
    void aBigBlockCowRaisesTheDefaultChunkSize() throws DmException {
        assertEquals("7:0 8:0 P 32", snapshot("/dev/loop0 /dev/big-block P 0").table());
        FakeTargetContext huge = withStores(new FakeTargetContext(2048).withLoop(0, 4096)
                .withDevice("/dev/huge", new MemoryDevice(new DeviceNumber(8, 1), 8192, 65536)));
        assertEquals("7:0 8:1 P 128",
                kept(construct(SnapshotTarget.SNAPSHOT, huge, "/dev/loop0 /dev/huge P 0")).table());
    }

    @Test
    void snapshotMergeSharesTheConstructorAndText() throws DmException {
        TargetType merge = SnapshotTarget.SNAPSHOT_MERGE;
        Target target = kept(construct(merge, context, DEVICES + "P 16"));
        assertEquals("7:0 7:1 P 16", target.table());
        assertEquals("32/8192 32", target.status());
        assertCtrFails(merge, context, DEVICES + "P", Errno.EINVAL, "requires 4 or more arguments");
    }

    @Test
    void origin() throws DmException {
        Target target = construct(SnapshotOriginTarget.TYPE, context, "/dev/loop0");
        assertEquals("7:0", target.table());
        assertEquals("", target.status());
        assertEquals(List.of(new DeviceArea(origin, 0, 2048)), target.areas());
        assertMessageFails(target, "x", Errno.EINVAL);
        assertCtrFails(SnapshotOriginTarget.TYPE, context, "", Errno.EINVAL, "origin: incorrect number of arguments");
        assertCtrFails(SnapshotOriginTarget.TYPE, context, "/dev/loop0 /dev/loop1", Errno.EINVAL,
                "origin: incorrect number of arguments");
        assertCtrFails(SnapshotOriginTarget.TYPE, context, "/dev/loop8", Errno.ENOENT, "Cannot get target device");
    }
}

package org.dmd.core.target.mirror;

import static org.dmd.core.target.TargetAssertions.assertCtrFails;
import static org.dmd.core.target.TargetAssertions.assertMessageFails;
import static org.dmd.core.target.TargetAssertions.construct;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.dmd.core.target.DeviceArea;
import org.dmd.core.target.FakeDevice;
import org.dmd.core.target.FakeTargetContext;
import org.dmd.core.target.Target;
import org.dmd.core.target.Version;
import org.junit.jupiter.api.Test;

class MirrorTargetTest {

    private static final String LEGS = "2 /dev/loop0 0 /dev/loop1 0";

    private final FakeTargetContext context = new FakeTargetContext(2048)
            .withLoop(0, 4096).withLoop(1, 4096).withLoop(2, 8).withLoop(3, 2)
            .withDirtyLog(RegionLogType.CORE).withDirtyLog(RegionLogType.DISK);

    private Target mirror(String line) throws DmException {
        return construct(MirrorTarget.TYPE, context, line);
    }

    private void fails(String line, String error) {
        assertCtrFails(MirrorTarget.TYPE, context, line, Errno.EINVAL, error);
    }

    @Test
    void coreLogMirrorRecoversWhenResumed() throws DmException {
        assertEquals(Version.of(1, 15, 0), MirrorTarget.TYPE.version());
        Target mirror = mirror("core 1 1024 " + LEGS);
        assertEquals("core 1 1024 2 7:0 0 7:1 0", mirror.table());
        assertEquals("2 7:0 7:1 0/2 1 AA 1 core", mirror.status());
        mirror.preresume();
        assertEquals("2 7:0 7:1 2/2 1 AA 1 core", mirror.status());
        assertEquals(1, context.eventCount());
        mirror.preresume();
        assertEquals(1, context.eventCount(), "the in-sync event is raised once");
        assertEquals(List.of(new DeviceArea(FakeDevice.of(7, 0, 4096), 0, 2048),
                new DeviceArea(FakeDevice.of(7, 1, 4096), 0, 2048)), mirror.areas());
        assertMessageFails(mirror, "anything", Errno.EINVAL);
    }

    @Test
    void nosyncStartsInSyncAndRaisesNoEvent() throws DmException {
        Target mirror = mirror("core 2 1024 nosync " + LEGS);
        assertEquals("core 2 1024 nosync 2 7:0 0 7:1 0", mirror.table());
        assertEquals("2 7:0 7:1 2/2 1 AA 1 core", mirror.status());
        mirror.preresume();
        assertEquals(0, context.eventCount());
    }

    @Test
    void syncAndPartialLastRegion() throws DmException {
        Target mirror = construct(MirrorTarget.TYPE, new FakeTargetContext(2000).withLoop(0, 4096).withLoop(1, 4096)
                .withDirtyLog(RegionLogType.CORE), "core 2 512 sync " + LEGS);
        assertEquals("core 2 512 sync 2 7:0 0 7:1 0", mirror.table());
        assertEquals("2 7:0 7:1 0/4 1 AA 1 core", mirror.status());
    }

    @Test
    void diskLogPrintsItsDevice() throws DmException {
        Target mirror = mirror("disk 2 /dev/loop2 1024 2 /dev/loop0 0 7:1 64 1 handle_errors");
        assertEquals("disk 2 7:2 1024 2 7:0 0 7:1 64 1 handle_errors", mirror.table());
        assertEquals("2 7:0 7:1 0/2 1 AA 3 disk 7:2 A", mirror.status());
        assertEquals("disk 3 7:2 1024 nosync 2 7:0 0 7:1 0",
                mirror("disk 3 7:2 1024 nosync " + LEGS).table());
    }

    @Test
    void featuresPrintInTheKernelsOrder() throws DmException {
        assertEquals("core 1 1024 2 7:0 0 7:1 0 2 handle_errors keep_log",
                mirror("core 1 1024 " + LEGS + " 2 keep_log handle_errors").table());
        assertEquals("core 1 1024 2 7:0 0 7:1 0", mirror("core 1 1024 " + LEGS + " 0").table());
    }

    @Test
    void logArgumentErrors() {
        fails("core", "Insufficient mirror log arguments");
        fails("core x 1024 " + LEGS, "Invalid mirror log argument count");
        fails("core 3 1024", "Insufficient mirror log arguments");
        fails("userspace 1 1024 " + LEGS, "Error creating mirror dirty log");
        fails("core 1 1000 " + LEGS, "Error creating mirror dirty log: invalid region size 1000");
        fails("core 1 4096 " + LEGS, "Error creating mirror dirty log: invalid region size 4096");
        fails("core 1 1 " + LEGS, "Error creating mirror dirty log: invalid region size 1");
        fails("core 2 1024 maybe " + LEGS,
                "Error creating mirror dirty log: unrecognised sync argument to dirty region log: maybe");
        fails("core 0 " + LEGS, "Error creating mirror dirty log: wrong number of arguments to dirty region log");
        fails("disk 1 /dev/loop2 " + LEGS,
                "Error creating mirror dirty log: wrong number of arguments to disk dirty region log");
        fails("disk 2 /dev/loop9 1024 " + LEGS, "Error creating mirror dirty log");
        fails("disk 2 /dev/loop3 2 " + LEGS,
                "Error creating mirror dirty log: log device 7:3 too small: need 1536 bytes");
    }

    @Test
    void legAndFeatureErrors() {
        fails("core 1 1024", "Invalid number of mirrors");
        fails("core 1 1024 1 /dev/loop0 0", "Invalid number of mirrors");
        fails("core 1 1024 10", "Invalid number of mirrors");
        fails("core 1 1024 2 /dev/loop0 0", "Too few mirror arguments");
        fails("core 1 1024 2 /dev/loop0 0 /dev/loop1 x", "Invalid offset");
        assertCtrFails(MirrorTarget.TYPE, context, "core 1 1024 2 /dev/loop0 0 /dev/loop7 0", Errno.ENOENT,
                "Device lookup failure");
        fails("core 1 1024 " + LEGS + " x", "Invalid number of features");
        fails("core 1 1024 " + LEGS + " 2 handle_errors", "Not enough arguments to support feature count");
        fails("core 1 1024 " + LEGS + " 1 Handle_errors", "Unrecognised feature requested");
        fails("core 1 1024 " + LEGS + " 1 keep_log", "keep_log feature requires the handle_errors feature");
        fails("core 1 1024 " + LEGS + " 1 handle_errors extra", "Too many mirror arguments");
    }
}

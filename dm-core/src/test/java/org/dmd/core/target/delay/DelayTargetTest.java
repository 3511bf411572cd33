package org.dmd.core.target.delay;

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

class DelayTargetTest {

    private static final FakeDevice LOOP0 = FakeDevice.of(7, 0, 4096);
    private static final FakeDevice LOOP1 = FakeDevice.of(7, 1, 4096);
    private static final FakeDevice LOOP2 = FakeDevice.of(7, 2, 4096);

    private final FakeTargetContext context = new FakeTargetContext(1000)
            .withDevice("/dev/loop0", LOOP0).withDevice("/dev/loop1", LOOP1).withDevice("/dev/loop2", LOOP2);

    @Test
    void versionAndMessages() throws DmException {
        assertEquals(Version.of(1, 5, 0), DelayTarget.TYPE.version());
        assertMessageFails(construct(DelayTarget.TYPE, context, "/dev/loop0 0 100"), "flush", Errno.EINVAL);
    }

    @Test
    void threeArgumentsDelayEveryClassOnOneDevice() throws DmException {
        Target delay = construct(DelayTarget.TYPE, context, "/dev/loop0 16 100");
        assertEquals("7:0 16 100", delay.table());
        assertEquals("0 0 0", delay.status());
        DeviceArea area = new DeviceArea(LOOP0, 16, 1000);
        assertEquals(List.of(area, area, area), delay.areas());
    }

    @Test
    void sixArgumentsSendWritesAndFlushesElsewhere() throws DmException {
        Target delay = construct(DelayTarget.TYPE, context, "/dev/loop0 0 50 7:1 8 0");
        assertEquals("7:0 0 50 7:1 8 0", delay.table());
        DeviceArea write = new DeviceArea(LOOP1, 8, 1000);
        assertEquals(List.of(new DeviceArea(LOOP0, 0, 1000), write, write), delay.areas());
    }

    @Test
    void nineArgumentsGiveFlushesTheirOwnClass() throws DmException {
        Target delay = construct(DelayTarget.TYPE, context, "/dev/loop0 0 1 /dev/loop1 0 2 /dev/loop2 4 3");
        assertEquals("7:0 0 1 7:1 0 2 7:2 4 3", delay.table());
        assertEquals(List.of(new DeviceArea(LOOP0, 0, 1000), new DeviceArea(LOOP1, 0, 1000),
                new DeviceArea(LOOP2, 4, 1000)), delay.areas());
        assertEquals("0 0 0", delay.status());
    }

    @Test
    void argumentErrors() {
        for (String line : List.of("/dev/loop0 0", "/dev/loop0 0 1 2", "/dev/loop0 0 1 /dev/loop1 0 1 x")) {
            assertCtrFails(DelayTarget.TYPE, context, line, Errno.EINVAL, "Requires exactly 3, 6 or 9 arguments");
        }
        assertCtrFails(DelayTarget.TYPE, context, "/dev/loop0 x 1", Errno.EINVAL, "Invalid device sector");
        assertCtrFails(DelayTarget.TYPE, context, "/dev/loop0 0 -1", Errno.EINVAL, "Invalid delay");
        assertCtrFails(DelayTarget.TYPE, context, "/dev/loop9 0 1", Errno.ENOENT, "Device lookup failed");
        assertCtrFails(DelayTarget.TYPE, context, "/dev/loop0 0 1 7:9 0 1", Errno.ENXIO, "Device lookup failed");
        assertCtrFails(DelayTarget.TYPE, context, "/dev/loop0 0 1 /dev/loop1 0 x", Errno.EINVAL, "Invalid delay");
    }
}

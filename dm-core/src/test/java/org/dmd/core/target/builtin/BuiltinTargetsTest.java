package org.dmd.core.target.builtin;

import static org.dmd.core.target.TargetAssertions.assertCtrFails;
import static org.dmd.core.target.TargetAssertions.assertMessageFails;
import static org.dmd.core.target.TargetAssertions.construct;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Set;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.dmd.core.minor.DeviceNumber;
import org.dmd.core.target.DeviceArea;
import org.dmd.core.target.FakeDevice;
import org.dmd.core.target.FakeTargetContext;
import org.dmd.core.target.Target;
import org.dmd.core.target.TargetFeature;
import org.dmd.core.target.Version;
import org.junit.jupiter.api.Test;

class BuiltinTargetsTest {

    private final FakeTargetContext context = new FakeTargetContext(1024)
            .withLoop(0, 4096).withLoop(1, 4096).withDevice("/dev/sdb", FakeDevice.of(8, 16, 8192));

    @Test
    void typesCarryTheKernelsVersionsAndFlags() {
        assertEquals(Version.of(1, 5, 0), LinearTarget.TYPE.version());
        assertEquals(Version.of(1, 7, 0), StripedTarget.TYPE.version());
        assertEquals(Version.of(1, 7, 0), ErrorTarget.TYPE.version());
        assertEquals(Set.of(TargetFeature.WILDCARD, TargetFeature.HYBRID), ErrorTarget.TYPE.features());
        assertEquals(Set.of(), LinearTarget.TYPE.features());
        assertEquals(Set.of(), StripedTarget.TYPE.features());
    }

    @Test
    void linearPrintsItsDeviceAsMajorMinorWhateverFormWasLoaded() throws DmException {
        Target byPath = construct(LinearTarget.TYPE, context, "/dev/loop0 128");
        assertEquals("7:0 128", byPath.table());
        assertEquals("", byPath.status());
        assertEquals(List.of(new DeviceArea(FakeDevice.of(7, 0, 4096), 128, 1024)), byPath.areas());
        assertEquals("8:16 0", construct(LinearTarget.TYPE, context, "8:16 0").table());
        assertMessageFails(byPath, "anything", Errno.EINVAL);
    }

    @Test
    void linearArgumentErrors() {
        assertCtrFails(LinearTarget.TYPE, context, "/dev/loop0", Errno.EINVAL, "Invalid argument count");
        assertCtrFails(LinearTarget.TYPE, context, "/dev/loop0 0 0", Errno.EINVAL, "Invalid argument count");
        assertCtrFails(LinearTarget.TYPE, context, "/dev/loop0 -1", Errno.EINVAL, "Invalid device sector");
        assertCtrFails(LinearTarget.TYPE, context, "/dev/loop0 12x", Errno.EINVAL, "Invalid device sector");
        assertCtrFails(LinearTarget.TYPE, context, "/dev/loop9 0", Errno.ENOENT, "Device lookup failed");
        assertCtrFails(LinearTarget.TYPE, context, "7:9 0", Errno.ENXIO, "Device lookup failed");
        assertCtrFails(LinearTarget.TYPE, context, "4096:0 0", Errno.EOVERFLOW, "Device lookup failed");
        context.ownDevice(new DeviceNumber(7, 1));
        assertCtrFails(LinearTarget.TYPE, context, "/dev/loop1 0", Errno.EINVAL, "Device lookup failed");
    }

    @Test
    void linearChecksTheOffsetBeforeTheDevice() {
        assertCtrFails(LinearTarget.TYPE, context, "/dev/loop9 x", Errno.EINVAL, "Invalid device sector");
    }

    @Test
    void stripedTableStatusAndAreas() throws DmException {
        Target striped = construct(StripedTarget.TYPE, context, "2 64 /dev/loop0 0 7:1 256");
        assertEquals("2 64 7:0 0 7:1 256", striped.table());
        assertEquals("2 7:0 7:1 1 AA", striped.status());
        assertEquals(List.of(new DeviceArea(FakeDevice.of(7, 0, 4096), 0, 512),
                new DeviceArea(FakeDevice.of(7, 1, 4096), 256, 512)), striped.areas());
        assertEquals("1 8 8:16 0", construct(StripedTarget.TYPE, context, "+1 8 /dev/sdb 0").table());
    }

    @Test
    void stripedArgumentErrors() {
        assertCtrFails(StripedTarget.TYPE, context, "2", Errno.EINVAL, "Not enough arguments");
        assertCtrFails(StripedTarget.TYPE, context, "0 64", Errno.EINVAL, "Invalid stripe count");
        assertCtrFails(StripedTarget.TYPE, context, "x 64", Errno.EINVAL, "Invalid stripe count");
        assertCtrFails(StripedTarget.TYPE, context, "2 0", Errno.EINVAL, "Invalid chunk_size");
        assertCtrFails(StripedTarget.TYPE, context, "3 64 a 0 b 0 c 0", Errno.EINVAL,
                "Target length not divisible by number of stripes");
        assertCtrFails(StripedTarget.TYPE, context, "2 48 a 0 b 0", Errno.EINVAL,
                "Target length not divisible by chunk size");
        assertCtrFails(StripedTarget.TYPE, context, "2 64 /dev/loop0 0", Errno.EINVAL,
                "Not enough destinations specified");
        assertCtrFails(StripedTarget.TYPE, context, "2 64 /dev/loop0 0 /dev/loop1 0 x", Errno.EINVAL,
                "Not enough destinations specified");
        assertCtrFails(StripedTarget.TYPE, context, "2 64 /dev/loop0 0 /dev/loop1 x", Errno.EINVAL,
                "Couldn't parse stripe destination");
        assertCtrFails(StripedTarget.TYPE, context, "2 64 /dev/loop0 0 /dev/loop7 0", Errno.ENOENT,
                "Couldn't parse stripe destination");
    }

    @Test
    void errorTakesNoArgumentsOrABackingDevice() throws DmException {
        Target bare = construct(ErrorTarget.TYPE, context, "");
        assertEquals("", bare.table());
        assertEquals("", bare.status());
        assertEquals(List.of(), bare.areas());
        // Any count other than two is ignored, as current kernels do.
        assertEquals(List.of(), construct(ErrorTarget.TYPE, context, "/dev/loop9").areas());
        Target backed = construct(ErrorTarget.TYPE, context, "/dev/loop0 8");
        assertEquals("", backed.table());
        assertEquals(List.of(new DeviceArea(FakeDevice.of(7, 0, 4096), 8, 1024)), backed.areas());
        assertMessageFails(backed, "x", Errno.EINVAL);
    }

    @Test
    void errorBackingDeviceErrors() {
        assertCtrFails(ErrorTarget.TYPE, context, "/dev/loop0 z", Errno.EINVAL, "Invalid device sector");
        assertCtrFails(ErrorTarget.TYPE, context, "/dev/loop9 0", Errno.ENOENT, "Device lookup failed");
    }
}

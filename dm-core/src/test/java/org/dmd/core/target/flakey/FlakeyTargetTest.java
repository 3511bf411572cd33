package org.dmd.core.target.flakey;

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

class FlakeyTargetTest {

    private final FakeTargetContext context = new FakeTargetContext(2048).withLoop(0, 4096);

    private String table(String line) throws DmException {
        return construct(FlakeyTarget.TYPE, context, line).table();
    }

    private void fails(String line, String error) {
        assertCtrFails(FlakeyTarget.TYPE, context, line, Errno.EINVAL, error);
    }

    @Test
    void withoutFeaturesEveryIoErrorsWhileDown() throws DmException {
        assertEquals(Version.of(1, 5, 0), FlakeyTarget.TYPE.version());
        Target flakey = construct(FlakeyTarget.TYPE, context, "/dev/loop0 8 10 5");
        assertEquals("7:0 8 10 5 2 error_reads error_writes", flakey.table());
        assertEquals("", flakey.status());
        assertEquals(List.of(new DeviceArea(FakeDevice.of(7, 0, 4096), 8, 2048)), flakey.areas());
        assertEquals("7:0 8 10 5 2 error_reads error_writes", table("/dev/loop0 8 10 5 0"));
        assertMessageFails(flakey, "x", Errno.EINVAL);
    }

    @Test
    void featuresPrintInTheKernelsOrderWithTheirCount() throws DmException {
        assertEquals("7:0 0 1 1 1 drop_writes", table("/dev/loop0 0 1 1 1 drop_writes"));
        assertEquals("7:0 0 1 1 2 error_reads drop_writes", table("/dev/loop0 0 1 1 2 DROP_WRITES error_reads"));
        assertEquals("7:0 0 1 1 1 error_writes", table("7:0 0 1 1 1 error_writes"));
        assertEquals("7:0 0 0 9 5 corrupt_bio_byte 32 r 1 0",
                table("/dev/loop0 0 0 9 5 corrupt_bio_byte 32 r 1 0"));
        assertEquals("7:0 0 1 1 6 error_reads corrupt_bio_byte 1 w 255 16",
                table("/dev/loop0 0 1 1 6 corrupt_bio_byte 1 W 255 16 error_reads"));
        assertEquals("7:0 0 1 1 4 random_read_corrupt 500 random_write_corrupt 1000000000",
                table("/dev/loop0 0 1 1 4 random_write_corrupt 1000000000 random_read_corrupt 500"));
    }

    @Test
    void aZeroProbabilityCountsAsAbsent() throws DmException {
        assertEquals("7:0 0 1 1 2 error_reads error_writes", table("/dev/loop0 0 1 1 2 random_read_corrupt 0"));
        assertEquals("7:0 0 1 1 2 random_read_corrupt 7",
                table("/dev/loop0 0 1 1 4 random_read_corrupt 0 random_read_corrupt 7"));
    }

    @Test
    void mainArgumentErrors() {
        fails("/dev/loop0 0 1", "Invalid argument count");
        fails("/dev/loop0 x 1 1", "Invalid device sector");
        fails("/dev/loop0 0 x 1", "Invalid up interval");
        fails("/dev/loop0 0 1 4294967296", "Invalid down interval");
        fails("/dev/loop0 0 0 0", "Total (up + down) interval is zero");
        // Unsigned 32-bit arithmetic: a sum of exactly 2^32 reads as zero, a larger one overflows.
        fails("/dev/loop0 0 1 4294967295", "Total (up + down) interval is zero");
        fails("/dev/loop0 0 2 4294967295", "Interval overflow");
        assertCtrFails(FlakeyTarget.TYPE, context, "/dev/loop9 0 1 1", Errno.ENOENT, "Device lookup failed");
    }

    @Test
    void featureErrorsComeBeforeTheDeviceLookup() {
        fails("/dev/loop9 0 1 1 12", "Invalid number of feature args");
        fails("/dev/loop9 0 1 1 2 drop_writes", "Invalid number of feature args");
        fails("/dev/loop9 0 1 1 1 nonsense", "Unrecognised flakey feature requested");
    }

    @Test
    void featureErrors() {
        fails("/dev/loop0 0 1 1 2 error_reads error_reads", "Feature error_reads duplicated");
        fails("/dev/loop0 0 1 1 2 drop_writes drop_writes", "Feature drop_writes duplicated");
        fails("/dev/loop0 0 1 1 2 error_writes error_writes", "Feature error_writes duplicated");
        fails("/dev/loop0 0 1 1 2 error_writes drop_writes", "Feature drop_writes conflicts with feature error_writes");
        fails("/dev/loop0 0 1 1 2 drop_writes error_writes", "Feature error_writes conflicts with feature drop_writes");
        fails("/dev/loop0 0 1 1 4 corrupt_bio_byte 1 r 0", "Feature corrupt_bio_byte requires 4 parameters");
        fails("/dev/loop0 0 1 1 10 corrupt_bio_byte 1 r 0 0 corrupt_bio_byte 1 r 0 0",
                "Feature corrupt_bio_byte duplicated");
        fails("/dev/loop0 0 1 1 5 corrupt_bio_byte 0 r 0 0", "Invalid corrupt bio byte");
        fails("/dev/loop0 0 1 1 5 corrupt_bio_byte 1 x 0 0", "Invalid corrupt bio direction (r or w)");
        fails("/dev/loop0 0 1 1 5 corrupt_bio_byte 1 r 256 0", "Invalid corrupt value to write into bio byte (0-255)");
        fails("/dev/loop0 0 1 1 5 corrupt_bio_byte 1 r 1 x", "Invalid corrupt bio flags mask");
        fails("/dev/loop0 0 1 1 1 random_read_corrupt", "Feature random_read_corrupt requires a parameter");
        fails("/dev/loop0 0 1 1 1 random_write_corrupt", "Feature random_write_corrupt requires a parameter");
        fails("/dev/loop0 0 1 1 2 random_read_corrupt 1000000001", "Invalid random corrupt argument");
        fails("/dev/loop0 0 1 1 4 random_write_corrupt 1 random_write_corrupt 2",
                "Feature random_write_corrupt duplicated");
    }

    @Test
    void incompatibleFeatures() {
        fails("/dev/loop0 0 1 1 3 drop_writes random_write_corrupt 5",
                "drop_writes is incompatible with random_write_corrupt or corrupt_bio_byte with the WRITE flag set");
        fails("/dev/loop0 0 1 1 6 error_writes corrupt_bio_byte 1 w 0 0",
                "error_writes is incompatible with random_write_corrupt or corrupt_bio_byte with the WRITE flag set");
        fails("/dev/loop0 0 1 1 6 error_reads corrupt_bio_byte 1 r 0 0",
                "error_reads is incompatible with random_read_corrupt or corrupt_bio_byte with the READ flag set");
    }
}

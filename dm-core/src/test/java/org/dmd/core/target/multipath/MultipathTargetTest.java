package org.dmd.core.target.multipath;

import static org.dmd.core.target.TargetAssertions.args;
import static org.dmd.core.target.TargetAssertions.assertCtrFails;
import static org.dmd.core.target.TargetAssertions.assertMessageFails;
import static org.dmd.core.target.TargetAssertions.construct;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.dmd.core.target.DeviceArea;
import org.dmd.core.target.FakeDevice;
import org.dmd.core.target.FakeTargetContext;
import org.dmd.core.target.Target;
import org.dmd.core.target.TargetFeature;
import org.dmd.core.target.Version;
import org.junit.jupiter.api.Test;

class MultipathTargetTest {

    private static final String TWO_PATHS = "round-robin 0 2 1 /dev/loop0 1 /dev/loop1 1";

    private final FakeTargetContext context = new FakeTargetContext(1000)
            .withLoop(0, 4096).withLoop(1, 4096).withLoop(2, 4096)
            .withPathSelector(RepeatCountSelectorType.ROUND_ROBIN)
            .withPathSelector(RepeatCountSelectorType.QUEUE_LENGTH)
            .withPathSelector(ServiceTimeSelectorType.INSTANCE)
            .withPathSelector(HistoricalServiceTimeSelectorType.INSTANCE)
            .withPathSelector(new IoAffinitySelectorType(4));

    private Target multipath(String line) throws DmException {
        return construct(MultipathTarget.TYPE, context, line);
    }

    private void fails(String line, String error) {
        assertCtrFails(MultipathTarget.TYPE, context, line, Errno.EINVAL, error);
    }

    private static void message(Target target, String message) throws DmException {
        assertEquals(Optional.empty(), target.message(args(message)));
    }

    @Test
    void typeVersionAndFlags() {
        assertEquals(Version.of(1, 15, 0), MultipathTarget.TYPE.version());
        assertEquals(Set.of(TargetFeature.SINGLETON, TargetFeature.IMMUTABLE), MultipathTarget.TYPE.features());
    }

    @Test
    void freshMultipathAtRest() throws DmException {
        Target mpath = multipath("0 0 1 1 " + TWO_PATHS);
        assertEquals("0 0 1 1 round-robin 0 2 1 7:0 1 7:1 1 ", mpath.table());
        assertEquals("2 1 0 0 1 1 E 0 2 0 7:0 A 0 7:1 A 0 ", mpath.status());
        assertTrue(mpath.requestBased());
    }

    @Test
    void perPathArgumentsArePrintedAsTheSelectorKeepsThem() throws DmException {
        assertEquals("0 0 1 1 round-robin 0 2 1 7:0 1 7:1 1 ",
                multipath("0 0 1 1 round-robin 0 2 0 /dev/loop0 7:1").table());
        assertEquals("0 0 1 1 round-robin 0 1 1 7:0 1 ",
                multipath("0 0 1 1 round-robin 0 1 1 /dev/loop0 1000").table());
    }

    @Test
    void featuresPrintInTheKernelsOrder() throws DmException {
        assertEquals("1 queue_if_no_path 0 1 1 round-robin 0 1 1 7:0 1 ",
                multipath("1 queue_if_no_path 0 1 1 round-robin 0 1 1 /dev/loop0 1").table());
        assertEquals("5 queue_if_no_path pg_init_retries 3 pg_init_delay_msecs 100 0 0 0 ",
                multipath("5 pg_init_delay_msecs 100 pg_init_retries 3 QUEUE_IF_NO_PATH 0 0 0").table());
        assertEquals("1 retain_attached_hw_handler 0 0 0 ", multipath("1 retain_attached_hw_handler 0 0 0").table());
        Target bio = multipath("2 queue_mode bio 0 0 0");
        assertEquals("3 retain_attached_hw_handler queue_mode bio 0 0 0 ", bio.table());
        assertFalse(bio.requestBased());
        Target mq = multipath("2 queue_mode mq 0 0 0");
        assertEquals("0 0 0 0 ", mq.table());
        assertTrue(mq.requestBased());
    }

    @Test
    void hardwareHandlers() throws DmException {
        Target noPaths = multipath("0 2 emc 1 0 0");
        assertEquals("0 1 emc 0 0 ", noPaths.table());
        assertEquals("2 1 0 0 0 0 ", noPaths.status());
        assertCtrFails(MultipathTarget.TYPE, context, "0 1 alua 1 1 " + TWO_PATHS, Errno.ENODEV,
                "error attaching hardware handler");
        assertEquals("3 retain_attached_hw_handler queue_mode bio 0 1 1 round-robin 0 1 1 7:0 1 ",
                multipath("2 queue_mode bio 1 alua 1 1 round-robin 0 1 1 /dev/loop0 1").table());
    }

    @Test
    void groupsWithDifferentSelectors() throws DmException {
        Target mpath = multipath("0 0 2 2 queue-length 0 1 1 /dev/loop0 1 service-time 0 2 2 /dev/loop1 1 50 "
                + "/dev/loop2 1 1");
        assertEquals("0 0 2 2 queue-length 0 1 1 7:0 1 service-time 0 2 2 7:1 1 50 7:2 1 1 ", mpath.table());
        assertEquals("2 1 0 0 2 2 E 0 1 1 7:0 A 0 0 E 0 2 2 7:1 A 0 0 50 7:2 A 0 0 1 ", mpath.status());
    }

    @Test
    void historicalServiceTime() throws DmException {
        Target mpath = multipath("0 0 1 1 historical-service-time 0 1 0 /dev/loop0");
        assertEquals("0 0 1 1 historical-service-time 2 972 0 1 1 7:0 0 ", mpath.table());
        assertEquals("2 1 0 0 1 1 E 2 972 0 1 3 7:0 A 0 1024 0 0 ", mpath.status());
        assertEquals("0 0 1 1 historical-service-time 2 800 3 1 1 7:0 0 ",
                multipath("0 0 1 1 historical-service-time 2 800 3 1 1 /dev/loop0 5").table());
        fails("0 0 1 1 historical-service-time 1 1024 1 0 /dev/loop0", "path selector constructor failed");
        fails("0 0 1 1 historical-service-time 3 1 2 3 1 0 /dev/loop0", "path selector constructor failed");
        fails("0 0 1 1 historical-service-time 0 1 1 /dev/loop0 x",
                "historical-service-time ps: invalid repeat count");
        fails("0 0 1 1 historical-service-time 0 1 2 /dev/loop0 1 1",
                "historical-service-time ps: incorrect number of arguments");
    }

    @Test
    void ioAffinity() throws DmException {
        Target mpath = multipath("0 0 1 1 io-affinity 0 2 1 /dev/loop0 1 /dev/loop1 e");
        assertEquals("0 0 1 1 io-affinity 0 2 1 7:0 1 7:1 e ", mpath.table());
        assertEquals("2 1 0 0 1 1 E 0 2 1 7:0 A 0 0 7:1 A 0 0 ", mpath.status());
        // A CPU claimed by an earlier path stays with it; the later path keeps its mask as given.
        assertEquals("0 0 1 1 io-affinity 0 2 1 7:0 3 7:1 6 ",
                multipath("0 0 1 1 io-affinity 0 2 1 /dev/loop0 3 /dev/loop1 6").table());
        fails("0 0 1 1 io-affinity 0 2 1 /dev/loop0 3 /dev/loop1 1", "io-affinity ps: No new/valid CPU mapping found");
        fails("0 0 1 1 io-affinity 0 1 1 /dev/loop0 0", "io-affinity ps: No new/valid CPU mapping found");
        fails("0 0 1 1 io-affinity 0 1 1 /dev/loop0 10", "io-affinity ps: invalid cpumask");
        fails("0 0 1 1 io-affinity 0 1 1 /dev/loop0 g", "io-affinity ps: invalid cpumask");
        fails("0 0 1 1 io-affinity 0 1 0 /dev/loop0", "io-affinity ps: invalid number of arguments");
    }

    @Test
    void cpuMasksReadAndPrintLikeTheKernel() {
        IoAffinitySelectorType wide = new IoAffinitySelectorType(40);
        assertEquals("00,00000001", wide.formatMask(wide.parseMask("1").orElseThrow()));
        assertEquals("80,00000000", wide.formatMask(wide.parseMask("80,0").orElseThrow()));
        assertEquals("00,00000000", wide.formatMask(wide.parseMask(",").orElseThrow()));
        assertTrue(wide.parseMask("100,0").isEmpty(), "CPU 40 does not exist");
        assertTrue(wide.parseMask("000000001").isEmpty(), "more than 8 digits in a group");
        IoAffinitySelectorType four = new IoAffinitySelectorType(4);
        assertEquals("f", four.formatMask(four.parseMask("F").orElseThrow()));
        IoAffinitySelectorType sixtyFour = new IoAffinitySelectorType(64);
        assertEquals("00000000,00000010", sixtyFour.formatMask(sixtyFour.parseMask("10").orElseThrow()));
    }

    @Test
    void pathsAreReportedFromTheTargetsStartSector() throws DmException {
        Target mpath = construct(MultipathTarget.TYPE, new FakeTargetContext(100, 900).withLoop(0, 4096)
                .withPathSelector(RepeatCountSelectorType.ROUND_ROBIN), "0 0 1 1 round-robin 0 1 0 /dev/loop0");
        assertEquals(List.of(new DeviceArea(FakeDevice.of(7, 0, 4096), 100, 900)), mpath.areas());
    }

    @Test
    void initialGroupIsTheGroupToUseNext() throws DmException {
        String groups = " round-robin 0 1 0 /dev/loop0 round-robin 0 1 0 /dev/loop1";
        assertEquals("0 0 2 2 round-robin 0 1 1 7:0 1 round-robin 0 1 1 7:1 1 ", multipath("0 0 2 2" + groups).table());
        assertEquals("2 1 0 0 2 2 E 0 1 0 7:0 A 0 E 0 1 0 7:1 A 0 ", multipath("0 0 2 2" + groups).status());
        // A group number beyond the last is never reached while counting down: the first is shown.
        assertEquals("0 0 2 1 round-robin 0 1 1 7:0 1 round-robin 0 1 1 7:1 1 ", multipath("0 0 2 3" + groups).table());
        assertEquals("0 0 0 0 ", multipath("0 0 0 0").table());
    }

    @Test
    void featureAndHandlerErrors() {
        fails("", "invalid number of feature args");
        fails("9 a b c d e f g h i 0 0 0", "invalid number of feature args");
        fails("2 queue_if_no_path", "invalid number of feature args");
        fails("1 bogus 0 0 0", "Unrecognised multipath feature request");
        fails("1 pg_init_retries 0 0 0", "Unrecognised multipath feature request");
        fails("2 pg_init_retries 0 0 0 0", "pg_init_retries must be between 1 and 50");
        fails("2 pg_init_retries 51 0 0 0", "pg_init_retries must be between 1 and 50");
        fails("2 pg_init_delay_msecs 60001 0 0 0", "pg_init_delay_msecs must be between 0 and 60000");
        fails("2 queue_mode foo 0 0 0", "Unknown 'queue_mode' requested");
        fails("0 2 alua", "invalid number of hardware handler args");
    }

    @Test
    void groupErrors() {
        fails("0 0", "invalid number of priority groups");
        fails("0 0 1025 1", "invalid number of priority groups");
        fails("0 0 1 x", "invalid initial priority group number");
        fails("0 0 1 0 " + TWO_PATHS, "invalid initial priority group");
        fails("0 0 0 1", "invalid initial priority group");
        fails("0 0 1 1 round-robin", "not enough priority group arguments");
        fails("0 0 1 1 nope 0 1 0 /dev/loop0", "unknown path selector type");
        fails("0 0 1 1 round-robin 5 1 0", "invalid number of path selector args");
        fails("0 0 1 1 round-robin 0 0 0", "invalid number of paths");
        fails("0 0 1 1 round-robin 0 1", "invalid number of selector args");
        fails("0 0 1 1 round-robin 0 2 0 /dev/loop0", "not enough path parameters");
        fails("0 0 2 1 round-robin 0 1 0 /dev/loop0", "priority group count mismatch");
        fails("0 0 1 1 round-robin 0 1 0 /dev/loop0 round-robin 0 1 0 /dev/loop1", "priority group count mismatch");
    }

    @Test
    void pathErrors() {
        assertCtrFails(MultipathTarget.TYPE, context, "0 0 1 1 round-robin 0 1 0 /dev/loop9", Errno.ENOENT,
                "error getting device");
        fails("0 0 1 1 round-robin 0 1 2 /dev/loop0 1 1", "round-robin ps: incorrect number of arguments");
        fails("0 0 1 1 round-robin 0 1 1 /dev/loop0 x", "round-robin ps: invalid repeat count");
        fails("0 0 1 1 queue-length 0 1 1 /dev/loop0 -1", "queue-length ps: invalid repeat count");
        fails("0 0 1 1 service-time 0 1 3 /dev/loop0 1 1 1", "service-time ps: incorrect number of arguments");
        fails("0 0 1 1 service-time 0 1 2 /dev/loop0 1 101", "service-time ps: invalid relative_throughput value");
        fails("0 0 1 1 service-time 0 1 2 /dev/loop0 x 1", "service-time ps: invalid repeat count");
    }

    @Test
    void failAndReinstatePathRaiseEventsWhenTheyChangeSomething() throws DmException {
        Target mpath = multipath("0 0 1 1 " + TWO_PATHS);
        message(mpath, "fail_path /dev/loop0");
        assertEquals("2 1 0 0 1 1 E 0 2 0 7:0 F 1 7:1 A 0 ", mpath.status());
        assertEquals(1, context.eventCount());
        message(mpath, "FAIL_PATH 7:0");
        assertEquals(1, context.eventCount(), "failing a failed path changes nothing");
        message(mpath, "reinstate_path 7:0");
        assertEquals("2 1 0 0 1 1 E 0 2 0 7:0 A 1 7:1 A 0 ", mpath.status());
        assertEquals(2, context.eventCount());
        message(mpath, "reinstate_path 7:0");
        assertEquals(2, context.eventCount());
        assertEquals("0 0 1 1 round-robin 0 2 1 7:0 1 7:1 1 ", mpath.table());
    }

    @Test
    void pathMessageErrors() throws DmException {
        Target mpath = multipath("0 0 1 1 " + TWO_PATHS);
        assertMessageFails(mpath, "fail_path 7:2", Errno.EINVAL);
        assertMessageFails(mpath, "fail_path /dev/nothing", Errno.ENOENT);
        assertMessageFails(mpath, "reinstate_path 4096:0", Errno.EOVERFLOW);
        assertMessageFails(mpath, "fail_path", Errno.EINVAL);
        assertMessageFails(mpath, "fail_path 7:0 7:1", Errno.EINVAL);
        assertMessageFails(mpath, "frobnicate 7:0", Errno.EINVAL);
        assertEquals(0, context.eventCount());
    }

    @Test
    void queueIfNoPathMessages() throws DmException {
        Target mpath = multipath("0 0 1 1 " + TWO_PATHS);
        message(mpath, "queue_if_no_path");
        assertEquals("1 queue_if_no_path 0 1 1 round-robin 0 2 1 7:0 1 7:1 1 ", mpath.table());
        message(mpath, "Fail_If_No_Path");
        assertEquals("0 0 1 1 round-robin 0 2 1 7:0 1 7:1 1 ", mpath.table());
        assertEquals(0, context.eventCount());
    }

    @Test
    void groupMessages() throws DmException {
        Target mpath = multipath("0 0 2 1 round-robin 0 1 0 /dev/loop0 round-robin 0 1 0 /dev/loop1");
        message(mpath, "disable_group 1");
        assertEquals("2 1 0 0 2 1 D 0 1 0 7:0 A 0 E 0 1 0 7:1 A 0 ", mpath.status());
        message(mpath, "switch_group 2");
        assertEquals("2 1 0 0 2 2 E 0 1 0 7:0 A 0 E 0 1 0 7:1 A 0 ", mpath.status());
        message(mpath, "disable_group 2");
        message(mpath, "enable_group 2");
        assertEquals("2 1 0 0 2 2 E 0 1 0 7:0 A 0 E 0 1 0 7:1 A 0 ", mpath.status());
        assertEquals(4, context.eventCount());
        for (String bad : List.of("disable_group 0", "enable_group 3", "switch_group x", "switch_group 3")) {
            assertMessageFails(mpath, bad, Errno.EINVAL);
        }
        assertMessageFails(multipath("0 0 0 0"), "switch_group 1", Errno.EINVAL);
        assertEquals(4, context.eventCount());
    }

    @Test
    void suspendSavesQueueIfNoPathAndRefusesMessages() throws DmException {
        Target mpath = multipath("1 queue_if_no_path 0 1 1 " + TWO_PATHS);
        mpath.presuspend();
        mpath.postsuspend();
        assertEquals("0 0 1 1 round-robin 0 2 1 7:0 1 7:1 1 ", mpath.table());
        assertMessageFails(mpath, "fail_path 7:0", Errno.EBUSY);
        assertMessageFails(mpath, "queue_if_no_path", Errno.EBUSY);
        mpath.preresume();
        assertEquals("1 queue_if_no_path 0 1 1 round-robin 0 2 1 7:0 1 7:1 1 ", mpath.table());
        message(mpath, "fail_path 7:0");
        assertEquals(1, context.eventCount());
    }

    @Test
    void failIfNoPathForgetsTheSavedValue() throws DmException {
        Target mpath = multipath("1 queue_if_no_path 0 1 1 " + TWO_PATHS);
        mpath.presuspend();
        // The suspend is abandoned before it completes; the saved value is then dropped by the message.
        message(mpath, "fail_if_no_path");
        mpath.preresume();
        assertEquals("0 0 1 1 round-robin 0 2 1 7:0 1 7:1 1 ", mpath.table());
    }
}

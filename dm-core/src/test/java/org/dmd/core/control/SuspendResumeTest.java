package org.dmd.core.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.dmd.core.control.Replies.DeviceInfo;
import org.dmd.core.control.Replies.MessageOutput;
import org.dmd.core.control.Replies.TargetVersion;
import org.dmd.core.device.MappedDevice;
import org.dmd.core.device.OpenDevice;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.dmd.core.event.Uevent;
import org.dmd.core.event.UeventAction;
import org.dmd.core.testing.CoreInvariants;
import org.dmd.core.testing.EventRecorder;
import org.dmd.core.testing.GatedDeviceMapperTest;
import org.dmd.core.testing.Outcome;
import org.dmd.core.testing.TestLoops;
import org.dmd.core.testing.TestRequests;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The suspend/resume state machine (dm-ioctl.c: do_suspend, do_resume; dm.c: dm_suspend, dm_resume, dm_swap_table), device size and
 * read-only state from the live table, event numbers (dm.c: dm_get_event_nr, event_callback), the block uevents of a device's
 * life with their cookies, TARGET_MSG's cases (dm-ioctl.c: target_message), LIST_VERSIONS order and GET_TARGET_VERSION.
 */
class SuspendResumeTest extends GatedDeviceMapperTest {

    @TempDir
    Path backing;

    private EventRecorder recorder;
    private String loop0;

    @BeforeEach
    void setUp() {
        loop0 = new TestLoops(backing).attach(dm, 4096);
        recorder = recordEvents();
    }

    private Outcome<DeviceInfo> suspend(String name) {
        return Outcome.of(() -> dm.devSuspend(TestRequests.suspend(name)));
    }

    private Outcome<DeviceInfo> resume(String name) {
        return Outcome.of(() -> dm.devSuspend(TestRequests.resume(name)));
    }

    private DeviceInfo load(String name, String table) {
        return Outcome.of(() -> dm.tableLoad(TestRequests.load(name, table))).value();
    }

    private MappedDevice device(String name) {
        String dev = status(name).value().dev();
        return dm.minors().snapshot().stream().filter(d -> d.number().toString().equals(dev)).findFirst()
                .orElseThrow();
    }

    private List<Uevent> blockUevents() {
        recorder.sync();
        return recorder.blockUevents();
    }

    private List<UeventAction> actions() {
        return blockUevents().stream().map(Uevent::action).toList();
    }

    // ------------------------------------------------------------------ the state machine

    @Test
    void aNewDeviceIsNotSuspendedAndResumingItIsANoOp() {
        create("d");
        DeviceInfo info = status("d").value();
        assertFalse(info.flags().contains(DmFlag.SUSPEND), "created devices are not suspended");
        DeviceInfo resumed = resume("d").value();
        assertFalse(resumed.flags().contains(DmFlag.UEVENT_GENERATED));
        assertFalse(resumed.flags().contains(DmFlag.ACTIVE_PRESENT));
        assertEquals(List.of(), actions(), "a no-op resume emits nothing");
    }

    @Test
    void suspendThenResumeOfATablelessDeviceIsEinvalAndTheDeviceStaysSuspended() {
        create("d");
        assertTrue(suspend("d").value().flags().contains(DmFlag.SUSPEND));
        Outcome<DeviceInfo> resumed = resume("d");
        resumed.assertFailed(Errno.EINVAL, "no live table");
        assertTrue(status("d").value().flags().contains(DmFlag.SUSPEND));

        // A staged table gives the resume something to activate.
        load("d", "0 1024 zero");
        DeviceInfo active = resume("d").value();
        assertFalse(active.flags().contains(DmFlag.SUSPEND));
        assertTrue(active.flags().contains(DmFlag.ACTIVE_PRESENT));
    }

    @Test
    void suspendIsIdempotentAndResumeOfARunningDeviceWithNothingStagedIsANoOp() {
        create("d");
        load("d", "0 1024 zero");
        resume("d").value();
        List<UeventAction> before = actions();

        DeviceInfo running = resume("d").value();
        assertFalse(running.flags().contains(DmFlag.UEVENT_GENERATED));
        assertEquals(before, actions(), "no CHANGE for a no-op resume");

        assertTrue(suspend("d").value().flags().contains(DmFlag.SUSPEND));
        assertTrue(suspend("d").value().flags().contains(DmFlag.SUSPEND), "already suspended: success");
        DeviceInfo resumed = resume("d").value();
        assertFalse(resumed.flags().contains(DmFlag.SUSPEND));
        assertTrue(resumed.flags().contains(DmFlag.UEVENT_GENERATED), "a real resume emits CHANGE");
    }

    @Test
    void aStagedTableIsActivatedBySuspendingFirstAndTheDeviceEndsRunning() {
        create("d");
        load("d", "0 1024 zero");
        resume("d").value();
        load("d", "0 2048 zero");
        assertTrue(status("d").value().flags().contains(DmFlag.INACTIVE_PRESENT));
        DeviceInfo resumed = resume("d").value();
        assertFalse(resumed.flags().contains(DmFlag.SUSPEND));
        assertFalse(resumed.flags().contains(DmFlag.INACTIVE_PRESENT));
        assertEquals(2048, device("d").sectors());
    }

    @Test
    void theDeviceSizeIsTheLiveTablesLengthAndAResizeIsAnnounced() {
        create("d");
        assertEquals(0, device("d").sectors(), "no live table, size 0");
        load("d", "0 1000 zero\n1000 24 linear " + loop0 + " 0");
        assertEquals(0, device("d").sectors(), "a staged table does not size the device");
        resume("d").value();
        assertEquals(1024, device("d").sectors());
        assertNull(blockUevents().get(1).env().get("RESIZE"), "from 0 is not a resize");

        load("d", "0 4096 linear " + loop0 + " 0");
        resume("d").value();
        assertEquals(4096, device("d").sectors());
        List<Uevent> uevents = blockUevents();
        Uevent change = uevents.get(uevents.size() - 1);
        assertEquals(UeventAction.CHANGE, change.action());
        assertEquals("1", change.env().get("RESIZE"));
    }

    @Test
    void theReadOnlyFlagFollowsTheLiveTable() {
        create("d");
        Outcome.of(() -> dm.tableLoad(TestRequests.loadReadOnly("d", "0 1024 zero"))).value();
        assertFalse(status("d").value().flags().contains(DmFlag.READONLY), "the staged table is not live yet");
        assertTrue(resume("d").value().flags().contains(DmFlag.READONLY));
        assertTrue(device("d").readOnly());

        load("d", "0 1024 zero");
        assertTrue(status("d").value().flags().contains(DmFlag.READONLY), "still the read-only live table");
        assertFalse(resume("d").value().flags().contains(DmFlag.READONLY));
        assertFalse(device("d").readOnly());
    }

    // ------------------------------------------------------------------ events and uevents

    @Test
    void theEventNumberMovesOnlyOnLiveTableEvents() {
        create("d");
        Outcome.of(() -> dm.devRename(TestRequests.rename("d", "e"))).value();
        assertEquals(0, status("e").value().eventNr(), "a rename without a live table raises no event");
        load("e", "0 1024 zero");
        Outcome.of(() -> dm.devRename(TestRequests.rename("e", "d"))).value();
        assertEquals(0, status("d").value().eventNr(), "a staged table has no event callback");

        resume("d").value();
        assertEquals(0, status("d").value().eventNr(), "activating a table is not a table event");
        DeviceInfo renamed = Outcome.of(() -> dm.devRename(TestRequests.rename("d", "e"))).value();
        assertEquals(1, renamed.eventNr(), "a rename with a live table raises one");
        assertEquals(1, status("e").value().eventNr());
    }

    @Test
    void aDeviceEmitsAddAtItsFirstLoadThenChangeThenRemoveEachWithItsCookie() throws DmException {
        create("d");
        Outcome.of(() -> dm.devRename(TestRequests.rename("d", "d1"))).value();
        assertEquals(List.of(), actions(), "nothing before the first load: there is no disk yet");

        load("d1", "0 1024 zero");
        load("d1", "0 2048 zero");
        assertEquals(List.of(UeventAction.ADD), actions(), "ADD once, at the first load");

        long resumeCookie = dm.cookies().create();
        DeviceInfo resumed = Outcome.of(() -> dm.devSuspend(TestRequests.resume("d1", resumeCookie))).value();
        assertTrue(resumed.flags().contains(DmFlag.UEVENT_GENERATED));
        long renameCookie = dm.cookies().create();
        Outcome.of(() -> dm.devRename(TestRequests.rename("d1", "d2", renameCookie))).value();
        long removeCookie = dm.cookies().create();
        Replies.Removed removed = Outcome.of(() -> dm.devRemove(TestRequests.remove("d2", removeCookie))).value();
        assertTrue(removed.flags().contains(DmFlag.UEVENT_GENERATED));

        List<Uevent> uevents = blockUevents();
        assertEquals(List.of(UeventAction.ADD, UeventAction.CHANGE, UeventAction.CHANGE, UeventAction.REMOVE),
                uevents.stream().map(Uevent::action).toList());
        assertNull(uevents.get(0).env().get("DM_COOKIE"), "a load carries no cookie");
        assertEquals(Long.toString(resumeCookie), uevents.get(1).env().get("DM_COOKIE"));
        assertEquals(Long.toString(renameCookie), uevents.get(2).env().get("DM_COOKIE"));
        assertEquals("d2", uevents.get(2).env().get("DM_NAME"), "the CHANGE of a rename names the new name");
        assertEquals(Long.toString(removeCookie), uevents.get(3).env().get("DM_COOKIE"));
        uevents.forEach(u -> assertEquals("dm-0", u.env().get("DEVNAME")));
        CoreInvariants.assertQuiescent(dm);
    }

    @Test
    void aDeviceRemovedBeforeItsFirstLoadEmitsNoUeventAtAll() {
        create("d");
        Replies.Removed removed = Outcome.of(() -> dm.devRemove(TestRequests.remove("d"))).value();
        assertFalse(removed.flags().contains(DmFlag.UEVENT_GENERATED));
        assertEquals(List.of(), actions());
    }

    // ------------------------------------------------------------------ TARGET_MSG

    private Outcome<MessageOutput> message(String name, long sector, String text) {
        return Outcome.of(() -> dm.targetMsg(TestRequests.message(name, sector, text)));
    }

    @Test
    void aMessageToADeviceWithoutALiveTableIsIgnoredWithoutOutput() {
        create("d");
        MessageOutput out = message("d", 0, "fail_path 7:0").value();
        assertNull(out.output());
        assertFalse(out.device().flags().contains(DmFlag.DATA_OUT));
        load("d", "0 1024 zero");
        assertNull(message("d", 0, "anything").value().output(), "a staged table receives no messages");
    }

    @Test
    void aMessageForASectorOutsideTheDeviceOrToATargetWithoutAHandlerIsEinval() {
        create("d");
        load("d", "0 1024 linear " + loop0 + " 0");
        resume("d").value();
        Outcome<MessageOutput> outside = message("d", 1024, "hello");
        outside.assertFailed(Errno.EINVAL, "sector outside device");
        assertEquals(Errno.EINVAL, message("d", 0, "hello").errno(), "linear has no message handler");
        assertEquals(Errno.EINVAL, message("d", 0, "  ").errno(), "an empty message");
        assertEquals(Errno.ENXIO, message("nobody", 0, "hello").errno());
    }

    @Test
    void coreMessagesStartWithAnAt() {
        create("d");
        assertTrue(message("d", 0, "@cancel_deferred_remove").ok(), "nothing to cancel: success");
        assertEquals(Errno.EINVAL, message("d", 0, "@cancel_deferred_remove now").errno());
        Outcome<MessageOutput> unknown = message("d", 0, "@stats_list");
        unknown.assertFailed(Errno.EINVAL, "Unsupported message sent to DM core");

        // A real cancellation: the device is open and marked for deferred removal.
        load("d", "0 1024 zero");
        resume("d").value();
        try (OpenDevice opened = open("d")) {
            assertTrue(Outcome.of(() -> dm.devRemove(TestRequests.removeDeferred("d"))).ok());
            assertTrue(status("d").value().flags().contains(DmFlag.DEFERRED_REMOVE));
            assertTrue(message("d", 0, "@cancel_deferred_remove").ok());
            assertFalse(status("d").value().flags().contains(DmFlag.DEFERRED_REMOVE));
        }
        assertEquals(List.of("d"), names(), "the last close does not remove a cancelled device");
    }

    // ------------------------------------------------------------------ target versions

    private List<String> versionNames() {
        return dm.listVersions().targets().stream().map(TargetVersion::name).toList();
    }

    @Test
    void listVersionsShowsTheMostRecentlyRegisteredTypeFirst() {
        assertEquals(List.of("striped", "linear", "error"), versionNames(), "dm-mod's built-ins");
        Outcome.of(() -> dm.modprobe(TestRequests.modprobe("dm-zero"))).value();
        create("d");
        load("d", "0 1024 mirror core 1 512 2 " + loop0 + " 0 " + loop0 + " 1024");
        assertEquals(List.of("mirror", "zero", "striped", "linear", "error"), versionNames());
    }

    @Test
    void getTargetVersionAutoloadsTheTypesModuleAndAnUnknownTypeIsEinval() {
        assertEquals(-1, CoreInvariants.refcount(dm, "dm_zero"));
        Replies.TargetVersions zero = Outcome.of(() -> dm.getTargetVersion(TestRequests.targetVersion("zero"))).value();
        assertEquals(List.of(new TargetVersion("zero", "1.2.0")), zero.targets());
        assertEquals(0, CoreInvariants.refcount(dm, "dm_zero"), "loaded, and the query's reference dropped");

        assertEquals(List.of(new TargetVersion("linear", "1.5.0")),
                Outcome.of(() -> dm.getTargetVersion(TestRequests.targetVersion("linear"))).value().targets());
        Outcome<Replies.TargetVersions> unknown = Outcome.of(() -> dm.getTargetVersion(
                TestRequests.targetVersion("nosuchtype")));
        assertEquals(Errno.EINVAL, unknown.errno());
        CoreInvariants.assertModulesIdle(dm);
    }
}

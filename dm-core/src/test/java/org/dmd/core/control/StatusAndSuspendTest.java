package org.dmd.core.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.dmd.core.control.Replies.DeviceInfo;
import org.dmd.core.control.Replies.NameEntry;
import org.dmd.core.device.OpenDevice;
import org.dmd.core.errno.Errno;
import org.dmd.core.testing.Outcome;
import org.dmd.core.testing.TestRequests;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * STATUS-FILL ({@code dm-ioctl.c: __dev_status}) and the flag hygiene of the DM_*_FLAG bits on
 * table-less devices, DEV_SUSPEND's rows ({@code dev_suspend}), the table commands without a table
 * ({@code table_clear}, {@code table_deps}, {@code table_status}) and LIST_DEVICES ({@code list_devices}).
 */
class StatusAndSuspendTest {

    private final DeviceMapper dm = DeviceMapper.builder().build();

    @AfterEach
    void close() {
        dm.close();
    }

    private DeviceInfo status(Set<DmFlag> flags) {
        return Outcome.of(() -> dm.devStatus(new Requests.DevStatus("a", null, null, flags))).value();
    }

    private Outcome<DeviceInfo> suspend(boolean suspend) {
        return Outcome.of(() -> dm.devSuspend(suspend ? TestRequests.suspend("a") : TestRequests.resume("a")));
    }

    @Test
    void outputOnlyFlagsAreClearedStatusFlagsRecomputedAndTheRestEchoed() {
        Outcome.of(() -> dm.devCreate(TestRequests.create("a", "U"))).value();
        Set<DmFlag> echoed = EnumSet.of(DmFlag.EXISTS, DmFlag.PERSISTENT_DEV, DmFlag.STATUS_TABLE, DmFlag.SKIP_BDGET,
                DmFlag.SKIP_LOCKFS, DmFlag.NOFLUSH, DmFlag.UUID, DmFlag.IMA_MEASUREMENT);
        Set<DmFlag> sent = EnumSet.copyOf(echoed);
        sent.addAll(EnumSet.of(DmFlag.BUFFER_FULL, DmFlag.UEVENT_GENERATED, DmFlag.SECURE_DATA, DmFlag.DATA_OUT,
                DmFlag.SUSPEND, DmFlag.READONLY, DmFlag.ACTIVE_PRESENT, DmFlag.INTERNAL_SUSPEND,
                DmFlag.INACTIVE_PRESENT));
        assertEquals(new DeviceInfo("a", "U", "253:0", echoed, 0, 0, 0), status(sent));
    }

    @Test
    void statusReportsOpensSuspensionAndDeferredRemoval() {
        Outcome.of(() -> dm.devCreate(TestRequests.create("a"))).value();
        OpenDevice opened = Outcome.of(() -> dm.blockOpen(TestRequests.open("a"))).value();
        assertEquals(1, status(Set.of()).openCount());
        assertTrue(Outcome.of(() -> dm.devRemove(TestRequests.removeDeferred("a"))).ok());
        assertEquals(EnumSet.of(DmFlag.DEFERRED_REMOVE), status(Set.of()).flags());
        assertTrue(suspend(true).value().flags().contains(DmFlag.SUSPEND));
        assertEquals(EnumSet.of(DmFlag.DEFERRED_REMOVE, DmFlag.SUSPEND), status(Set.of()).flags());
        assertTrue(status(Set.of(DmFlag.QUERY_INACTIVE_TABLE)).flags().contains(DmFlag.QUERY_INACTIVE_TABLE));
        opened.close();
    }

    @Test
    void aRequestedDeferredRemoveFlagIsEchoedNeverCleared() {
        Outcome.of(() -> dm.devCreate(TestRequests.create("a"))).value();
        assertTrue(status(EnumSet.of(DmFlag.DEFERRED_REMOVE)).flags().contains(DmFlag.DEFERRED_REMOVE));
    }

    @Test
    void suspendIsIdempotentAndATableLessDeviceCannotResume() {
        Outcome.of(() -> dm.devCreate(TestRequests.create("a"))).value();
        DeviceInfo resumedNoop = suspend(false).value();
        assertFalse(resumedNoop.flags().contains(DmFlag.UEVENT_GENERATED), "resume of a running device is a no-op");
        assertTrue(suspend(true).value().flags().contains(DmFlag.SUSPEND));
        assertTrue(suspend(true).value().flags().contains(DmFlag.SUSPEND), "already suspended is success");
        Outcome<DeviceInfo> resume = suspend(false);
        assertEquals(Errno.EINVAL, resume.errno(), "nothing to resume with");
        assertTrue(status(Set.of()).flags().contains(DmFlag.SUSPEND), "the device stays suspended");
        assertEquals(Errno.ENXIO, Outcome.of(() -> dm.devSuspend(TestRequests.suspend("missing"))).errno());
    }

    @Test
    void tableCommandsOnATableLessDeviceReportNoTable() {
        Outcome.of(() -> dm.devCreate(TestRequests.create("a"))).value();
        Set<DmFlag> inactive = EnumSet.of(DmFlag.INACTIVE_PRESENT);
        assertFalse(Outcome.of(() -> dm.tableClear(new Requests.TableClear("a", null, null, inactive))).value()
                .flags().contains(DmFlag.INACTIVE_PRESENT));
        Replies.Deps deps = Outcome.of(() -> dm.tableDeps(new Requests.TableDeps("a", null, null, Set.of()))).value();
        assertEquals(List.of(), deps.devices());
        for (Set<DmFlag> flags : List.of(Set.<DmFlag>of(), EnumSet.of(DmFlag.STATUS_TABLE),
                EnumSet.of(DmFlag.QUERY_INACTIVE_TABLE))) {
            Replies.TableLines lines = Outcome.of(() -> dm.tableStatus(new Requests.TableStatus("a", null, null, flags)))
                    .value();
            assertEquals(List.of(), lines.targets());
            assertEquals(0, lines.device().targetCount());
        }
    }

    @Test
    void listDevicesIsInByteOrderWithPrefixFiltersAndOptionalUuids() {
        for (String name : List.of("b", "a2", "a1", "B", "ä")) {
            Outcome.of(() -> dm.devCreate(TestRequests.create(name, name.equals("a1") ? "LVM-x" : null))).value();
        }
        List<NameEntry> all = dm.listDevices(TestRequests.list()).devices();
        assertEquals(List.of("B", "a1", "a2", "b", "ä"), all.stream().map(NameEntry::name).toList());
        assertNull(all.get(1).uuid(), "uuids only with the UUID flag");
        assertEquals(List.of("a1", "a2"), dm.listDevices(new Requests.ListDevices("a", null, Set.of())).devices()
                .stream().map(NameEntry::name).toList());
        List<NameEntry> lvm = dm.listDevices(new Requests.ListDevices(null, "LVM-", EnumSet.of(DmFlag.UUID))).devices();
        assertEquals(List.of(new NameEntry("a1", "253:2", 0, "LVM-x")), lvm);
    }
}

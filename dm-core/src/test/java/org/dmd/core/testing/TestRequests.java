package org.dmd.core.testing;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.dmd.core.control.DmFlag;
import org.dmd.core.control.Requests;
import org.dmd.core.control.Requests.TargetSpec;
import org.dmd.core.errno.DmException;
import org.dmd.core.table.TableText;

/** Short spellings of the requests tests send most, addressing devices the way dmsetup does. */
public final class TestRequests {

    private static final Set<DmFlag> NONE = Set.of();

    private TestRequests() {
    }

    public static Requests.DevCreate create(String name) {
        return new Requests.DevCreate(name, null, null, NONE, 0);
    }

    public static Requests.DevCreate create(String name, String uuid) {
        return new Requests.DevCreate(name, uuid, null, NONE, 0);
    }

    /** A create requesting a minor ({@code dmsetup create -j MAJOR -m MINOR}). */
    public static Requests.DevCreate createAt(String name, String dev) {
        return new Requests.DevCreate(name, null, dev, EnumSet.of(DmFlag.PERSISTENT_DEV), 0);
    }

    public static Requests.DevRemove remove(String name) {
        return new Requests.DevRemove(name, null, null, NONE, 0);
    }

    public static Requests.DevRemove removeDeferred(String name) {
        return new Requests.DevRemove(name, null, null, EnumSet.of(DmFlag.DEFERRED_REMOVE), 0);
    }

    public static Requests.RemoveAll removeAll() {
        return new Requests.RemoveAll(NONE);
    }

    public static Requests.DevRename rename(String name, String newName) {
        return new Requests.DevRename(name, newName, null, NONE, 0);
    }

    public static Requests.DevRename setUuid(String name, String uuid) {
        return new Requests.DevRename(name, null, uuid, EnumSet.of(DmFlag.UUID), 0);
    }

    public static Requests.DevStatus status(String name) {
        return new Requests.DevStatus(name, null, null, NONE);
    }

    public static Requests.DevStatus statusByUuid(String uuid) {
        return new Requests.DevStatus(null, uuid, null, NONE);
    }

    public static Requests.DevStatus statusByDev(String dev) {
        return new Requests.DevStatus(null, null, dev, NONE);
    }

    public static Requests.BlockOpen open(String name) {
        return new Requests.BlockOpen(name, null, null);
    }

    public static Requests.BlockOpen openByDev(String dev) {
        return new Requests.BlockOpen(null, null, dev);
    }

    public static Requests.TargetMsg message(String name, String message) {
        return new Requests.TargetMsg(name, null, null, NONE, 0, message);
    }

    public static Requests.DevWait waitEvent(String name, long eventNr) {
        return new Requests.DevWait(name, null, null, NONE, eventNr);
    }

    public static Requests.TableClear clear(String name) {
        return new Requests.TableClear(name, null, null, NONE);
    }

    public static Requests.DevSuspend suspend(String name) {
        return new Requests.DevSuspend(name, null, null, EnumSet.of(DmFlag.SUSPEND), 0);
    }

    public static Requests.DevSuspend resume(String name) {
        return new Requests.DevSuspend(name, null, null, NONE, 0);
    }

    public static Requests.ListDevices list() {
        return new Requests.ListDevices(null, null, NONE);
    }

    /** A resume carrying a udev cookie (libdm puts it in event_nr). */
    public static Requests.DevSuspend resume(String name, long cookie) {
        return new Requests.DevSuspend(name, null, null, NONE, cookie);
    }

    public static Requests.DevRemove remove(String name, long cookie) {
        return new Requests.DevRemove(name, null, null, NONE, cookie);
    }

    public static Requests.DevRename rename(String name, String newName, long cookie) {
        return new Requests.DevRename(name, newName, null, NONE, cookie);
    }

    // ------------------------------------------------------------------ tables

    /** The targets of a table in dmsetup's text form; the test's own tables are well formed. */
    public static List<TargetSpec> table(String text) {
        try {
            return TableText.parse(text);
        } catch (DmException e) {
            throw new IllegalArgumentException("bad test table: " + text, e);
        }
    }

    /** {@code dmsetup load NAME} with a table in text form. */
    public static Requests.TableLoad load(String name, String table) {
        return load(name, table(table));
    }

    public static Requests.TableLoad load(String name, List<TargetSpec> targets) {
        return new Requests.TableLoad(name, null, null, NONE, targets);
    }

    /** {@code dmsetup load --readonly NAME}. */
    public static Requests.TableLoad loadReadOnly(String name, String table) {
        return new Requests.TableLoad(name, null, null, EnumSet.of(DmFlag.READONLY), table(table));
    }

    public static Requests.TableDeps deps(String name) {
        return new Requests.TableDeps(name, null, null, NONE);
    }

    /** {@code dmsetup deps --inactive NAME}. */
    public static Requests.TableDeps depsInactive(String name) {
        return new Requests.TableDeps(name, null, null, EnumSet.of(DmFlag.QUERY_INACTIVE_TABLE));
    }

    /** {@code dmsetup status NAME}. */
    public static Requests.TableStatus tableStatus(String name) {
        return new Requests.TableStatus(name, null, null, NONE);
    }

    /** {@code dmsetup status --inactive NAME}. */
    public static Requests.TableStatus tableStatusInactive(String name) {
        return new Requests.TableStatus(name, null, null, EnumSet.of(DmFlag.QUERY_INACTIVE_TABLE));
    }

    /** {@code dmsetup table NAME}. */
    public static Requests.TableStatus tableText(String name) {
        return new Requests.TableStatus(name, null, null, EnumSet.of(DmFlag.STATUS_TABLE));
    }

    /** {@code dmsetup table --inactive NAME}. */
    public static Requests.TableStatus tableTextInactive(String name) {
        return new Requests.TableStatus(name, null, null, EnumSet.of(DmFlag.STATUS_TABLE, DmFlag.QUERY_INACTIVE_TABLE));
    }

    /** {@code dmsetup info --inactive NAME}: the staged table's target count and read-only flag. */
    public static Requests.DevStatus statusInactive(String name) {
        return new Requests.DevStatus(name, null, null, EnumSet.of(DmFlag.QUERY_INACTIVE_TABLE));
    }

    public static Requests.TargetMsg message(String name, long sector, String message) {
        return new Requests.TargetMsg(name, null, null, NONE, sector, message);
    }

    // ------------------------------------------------------------------ modules and loops

    public static Requests.Modprobe modprobe(String module) {
        return new Requests.Modprobe(module, false, false);
    }

    /** {@code modprobe -r MODULE}. */
    public static Requests.Modprobe modprobeRemove(String module) {
        return new Requests.Modprobe(module, true, false);
    }

    public static Requests.GetTargetVersion targetVersion(String type) {
        return new Requests.GetTargetVersion(type);
    }

    public static Requests.LoopDetach loopDetach(String device) {
        return new Requests.LoopDetach(device);
    }
}

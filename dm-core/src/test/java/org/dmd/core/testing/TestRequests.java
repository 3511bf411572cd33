package org.dmd.core.testing;

import java.util.EnumSet;
import java.util.Set;
import org.dmd.core.control.DmFlag;
import org.dmd.core.control.Requests;

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
}

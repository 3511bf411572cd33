package org.dmd.core.target.snapshot;

import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.dmd.core.minor.DeviceNumber;

/**
 * The snapshots of each origin device ({@code dm-snap.c: _origins}, {@code register_snapshot}):
 * keyed by the origin's device number, so a snapshot-origin target finds every snapshot of the
 * device it maps. Lock-free: a concurrent map of copy-on-write lists (an origin write iterates a
 * stable list while snapshots come and go).
 */
final class Origins {

    private static final ConcurrentHashMap<DeviceNumber, CopyOnWriteArrayList<SnapshotTarget>> SNAPSHOTS =
            new ConcurrentHashMap<>();

    private Origins() {
    }

    static void register(DeviceNumber origin, SnapshotTarget snapshot) {
        SNAPSHOTS.computeIfAbsent(origin, key -> new CopyOnWriteArrayList<>()).add(snapshot);
    }

    static void unregister(DeviceNumber origin, SnapshotTarget snapshot) {
        SNAPSHOTS.computeIfPresent(origin, (key, list) -> {
            list.remove(snapshot);
            return list.isEmpty() ? null : list;
        });
    }

    static List<SnapshotTarget> snapshots(DeviceNumber origin) {
        List<SnapshotTarget> list = SNAPSHOTS.get(origin);
        return list == null ? List.of() : list;
    }
}

package org.dmd.core.device;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.dmd.core.concurrent.LockRank;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.dmd.core.minor.DeviceNumber;
import org.dmd.core.minor.MinorTable;
import org.dmd.core.table.Table;

/**
 * The name and uuid index of mapped devices: the hash cells of {@code dm-ioctl.c} ({@code
 * dm_hash_insert}, {@code __find_device_hash_cell}), with each device's staged table.
 *
 * <p>Invariants: names and uuids are unique; every hashed device has a cell, and the cell holds
 * one holder reference on it; at every instant a device is findable under exactly one name.
 * Every lookup takes its holder reference while holding the lock, so a lookup never races with
 * the device's last put (the cell's reference is only dropped under the write lock).
 *
 * <p>Concurrency: one read/write lock (rank {@link LockRank#INDEX}) guards the maps and every
 * cell's fields; lookups and listings take it shared, changes exclusive. Under it only the
 * MinorTable guard (and the lock-free event queue) may be taken; no wait, callback or table
 * destruction happens under it.
 */
public final class DeviceIndex {

    /** What a removal took out of the index, for the caller to finish outside the lock. */
    public record Unhashed(DeviceRef ref, Table inactive) {
    }

    /** How remove-all treats open devices. */
    public record RemoveAllMode(boolean keepOpen, boolean markDeferred, boolean onlyDeferred) {
    }

    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final MinorTable<MappedDevice> minors;
    private final int major;
    /** Guarded by lock. */
    private final TreeMap<String, HashCell> byName = new TreeMap<>(DeviceNames.BYTE_ORDER);
    /** Guarded by lock. */
    private final Map<String, HashCell> byUuid = new HashMap<>();

    public DeviceIndex(MinorTable<MappedDevice> minors, int major) {
        this.minors = minors;
        this.major = major;
    }

    // ------------------------------------------------------------------ locking

    private void readLock() {
        lock.readLock().lock();
        assert LockRank.INDEX.acquired();
    }

    private void readUnlock() {
        assert LockRank.INDEX.released();
        lock.readLock().unlock();
    }

    private void writeLock() {
        lock.writeLock().lock();
        assert LockRank.INDEX.acquired();
    }

    private void writeUnlock() {
        assert LockRank.INDEX.released();
        lock.writeLock().unlock();
    }

    // ------------------------------------------------------------------ insert and lookup

    /**
     * Hashes a published device under its name and uuid ({@code dm_hash_insert}); the cell takes a
     * holder reference. EBUSY if the name or uuid is taken.
     */
    public void insert(MappedDevice device, String name, String uuid) throws DmException {
        boolean nameTaken;
        boolean uuidTaken = false;
        writeLock();
        try {
            nameTaken = byName.containsKey(name);
            if (!nameTaken) {
                uuidTaken = uuid != null && byUuid.containsKey(uuid);
                if (!uuidTaken) {
                    HashCell cell = new HashCell(device, name, uuid);
                    byName.put(name, cell);
                    if (uuid != null) {
                        byUuid.put(uuid, cell);
                    }
                    minors.get(device);
                    device.cell = cell;
                }
            }
        } finally {
            writeUnlock();
        }
        if (nameTaken) {
            throw new DmException(Errno.EBUSY, "a device named '%s' already exists", name);
        }
        if (uuidTaken) {
            throw new DmException(Errno.EBUSY, "a device with uuid '%s' already exists", uuid);
        }
    }

    /**
     * Finds a device the way the kernel's ioctl lookup does (dm-ioctl.c: __find_device_hash_cell): by uuid if one is
     * given, else by name, else by device number; a second key besides the chosen one matches
     * nothing. ENXIO if no device matches. The caller closes the returned reference.
     */
    public DeviceRef find(String name, String uuid, String dev) throws DmException {
        Key key = Key.of(name, uuid, dev);
        DeviceRef ref;
        readLock();
        try {
            ref = referenceLocked(key);
        } finally {
            readUnlock();
        }
        if (ref == null) {
            throw key.notFound();
        }
        return ref;
    }

    /** A parsed lookup key: exactly one of uuid, name, number is used; a second one matches nothing. */
    private record Key(String name, String uuid, DeviceNumber number, boolean ambiguous) {

        static Key of(String name, String uuid, String dev) throws DmException {
            DeviceNumber number = isEmpty(dev) ? null : DeviceNumber.parse(dev);
            boolean named = !isEmpty(uuid) || !isEmpty(name);
            return new Key(name, uuid, number, named && number != null);
        }

        DmException notFound() {
            if (ambiguous) {
                return new DmException(Errno.ENXIO, "no such device: a device is looked up by one of uuid, name "
                        + "or dev, and %s and dev %s were both given", isEmpty(uuid) ? "name" : "uuid", number);
            }
            if (!isEmpty(uuid)) {
                return new DmException(Errno.ENXIO, "no device with uuid '%s'", uuid);
            }
            if (!isEmpty(name)) {
                return new DmException(Errno.ENXIO, "no device named '%s'", name);
            }
            return number == null ? new DmException(Errno.ENXIO, "no device given: name, uuid or dev is required")
                    : new DmException(Errno.ENXIO, "no device %s", number);
        }
    }

    /** Finds the key's cell and takes a reference (index lock held); null if nothing matches. */
    private DeviceRef referenceLocked(Key key) {
        if (key.ambiguous()) {
            return null;
        }
        HashCell cell;
        if (!isEmpty(key.uuid())) {
            cell = byUuid.get(key.uuid());
        } else if (!isEmpty(key.name())) {
            cell = byName.get(key.name());
        } else {
            cell = key.number() == null ? null : cellOf(key.number());
        }
        return cell == null ? null : referenceLocked(cell);
    }

    /**
     * The cell of a device number (index lock held). Only a hashed device has a cell, and its
     * cell holds a reference, so reading the slot without taking one is safe here: the caller
     * takes its own through the cell.
     */
    private HashCell cellOf(DeviceNumber number) {
        if (number.major() != major) {
            return null;
        }
        MappedDevice device = minors.peek(number.minor());
        return device == null ? null : device.cell;
    }

    private DeviceRef referenceLocked(HashCell cell) {
        minors.get(cell.device);
        return new DeviceRef(minors, cell.device, cell.name, cell.uuid, cell.inactive);
    }

    /** The current name of a hashed device, or null once it is unhashed. */
    public String nameOf(MappedDevice device) {
        readLock();
        try {
            HashCell cell = device.cell;
            return cell == null ? null : cell.name;
        } finally {
            readUnlock();
        }
    }

    // ------------------------------------------------------------------ rename

    /**
     * Renames the device called {@code name} to {@code newName}, or sets its uuid to
     * {@code newUuid} ({@code dm_hash_rename}), in the kernel's order of checks: new value in use
     * → EBUSY; no device {@code name} → ENXIO; uuid already set → EINVAL. The switch is atomic:
     * the device is findable under exactly one name at every instant.
     */
    public DeviceRef rename(String name, String newName, String newUuid) throws DmException {
        boolean changeUuid = newUuid != null;
        String wanted = changeUuid ? newUuid : newName;
        Errno failure = null;
        String existingUuid = null;
        DeviceRef ref = null;
        writeLock();
        try {
            if ((changeUuid ? byUuid : byName).containsKey(wanted)) {
                failure = Errno.EBUSY;
            } else {
                HashCell cell = byName.get(name);
                if (cell == null) {
                    failure = Errno.ENXIO;
                } else if (changeUuid && cell.uuid != null) {
                    failure = Errno.EINVAL;
                    existingUuid = cell.uuid;
                } else {
                    if (changeUuid) {
                        cell.uuid = newUuid;
                        byUuid.put(newUuid, cell);
                    } else {
                        byName.remove(name);
                        cell.name = newName;
                        byName.put(newName, cell);
                    }
                    ref = referenceLocked(cell);
                }
            }
        } finally {
            writeUnlock();
        }
        if (failure == Errno.EBUSY) {
            throw new DmException(Errno.EBUSY, "unable to change %s on device %s to one that already exists: %s",
                    changeUuid ? "uuid" : "name", name, wanted);
        }
        if (failure == Errno.ENXIO) {
            throw new DmException(Errno.ENXIO, "unable to rename non-existent device %s to %s", name, wanted);
        }
        if (failure == Errno.EINVAL) {
            throw new DmException(Errno.EINVAL, "unable to change uuid of device %s to %s: it already has uuid %s",
                    name, newUuid, existingUuid);
        }
        return ref;
    }

    // ------------------------------------------------------------------ removal

    /**
     * Looks a device up, commits it to deletion and unhashes it, all under the write lock
     * ({@code dev_remove} steps 1–3). If the device is open: EBUSY, or with {@code deferred} the
     * device is marked and null is returned (the removal happens on last close).
     */
    public Unhashed unhash(String name, String uuid, String dev, boolean deferred) throws DmException {
        Key key = Key.of(name, uuid, dev);
        writeLock();
        try {
            DeviceRef ref = referenceLocked(key);
            if (ref == null) {
                throw key.notFound();
            }
            try {
                minors.lockForDeletion(ref.device(), deferred, false);
            } catch (DmException busy) {
                ref.close();
                if (deferred) {
                    return null;
                }
                throw busy;
            }
            return unhashLocked(ref.device().cell, ref);
        } finally {
            writeUnlock();
        }
    }

    /**
     * One step of remove-all ({@code dm_hash_remove_all}): walks the devices in name order, skips
     * those that cannot be locked for deletion (counting them), and unhashes the first that can.
     * Null when a full walk found nothing to remove.
     */
    public Unhashed unhashFirstRemovable(RemoveAllMode mode, int[] skipped) {
        skipped[0] = 0;
        writeLock();
        try {
            for (HashCell cell : byName.values()) {
                MappedDevice device = cell.device;
                if (mode.keepOpen()) {
                    try {
                        minors.lockForDeletion(device, mode.markDeferred(), mode.onlyDeferred());
                    } catch (DmException busyOrUnmarked) {
                        skipped[0]++;
                        continue;
                    }
                }
                return unhashLocked(cell, referenceLocked(cell));
            }
            return null;
        } finally {
            writeUnlock();
        }
    }

    /**
     * The deferred removal of one device at its last close: unhashes it if it is still hashed,
     * still marked for deferred removal and not open again; null otherwise.
     */
    public Unhashed unhashDeferred(MappedDevice device) {
        writeLock();
        try {
            HashCell cell = device.cell;
            if (cell == null) {
                return null;
            }
            try {
                minors.lockForDeletion(device, false, true);
            } catch (DmException openOrNotMarked) {
                return null;
            }
            return unhashLocked(cell, referenceLocked(cell));
        } finally {
            writeUnlock();
        }
    }

    /** {@code __hash_remove}: unlink both keys, detach the staged table, drop the cell's reference. */
    private Unhashed unhashLocked(HashCell cell, DeviceRef ref) {
        byName.remove(cell.name);
        if (cell.uuid != null) {
            byUuid.remove(cell.uuid);
        }
        Table inactive = cell.inactive;
        cell.inactive = null;
        cell.device.cell = null;
        // The lookup reference in ref keeps the device alive: this put is never the last.
        minors.put(cell.device);
        return new Unhashed(ref, inactive);
    }

    // ------------------------------------------------------------------ the inactive slot

    /**
     * Stages a table in the device's inactive slot, returning the table it displaced (last writer
     * wins). ENXIO if the device was unhashed meanwhile; the caller then destroys {@code table}.
     */
    public Table stage(MappedDevice device, Table table) throws DmException {
        writeLock();
        try {
            HashCell cell = device.cell;
            if (cell == null) {
                throw new DmException(Errno.ENXIO, "device %s was removed while its table was loading", device);
            }
            Table displaced = cell.inactive;
            cell.inactive = table;
            return displaced;
        } finally {
            writeUnlock();
        }
    }

    /** Takes the staged table out of its slot (resume, clear); null if none. ENXIO if unhashed. */
    public Table takeInactive(MappedDevice device) throws DmException {
        writeLock();
        try {
            HashCell cell = device.cell;
            if (cell == null) {
                throw new DmException(Errno.ENXIO, "device %s was removed meanwhile", device);
            }
            Table table = cell.inactive;
            cell.inactive = null;
            return table;
        } finally {
            writeUnlock();
        }
    }

    /**
     * The staged table with a reader admitted, so it cannot be destroyed while the caller reads
     * it (the caller calls {@link Table#exitReader()}); null if none.
     */
    public Table enterInactive(MappedDevice device) {
        readLock();
        try {
            HashCell cell = device.cell;
            Table table = cell == null ? null : cell.inactive;
            return table != null && table.enterReader() ? table : null;
        } finally {
            readUnlock();
        }
    }

    // ------------------------------------------------------------------ listing

    /** One listed device. */
    public record Listed(String name, DeviceNumber number, long eventNr, String uuid) {
    }

    /** Devices in byte order of names, optionally filtered by name and uuid prefixes. */
    public List<Listed> list(String namePrefix, String uuidPrefix) {
        readLock();
        try {
            Iterable<HashCell> cells = isEmpty(namePrefix) ? byName.values()
                    : byName.tailMap(namePrefix, true).values();
            List<Listed> out = new ArrayList<>();
            for (HashCell cell : cells) {
                if (!isEmpty(namePrefix) && !cell.name.startsWith(namePrefix)) {
                    break;
                }
                if (!isEmpty(uuidPrefix) && (cell.uuid == null || !cell.uuid.startsWith(uuidPrefix))) {
                    continue;
                }
                out.add(new Listed(cell.name, cell.device.number(), cell.device.eventNr(), cell.uuid));
            }
            return out;
        } finally {
            readUnlock();
        }
    }

    /** The number of hashed devices. */
    public int size() {
        readLock();
        try {
            return byName.size();
        } finally {
            readUnlock();
        }
    }

    // ------------------------------------------------------------------ helpers

    static boolean isEmpty(String s) {
        return s == null || s.isEmpty();
    }
}

package org.dmd.core.device;

import java.util.concurrent.atomic.AtomicBoolean;
import org.dmd.core.minor.MinorTable;
import org.dmd.core.table.Table;

/**
 * A holder reference on a device, taken by a lookup, with what the lookup read under the index
 * lock: the device's name and uuid at that instant and its staged table (for INACTIVE_PRESENT and
 * inactive-table counts). Closing it drops the reference, once.
 */
public final class DeviceRef implements AutoCloseable {

    private final MinorTable<MappedDevice> minors;
    private final MappedDevice device;
    private final String name;
    private final String uuid;
    private final Table inactive;
    private final AtomicBoolean closed = new AtomicBoolean();

    DeviceRef(MinorTable<MappedDevice> minors, MappedDevice device, String name, String uuid, Table inactive) {
        this.minors = minors;
        this.device = device;
        this.name = name;
        this.uuid = uuid;
        this.inactive = inactive;
    }

    public MappedDevice device() {
        return device;
    }

    public String name() {
        return name;
    }

    /** The uuid, or null if the device has none. */
    public String uuid() {
        return uuid;
    }

    /** The staged table seen by the lookup (null if none). Read only its immutable shape. */
    public Table inactive() {
        return inactive;
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            minors.put(device);
        }
    }
}

package org.dmd.core.device;

import org.dmd.core.table.Table;

/**
 * A name/uuid index entry ({@code struct hash_cell}): the names of one device and its staged
 * (inactive) table. Every field but {@code device} is guarded by the {@link DeviceIndex} lock.
 */
final class HashCell {

    final MappedDevice device;
    String name;
    /** Null until set at create or once by rename. */
    String uuid;
    /** The inactive table slot ({@code hc->new_map}). */
    Table inactive;

    HashCell(MappedDevice device, String name, String uuid) {
        this.device = device;
        this.name = name;
        this.uuid = uuid;
    }
}

package org.dmd.core.target;

import java.util.Optional;
import org.dmd.core.errno.DmException;
import org.dmd.core.minor.DeviceNumber;

/**
 * What a target constructor may use ({@code struct dm_target} and {@code dm_get_device}).
 * Everything taken here is owned by the table and released when it is destroyed.
 */
public interface TargetContext {

    /** First sector of this target in the mapped device. */
    long start();

    /** Length of this target in sectors (always positive). */
    long length();

    /** True if the table is being loaded read-only. */
    boolean readOnly();

    /**
     * Opens an underlying device named as {@code MAJ:MIN}, {@code /dev/loopN}, {@code /dev/dm-N}
     * or {@code /dev/mapper/NAME} and records it as a dependency. The table's own device gives
     * EINVAL; a device that does not exist gives the lookup's errno (ENXIO, ENOENT, ENODEV); a
     * lower dm device being removed gives ENXIO. A device named twice is opened once.
     */
    TableDevice device(String path) throws DmException;

    /**
     * Resolves a device name to its number without opening it or recording a dependency
     * ({@code dm_devt_from_path}). Unlike the rest of this context it stays usable after
     * construction: multipath resolves the devices named in its {@code fail_path} and
     * {@code reinstate_path} messages with it.
     *
     * <p>Names resolve as in {@link #device}: {@code MAJ:MIN} (a number that does not fit gives
     * EOVERFLOW), or a path (one that names no device gives ENOENT, a non-block file ENOTBLK).
     */
    DeviceNumber deviceNumber(String path) throws DmException;

    /** Takes a path selector type (autoloading {@code dm-NAME}); empty if it does not exist. */
    Optional<PathSelectorType> pathSelector(String name) throws DmException;

    /** Takes a dirty-log type (autoloading {@code dm-log-NAME}, then shorter names); empty if none. */
    Optional<DirtyLogType> dirtyLog(String name) throws DmException;

    /** Takes an exception-store type (autoloading {@code dm-exstore-NAME}, ...); empty if none. */
    Optional<ExceptionStoreType> exceptionStore(String name) throws DmException;

    /**
     * Returns a handle the target keeps to raise table events later (multipath path failures,
     * mirror log failures): each raise increments the device's event number if the table is live.
     */
    TableEvents events();
}

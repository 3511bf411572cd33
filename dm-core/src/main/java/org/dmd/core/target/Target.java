package org.dmd.core.target;

import java.util.List;
import java.util.Optional;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;

/**
 * One constructed target of a table. Control-plane only: no I/O flows through targets; what they
 * keep is the state their table and status text report.
 *
 * <p>Thread safety: {@link #table()} and {@link #status()} may run concurrently with
 * {@link #message} and the suspend hooks; implementations guard their mutable state.
 */
public interface Target {

    /** The table string ({@code STATUSTYPE_TABLE}): canonical arguments, devices as {@code MAJ:MIN}. */
    String table();

    /**
     * The status string at rest ({@code STATUSTYPE_INFO}). Empty by default: linear-like targets
     * and targets whose type has no status method print nothing.
     */
    default String status() {
        return "";
    }

    /**
     * Handles a target message ({@code ->message}). Returns the text to hand back, if any.
     * The default is the kernel's answer for a target without a message handler.
     */
    default Optional<String> message(List<String> argv) throws DmException {
        throw new DmException(Errno.EINVAL, "target does not support messages");
    }

    /**
     * The underlying device areas this target maps ({@code iterate_devices}). The table rejects
     * a load whose area ends beyond its device (EINVAL), as the kernel's queue-limit check does.
     */
    default List<DeviceArea> areas() {
        return List.of();
    }

    /** True for request-based targets (multipath in its default queue mode). */
    default boolean requestBased() {
        return false;
    }

    /** Called before the device suspends. */
    default void presuspend() {
    }

    /** Called after the device is suspended. */
    default void postsuspend() {
    }

    /** Called before the device resumes; a failure keeps it suspended. */
    default void preresume() throws DmException {
    }

    /** Called once when the table is destroyed, after devices and types are released. */
    default void destroy() {
    }
}

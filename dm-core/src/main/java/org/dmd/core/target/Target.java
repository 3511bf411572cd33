package org.dmd.core.target;

import java.util.List;
import java.util.Optional;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.dmd.core.io.Bio;
import org.dmd.core.io.MapResult;

/**
 * One constructed target of a table: the state its table and status text report, and its data
 * path ({@link #map}), which device-mapper core calls for every clone of a request that falls in
 * the target (see {@link Bio} for the protocol).
 *
 * <p>Thread safety: {@link #map} runs on many threads at once, and concurrently with
 * {@link #table()}, {@link #status()}, {@link #message} and the suspend hooks; implementations
 * guard their mutable state. {@code map} never blocks for long: a target that waits (delay)
 * keeps the bio and returns {@link MapResult#SUBMITTED}.
 */
public interface Target {

    /**
     * Maps one clone ({@code ->map}): {@link Bio#sector()} lies in this target, and the clone never
     * crosses its end nor a {@link #maxIoLen()} boundary. The default is the answer of a target
     * whose data path dmd does not have: the bio fails with EIO.
     */
    default MapResult map(Bio bio) {
        return bio.kill(Errno.EIO, "the target has no data path in dmd: its I/O fails");
    }

    /**
     * The largest clone, in sectors, and the boundary clones are split at, counted from the
     * target's start ({@code ti->max_io_len}; striped: its chunk size); 0 for no limit but the
     * target's end.
     */
    default long maxIoLen() {
        return 0;
    }

    /**
     * How many empty flush bios core sends this target for a flush ({@code ti->num_flush_bios}),
     * numbered by {@link Bio#targetBioNr()}; 0 (the default, as for error and zero): flushes pass it by.
     */
    default int flushBios() {
        return 0;
    }

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

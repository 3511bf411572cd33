package org.dmd.core.target;

/**
 * One dirty log instance owned by a mirror target. Implementations are safe for concurrent use:
 * status may be read while the mirror resumes.
 */
public interface DirtyLog {

    /**
     * Table text, {@code TYPE #ARGS ARGS...} without a trailing space, e.g. {@code core 1 1024},
     * {@code core 2 1024 nosync}, {@code disk 2 7:2 1024}.
     */
    String table();

    /** Status text, {@code #ARGS TYPE ARGS...}, e.g. {@code 1 core} or {@code 3 disk 7:2 A}. */
    String status();

    /** Region size in sectors. */
    long regionSize();

    /** Number of regions known to be in sync ({@code get_sync_count}). */
    long syncCount();

    /**
     * Records that recovery has brought every region in sync ({@code set_region_sync} on each).
     * dmd copies no data, so a mirror's recovery completes as soon as it may start.
     */
    void markAllInSync();
}

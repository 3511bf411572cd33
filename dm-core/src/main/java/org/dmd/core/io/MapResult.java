package org.dmd.core.io;

/** What a target's {@code map} did with a bio ({@code DM_MAPIO_*}); see {@link Bio}. */
public enum MapResult {
    /** The target took the bio and will {@link Bio#end} it ({@code DM_MAPIO_SUBMITTED}). */
    SUBMITTED,
    /** The target set {@link Bio#device()} and {@link Bio#sector()}; core submits it there ({@code DM_MAPIO_REMAPPED}). */
    REMAPPED,
    /** The bio fails with {@link Bio#killed()} ({@code DM_MAPIO_KILL}). */
    KILL,
    /** Push the request back: requeued during a noflush suspend, EIO otherwise ({@code DM_MAPIO_REQUEUE}). */
    REQUEUE
}

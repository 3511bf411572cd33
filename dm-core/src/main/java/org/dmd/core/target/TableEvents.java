package org.dmd.core.target;

/** Raises a table event ({@code dm_table_event}); a table that is not live has no listener. */
@FunctionalInterface
public interface TableEvents {

    void raise();
}

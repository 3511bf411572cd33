package org.dmd.core.module;

import java.util.List;
import org.dmd.core.errno.DmException;

/**
 * The code of a loadable module: what {@code finit_module} runs. Implementations are found with
 * {@link java.util.ServiceLoader} and matched to the module index by {@link #name()}.
 *
 * <p>{@code init} registers the module's types and must undo its own registrations if it fails
 * part-way (as dm-log rolls back {@code core} when {@code disk} fails). It must never return
 * EEXIST on purpose: the loader reserves that errno for "already loaded".
 */
public interface KernelModule {

    /** The module file's base name, e.g. {@code dm-mirror} (canonical name {@code dm_mirror}). */
    String name();

    /** Modules whose symbols this one uses; the loader takes a reference on each while it is loaded. */
    default List<String> uses() {
        return List.of();
    }

    /** Runs in state COMING. */
    void init(ModuleContext context) throws DmException;

    /** False for a module with an init but no exit ("permanent": delete_module answers EBUSY). */
    default boolean hasExit() {
        return true;
    }

    /** Runs in state GOING, after a successful delete_module; unregisters what init registered. */
    default void exit(ModuleContext context) {
    }
}

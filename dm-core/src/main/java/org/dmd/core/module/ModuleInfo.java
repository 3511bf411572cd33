package org.dmd.core.module;

import java.util.List;

/**
 * One line of {@code lsmod}: a loaded or built-in module.
 *
 * @param name     canonical name, e.g. {@code dm_mirror}
 * @param state    LIVE, COMING or GOING (built-ins are always LIVE)
 * @param refcount the visible reference count ({@code /sys/module/NAME/refcnt}: raw − 1); 0 for a built-in
 * @param usedBy   canonical names of the loaded modules that use this one ({@code holders/})
 * @param builtin  compiled in: never loaded, never removable, no reference count
 */
public record ModuleInfo(String name, ModuleState state, int refcount, List<String> usedBy, boolean builtin) {

    public ModuleInfo {
        usedBy = List.copyOf(usedBy);
    }
}

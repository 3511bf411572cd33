package org.dmd.core.module;

import java.util.Locale;

/**
 * A loaded module's state ({@code include/linux/module.h: enum module_state}), in the kernel's
 * numbering order. A module that is not in the module list is simply absent.
 */
public enum ModuleState {
    /** init() returned success. */
    LIVE,
    /** Formed: sysfs being populated, parameters parsed, init() running. */
    COMING,
    /** Being unloaded, or init() failed and it is being torn down. */
    GOING,
    /** Name reserved, being linked; invisible to everything but the duplicate check. */
    UNFORMED;

    /** As {@code /sys/module/NAME/initstate} reads: live, coming, going. */
    public String initstateText() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Still being loaded: a duplicate loader or a type user waits for it to settle. */
    boolean loading() {
        return this == UNFORMED || this == COMING;
    }
}

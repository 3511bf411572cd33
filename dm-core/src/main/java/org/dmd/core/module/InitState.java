package org.dmd.core.module;

/**
 * A module's state as kmod computes it ({@code kmod_module_get_initstate}).
 * "Not loaded" is an ENOENT error, not a value.
 */
public enum InitState {
    BUILTIN, LIVE, COMING, GOING;

    /** {@code module_is_inkernel}: COMING is deliberately not "in kernel", so a second modprobe
     *  calls finit_module and lets the kernel serialise. */
    public boolean inKernel() {
        return this == LIVE || this == BUILTIN;
    }
}

package org.dmd.core.target;

/** The target-type feature flags that matter to the control plane (DM_TARGET_* in the kernel). */
public enum TargetFeature {
    /** Must be the only target in its table. */
    SINGLETON,
    /** May not be placed in a read-only table. */
    ALWAYS_WRITEABLE,
    /** Once live on a device, later tables must use the same type (unless they hold a wildcard). */
    IMMUTABLE,
    /** May replace an immutable type (the {@code error} target). */
    WILDCARD,
    /**
     * Works bio-based or request-based ({@code dm_target_hybrid}: the {@code error} target): a table
     * of only such targets takes the queue type the device already has (bio-based on a new device).
     */
    HYBRID
}

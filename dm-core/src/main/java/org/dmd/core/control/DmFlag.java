package org.dmd.core.control;

import java.util.EnumSet;
import java.util.Set;

/** The dm_ioctl flag bits (include/uapi/linux/dm-ioctl.h: DM_*_FLAG), by name. */
public enum DmFlag {
    READONLY(0x00001),
    SUSPEND(0x00002),
    /** libdm's private "exists" bit: never interpreted, always echoed. */
    EXISTS(0x00004),
    PERSISTENT_DEV(0x00008),
    STATUS_TABLE(0x00010),
    ACTIVE_PRESENT(0x00020),
    INACTIVE_PRESENT(0x00040),
    BUFFER_FULL(0x00100),
    SKIP_BDGET(0x00200),
    SKIP_LOCKFS(0x00400),
    NOFLUSH(0x00800),
    QUERY_INACTIVE_TABLE(0x01000),
    UEVENT_GENERATED(0x02000),
    UUID(0x04000),
    SECURE_DATA(0x08000),
    DATA_OUT(0x10000),
    DEFERRED_REMOVE(0x20000),
    INTERNAL_SUSPEND(0x40000),
    IMA_MEASUREMENT(0x80000);

    /** Cleared on entry to every command (output-only bits). */
    static final Set<DmFlag> OUTPUT_ONLY = EnumSet.of(BUFFER_FULL, UEVENT_GENERATED, SECURE_DATA, DATA_OUT);
    /** Recomputed by STATUS-FILL. */
    static final Set<DmFlag> STATUS = EnumSet.of(SUSPEND, READONLY, ACTIVE_PRESENT, INTERNAL_SUSPEND);

    private final int bit;

    DmFlag(int bit) {
        this.bit = bit;
    }

    public int bit() {
        return bit;
    }

    /** The bitmask of a set of flags, as dm_ioctl.flags carries it. */
    public static int mask(Set<DmFlag> flags) {
        int mask = 0;
        for (DmFlag flag : flags) {
            mask |= flag.bit;
        }
        return mask;
    }

    /** The flags of a bitmask; bits dmd does not name are dropped. */
    public static EnumSet<DmFlag> of(int mask) {
        EnumSet<DmFlag> flags = EnumSet.noneOf(DmFlag.class);
        for (DmFlag flag : values()) {
            if ((mask & flag.bit) != 0) {
                flags.add(flag);
            }
        }
        return flags;
    }
}

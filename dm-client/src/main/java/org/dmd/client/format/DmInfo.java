package org.dmd.client.format;

import java.util.Set;
import org.dmd.core.control.DmFlag;
import org.dmd.core.control.Replies.DeviceInfo;

/**
 * libdm's {@code struct dm_info} as dmsetup reads it from a reply: the flag bits turned into
 * booleans and the device number split. Names and uuids here are as they are to be shown.
 */
public record DmInfo(String name, String uuid, int major, int minor, boolean suspended, boolean liveTable,
                     boolean inactiveTable, boolean readOnly, boolean deferredRemove, int openCount, long eventNr,
                     int targetCount) {

    public static DmInfo of(DeviceInfo info) {
        Set<DmFlag> flags = info.flags() == null ? Set.of() : info.flags();
        int[] number = majorMinor(info.dev());
        return new DmInfo(info.name() == null ? "" : info.name(), info.uuid() == null ? "" : info.uuid(),
                number[0], number[1], flags.contains(DmFlag.SUSPEND), flags.contains(DmFlag.ACTIVE_PRESENT),
                flags.contains(DmFlag.INACTIVE_PRESENT), flags.contains(DmFlag.READONLY),
                flags.contains(DmFlag.DEFERRED_REMOVE), info.openCount(), info.eventNr(), info.targetCount());
    }

    /** {@code MAJ:MIN} as two numbers; {@code 0:0} if absent. */
    public static int[] majorMinor(String dev) {
        if (dev == null) {
            return new int[] {0, 0};
        }
        int colon = dev.indexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("'" + dev + "' is not MAJ:MIN");
        }
        return new int[] {Integer.parseInt(dev.substring(0, colon)), Integer.parseInt(dev.substring(colon + 1))};
    }

    public String devno() {
        return major + ":" + minor;
    }
}

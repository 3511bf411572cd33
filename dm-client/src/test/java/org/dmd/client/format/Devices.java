package org.dmd.client.format;

import java.util.EnumSet;
import java.util.List;
import org.dmd.client.NameMangling;
import org.dmd.core.control.DmFlag;
import org.dmd.core.control.Replies;

/** Reply records for rendering tests. */
final class Devices {

    private Devices() {
    }

    static Replies.DeviceInfo reply(String name, String uuid, String dev, int openCount, long eventNr, int targets,
                                    DmFlag... flags) {
        EnumSet<DmFlag> set = EnumSet.noneOf(DmFlag.class);
        set.addAll(List.of(flags));
        return new Replies.DeviceInfo(name, uuid, dev, set, openCount, eventNr, targets);
    }

    /** A device with a live table and one target, active, writeable. */
    static DmInfo live(String name, String uuid, int minor, long eventNr) {
        return DmInfo.of(reply(name, uuid, "253:" + minor, 0, eventNr, 1, DmFlag.ACTIVE_PRESENT));
    }

    static ReportRow row(DmInfo info) {
        return ReportRow.of(info, NameMangling.Mode.AUTO, null, null, new BlockNames(253, java.util.Map.of()));
    }
}

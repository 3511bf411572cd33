package org.dmd.client.format;

/** {@code dmsetup info} in its long form (dmsetup.c: _display_info_long). */
public final class InfoFormat {

    /** dmd has no block layer read-ahead: the kernel default of 128 KiB, in sectors. */
    public static final int READ_AHEAD_SECTORS = 256;

    private InfoFormat() {
    }

    /** The block for one device, with its trailing blank line; labels end in column 19. */
    public static void longForm(StringBuilder out, DmInfo info) {
        out.append("Name:              ").append(info.name()).append('\n');
        out.append("State:             ").append(info.suspended() ? "SUSPENDED" : "ACTIVE")
                .append(info.readOnly() ? " (READ-ONLY)" : "")
                .append(info.deferredRemove() ? " (DEFERRED REMOVE)" : "").append('\n');
        out.append("Read Ahead:        ").append(READ_AHEAD_SECTORS).append('\n');
        out.append("Tables present:    ").append(tablesPresent(info)).append('\n');
        out.append("Open count:        ").append(info.openCount()).append('\n');
        out.append("Event number:      ").append(info.eventNr()).append('\n');
        out.append("Major, minor:      ").append(info.major()).append(", ").append(info.minor()).append('\n');
        out.append("Number of targets: ").append(info.targetCount()).append('\n');
        if (!info.uuid().isEmpty()) {
            out.append("UUID: ").append(info.uuid()).append('\n');
        }
        out.append('\n');
    }

    private static String tablesPresent(DmInfo info) {
        if (!info.liveTable() && !info.inactiveTable()) {
            return "None";
        }
        return (info.liveTable() ? "LIVE" : "") + (info.liveTable() && info.inactiveTable() ? " & " : "")
                + (info.inactiveTable() ? "INACTIVE" : "");
    }
}

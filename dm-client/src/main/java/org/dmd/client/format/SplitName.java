package org.dmd.client.format;

/**
 * A device name split into LVM's components (libdm's dm_split_lvm_name): {@code VG-LV-LAYER},
 * where a doubled hyphen stands for a hyphen inside a component. Only names whose uuid prefix
 * (up to the first {@code -}) is {@code LVM} are split.
 */
public record SplitName(String subsystem, String vgName, String lvName, String lvLayer) {

    /** As dmsetup splits a device: the subsystem is the uuid up to its first '-' (empty if none). */
    public static SplitName ofDevice(String uuid, String name) {
        int dash = uuid == null ? -1 : uuid.indexOf('-');
        return of(dash < 0 ? "" : uuid.substring(0, dash), name);
    }

    /** {@code dmsetup splitname NAME [SUBSYSTEM]}: the subsystem is given (default LVM). */
    public static SplitName of(String subsystem, String name) {
        if (!"LVM".equals(subsystem)) {
            return new SplitName(subsystem, "", "", "");
        }
        int[] at = {0};
        String vg = unquote(name, at);
        String lv = unquote(name, at);
        String layer = unquote(name, at);
        return new SplitName(subsystem, vg, lv, layer);
    }

    /** One component from {@code at[0]}: "--" is a hyphen, a lone '-' (not last) ends it. */
    private static String unquote(String s, int[] at) {
        StringBuilder out = new StringBuilder();
        int c = at[0];
        while (c < s.length()) {
            if (c + 1 < s.length() && s.charAt(c) == '-') {
                if (s.charAt(c + 1) == '-') {
                    c++;
                } else {
                    break;
                }
            }
            out.append(s.charAt(c));
            c++;
        }
        at[0] = c < s.length() ? c + 1 : c;
        return out.toString();
    }
}

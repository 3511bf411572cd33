package org.dmd.client.format;

import java.util.List;
import org.dmd.client.NameMangling;

/**
 * The object one report line describes (dmsetup's dmsetup_report_obj): a device's status, and
 * when the chosen fields need them its dependencies, its tree node and its name split LVM-style.
 *
 * @param info the device as shown (name and uuid unmangled)
 * @param mode the name mangling mode, for the mangled_/unmangled_ fields
 * @param dependencies {@code MAJ:MIN} of the devices it uses (null unless deps fields are shown)
 * @param node its node in the whole dependency tree (null unless tree fields are shown)
 * @param blockNames kernel names of block devices
 * @param split the name's LVM components (null: split the device's name by its uuid prefix)
 */
public record ReportRow(DmInfo info, NameMangling.Mode mode, List<String> dependencies, DeviceTree.Node node,
                        DeviceTree tree, BlockNames blockNames, SplitName split) {

    /** A row of a device. */
    public static ReportRow of(DmInfo info, NameMangling.Mode mode, List<String> dependencies, DeviceTree tree,
                               BlockNames blockNames) {
        DeviceTree.Node node = tree == null ? null : tree.find(info.major(), info.minor());
        return new ReportRow(info, mode, dependencies, node, tree, blockNames, null);
    }

    /** The row of {@code dmsetup splitname NAME [SUBSYSTEM]}. */
    public static ReportRow splitName(String name, String subsystem) {
        DmInfo info = new DmInfo(name, "", 0, 0, false, false, false, false, false, 0, 0, 0);
        return new ReportRow(info, NameMangling.Mode.NONE, List.of(), null, null, null,
                SplitName.of(subsystem, name));
    }
}

package org.dmd.client.cli;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.dmd.client.DeviceId;
import org.dmd.client.NameMangling;
import org.dmd.client.format.BlockNames;
import org.dmd.client.format.DeviceTree;
import org.dmd.client.format.DmInfo;
import org.dmd.client.format.Formats;
import org.dmd.client.format.InfoFormat;
import org.dmd.client.format.Report;
import org.dmd.client.format.ReportRow;
import org.dmd.client.format.TableFormat;
import org.dmd.client.format.TreeFormat;
import org.dmd.core.control.DmFlag;
import org.dmd.core.control.Replies;
import org.dmd.core.errno.DmException;

/**
 * The commands that only look: version, ls (plain, {@code --target}, {@code --tree}), info (long
 * and {@code -c}), deps, table, status, targets, target-version, splitname. A command given no
 * device runs for every device of LIST_DEVICES (dmsetup's _process_all).
 */
final class QueryCommands {

    /** A per-device command; {@code multiple} when more than one device is being shown. */
    @FunctionalInterface
    interface PerDevice {
        boolean run(String name, boolean multiple);
    }

    private final Session s;
    /** The -c report, when columns were asked for (set up before any device is processed). */
    private final Report report;
    /** The whole dependency tree, built first when the report or the command needs it. */
    private DeviceTree tree;
    private BlockNames blockNames;
    private TableFormat tableFormat;
    /** The deps replies gathered while building the tree, for {@code ls --tree --json}. */
    private final List<Replies.Deps> treeDeps = new ArrayList<>();

    QueryCommands(Session session, Report report) {
        this.s = session;
        this.report = report;
    }

    // ------------------------------------------------------------------ all devices

    /** Runs {@code command} for every device, or says "No devices found". */
    boolean forAll(PerDevice command) {
        Replies.Names names = s.call("names", Session.Target.UNNAMED, c -> c.listDevices());
        if (names == null) {
            return false;
        }
        if (names.devices().isEmpty()) {
            s.print("No devices found\n");
            return true;
        }
        boolean ok = true;
        for (Replies.NameEntry entry : names.devices()) {
            String name = s.shownName(entry.name());
            if (name == null || !command.run(name, true)) {
                ok = false;
            }
        }
        return ok;
    }

    private boolean allIfNoDevice(String name) {
        return name == null && !s.deviceBySwitch();
    }

    // ------------------------------------------------------------------ version, targets

    boolean version() {
        StringBuilder out = new StringBuilder();
        Formats.libraryVersion(out);
        s.print(out);
        Replies.DriverVersion version = s.call("version", Session.Target.UNNAMED, c -> c.version());
        if (version == null) {
            return false;
        }
        out.setLength(0);
        Formats.driverVersion(out, version);
        s.print(out);
        s.result(version);
        return true;
    }

    boolean targets() {
        Replies.TargetVersions targets = s.call("versions", Session.Target.UNNAMED, c -> c.targets());
        if (targets == null) {
            return false;
        }
        StringBuilder out = new StringBuilder();
        Formats.targets(out, targets.targets());
        s.print(out);
        s.result(targets);
        return true;
    }

    boolean targetVersion(String type) {
        String sent;
        try {
            sent = NameMangling.mangleName(type, s.mangling);
        } catch (DmException e) {
            s.error(e.getMessage());
            return false;
        }
        Replies.TargetVersions reply = s.call("target-version", new Session.Target(sent, null, null),
                c -> c.targetVersion(sent));
        if (reply == null) {
            return false;
        }
        StringBuilder out = new StringBuilder();
        Formats.targets(out, reply.targets());
        s.print(out);
        s.result(reply);
        return true;
    }

    // ------------------------------------------------------------------ info

    boolean info(String name, boolean multiple) {
        if (allIfNoDevice(name)) {
            return forAll(this::info);
        }
        DeviceId id = s.device(name);
        if (id == null) {
            return false;
        }
        DmFlag[] flags = s.options.inactive ? new DmFlag[] {DmFlag.QUERY_INACTIVE_TABLE} : new DmFlag[0];
        Session.Outcome<Replies.DeviceInfo> outcome = s.query("info", Session.Target.of(id), c -> c.info(id, flags));
        if (outcome.missing()) {
            s.error("Device does not exist.");
            return false;
        }
        if (outcome.value() == null) {
            return false;
        }
        DmInfo info = s.shown(outcome.value());
        if (info == null) {
            return false;
        }
        s.result(asReply(info, outcome.value()));
        if (report == null) {
            StringBuilder out = new StringBuilder();
            InfoFormat.longForm(out, info);
            s.print(out);
            return true;
        }
        return reportRow(info);
    }

    private boolean reportRow(DmInfo info) {
        List<String> dependencies = null;
        if (report.uses(Report.Type.DEPS)) {
            DeviceId byNumber = DeviceId.dev(info.devno());
            Replies.Deps deps = s.call("deps", new Session.Target(null, null, info.devno()), c -> c.deps(byNumber));
            if (deps == null) {
                s.error("Cannot get deps for " + info.devno() + ".");
                return false;
            }
            dependencies = deps.devices();
        }
        if (report.uses(Report.Type.TREE) && (tree == null || tree.find(info.major(), info.minor()) == null)) {
            s.error("Cannot find node " + info.devno() + ".");
            return false;
        }
        try {
            report.add(ReportRow.of(info, s.mangling, dependencies, tree, blockNames(info.major())));
            return true;
        } catch (Report.ReportException e) {
            s.error(e.getMessage());
            return false;
        }
    }

    /** Prints the report's rows (headings first); called once all devices are processed. */
    void flushReport() {
        if (report != null && !report.isEmpty()) {
            s.print(report.output());
        }
    }

    /** Before a report that names devices by their users or dependencies, the whole tree is built. */
    boolean prepareReport() {
        if (report != null && report.uses(Report.Type.TREE)) {
            boolean ok = buildTree();
            if (tree == null) {
                s.error("Internal device dependency tree creation failed.");
                return false;
            }
            return ok;
        }
        return true;
    }

    // ------------------------------------------------------------------ deps, table, status

    boolean deps(String name, boolean multiple) {
        if (allIfNoDevice(name)) {
            return forAll(this::deps);
        }
        DeviceId id = s.device(name);
        if (id == null) {
            return false;
        }
        DmFlag[] flags = s.options.inactive ? new DmFlag[] {DmFlag.QUERY_INACTIVE_TABLE} : new DmFlag[0];
        Replies.Deps deps = s.call("deps", Session.Target.of(id), c -> c.deps(id, flags));
        if (deps == null) {
            return false;
        }
        DmInfo info = s.shown(deps.device());
        if (info == null) {
            return false;
        }
        s.result(new Replies.Deps(asReply(info, deps.device()), deps.devices()));
        StringBuilder out = new StringBuilder();
        Formats.DevName type = Dmctl.devNameType(s.options.options);
        Formats.deps(out, info, deps.devices(), multiple, s.verbosity(), type,
                type == Formats.DevName.MAP ? namedBlockNames(info.major()) : blockNames(info.major()));
        s.print(out);
        return true;
    }

    boolean table(String name, boolean multiple) {
        return tableOrStatus(name, multiple, true);
    }

    boolean status(String name, boolean multiple) {
        return tableOrStatus(name, multiple, false);
    }

    private boolean tableOrStatus(String name, boolean multiple, boolean table) {
        if (allIfNoDevice(name)) {
            return forAll((n, m) -> tableOrStatus(n, m, table));
        }
        DeviceId id = s.device(name);
        if (id == null) {
            return false;
        }
        DmFlag[] flags = s.options.inactive ? new DmFlag[] {DmFlag.QUERY_INACTIVE_TABLE} : new DmFlag[0];
        Session.Target target = Session.Target.of(id);
        Replies.TableLines lines;
        if (table) {
            lines = s.call("table", target, c -> c.table(id, flags));
        } else {
            Session.Outcome<Replies.TableLines> outcome = s.query("status", target, c -> c.status(id, flags));
            if (outcome.missing()) {
                s.error("Device does not exist.");
                return false;
            }
            lines = outcome.value();
        }
        if (lines == null) {
            return false;
        }
        DmInfo info = s.shown(lines.device());
        if (info == null) {
            return false;
        }
        if (name != null) {
            // dmsetup prints the name it was given, not the one the kernel wrote back.
            info = new DmInfo(name, info.uuid(), info.major(), info.minor(), info.suspended(), info.liveTable(),
                    info.inactiveTable(), info.readOnly(), info.deferredRemove(), info.openCount(), info.eventNr(),
                    info.targetCount());
        }
        s.result(new Replies.TableLines(asReply(info, lines.device()), lines.targets()));
        if (tableFormat == null) {
            tableFormat = new TableFormat(table, s.options.concise, s.options.showKeys, s.options.target,
                    s.verbosity());
        }
        StringBuilder out = new StringBuilder();
        tableFormat.device(out, info, lines.targets(), multiple);
        s.print(out);
        return true;
    }

    /** Ends table output ({@code --concise} is one line for all devices). */
    void finishTable() {
        if (tableFormat != null) {
            StringBuilder out = new StringBuilder();
            tableFormat.finish(out);
            s.print(out);
        }
    }

    // ------------------------------------------------------------------ ls

    boolean ls() {
        if (s.options.target != null) {
            return forAll(this::listMatching);
        }
        if (s.options.tree) {
            return tree();
        }
        Replies.Names names = s.call("names", Session.Target.UNNAMED, c -> c.listDevices());
        if (names == null) {
            return false;
        }
        s.result(names);
        if (names.devices().isEmpty()) {
            s.print("No devices found\n");
            return true;
        }
        Formats.DevName type = Dmctl.devNameType(s.options.options);
        BlockNames resolver = blockNamesFrom(names);
        StringBuilder out = new StringBuilder();
        boolean ok = true;
        for (Replies.NameEntry entry : names.devices()) {
            String name = s.shownName(entry.name());
            if (name == null) {
                ok = false;
                continue;
            }
            int[] number = DmInfo.majorMinor(entry.dev());
            Formats.listEntry(out, name, number[0], number[1], type, resolver);
        }
        s.print(out);
        return ok;
    }

    private boolean listMatching(String name, boolean multiple) {
        DeviceId id = s.device(name);
        if (id == null) {
            return false;
        }
        Session.Outcome<Replies.TableLines> outcome = s.query("status", Session.Target.of(id), c -> c.status(id));
        if (outcome.missing()) {
            s.error("Device does not exist.");
            return false;
        }
        if (outcome.value() == null) {
            return false;
        }
        DmInfo info = s.shown(outcome.value().device());
        if (info == null) {
            return false;
        }
        StringBuilder out = new StringBuilder();
        TableFormat.listMatching(out, new DmInfo(name, info.uuid(), info.major(), info.minor(), info.suspended(),
                info.liveTable(), info.inactiveTable(), info.readOnly(), info.deferredRemove(), info.openCount(),
                info.eventNr(), info.targetCount()), outcome.value().targets(), s.options.target);
        if (out.length() > 0) {
            s.result(outcome.value());
        }
        s.print(out);
        return true;
    }

    private boolean tree() {
        boolean ok = buildTree();
        if (tree != null) {
            TreeFormat.Options options = Dmctl.treeOptions(s);
            s.print(TreeFormat.draw(tree, blockNames, options));
            treeDeps.forEach(s::result);
        }
        return ok;
    }

    /** dmsetup's _build_whole_deptree: every listed device added, failures reported and skipped. */
    private boolean buildTree() {
        if (tree != null) {
            return true;
        }
        Replies.Names names = s.call("names", Session.Target.UNNAMED, c -> c.listDevices());
        if (names == null) {
            return false;
        }
        blockNames = blockNamesFrom(names);
        tree = new DeviceTree(blockNames, this::treeEntry);
        if (names.devices().isEmpty()) {
            s.print("No devices found\n");
            return true;
        }
        boolean ok = true;
        for (Replies.NameEntry entry : names.devices()) {
            int[] number = DmInfo.majorMinor(entry.dev());
            try {
                tree.add(number[0], number[1]);
            } catch (Exception e) {
                ok = false;
            }
        }
        return ok;
    }

    /** A mapped device's tree entry: TABLE_DEPS by number, as libdm's dm_tree does. */
    private DeviceTree.Entry treeEntry(int major, int minor) throws Exception {
        String dev = major + ":" + minor;
        DeviceId id = DeviceId.dev(dev);
        Replies.Deps deps = s.call("deps", new Session.Target(null, null, dev),
                c -> c.deps(id, DmFlag.PERSISTENT_DEV));
        if (deps == null) {
            s.error("_deps: task run failed for (" + dev + ")");
            throw new Exception("deps of " + dev);
        }
        DmInfo info = s.shown(deps.device());
        if (info == null) {
            throw new Exception("name of " + dev);
        }
        treeDeps.add(new Replies.Deps(asReply(info, deps.device()), deps.devices()));
        List<int[]> dependencies = new ArrayList<>();
        for (String d : deps.devices()) {
            dependencies.add(DmInfo.majorMinor(d));
        }
        return new DeviceTree.Entry(info.name(), info.uuid(), info, dependencies);
    }

    // ------------------------------------------------------------------ splitname

    boolean splitName(List<String> args) {
        String subsystem = args.size() == 2 ? args.get(1) : "LVM";
        try {
            report.add(ReportRow.splitName(args.get(0), subsystem));
            return true;
        } catch (Report.ReportException e) {
            s.error(e.getMessage());
            return false;
        }
    }

    // ------------------------------------------------------------------ block names

    /** Kernel names only: the mapped devices' major is that of the device being shown. */
    private BlockNames blockNames(int dmMajor) {
        if (blockNames != null && blockNames.dmMajor() == dmMajor) {
            return blockNames;
        }
        return new BlockNames(dmMajor, Map.of());
    }

    /** Kernel names and dm names (for {@code -o devname}), from one LIST_DEVICES. */
    private BlockNames namedBlockNames(int dmMajor) {
        if (blockNames == null || blockNames.storedNames().isEmpty()) {
            Replies.Names names = s.call("names", Session.Target.UNNAMED, c -> c.listDevices());
            blockNames = names == null ? new BlockNames(dmMajor, Map.of()) : blockNamesFrom(names);
        }
        return blockNames;
    }

    private static BlockNames blockNamesFrom(Replies.Names names) {
        Map<String, String> stored = new HashMap<>();
        int major = org.dmd.core.control.DeviceMapper.DEFAULT_MAJOR;
        for (Replies.NameEntry entry : names.devices()) {
            stored.put(entry.dev(), entry.name());
            major = DmInfo.majorMinor(entry.dev())[0];
        }
        return new BlockNames(major, stored);
    }

    /** The reply as shown (unmangled), for --json. */
    private static Replies.DeviceInfo asReply(DmInfo info, Replies.DeviceInfo raw) {
        return new Replies.DeviceInfo(info.name(), info.uuid().isEmpty() ? null : info.uuid(), raw.dev(),
                raw.flags(), raw.openCount(), raw.eventNr(), raw.targetCount());
    }
}

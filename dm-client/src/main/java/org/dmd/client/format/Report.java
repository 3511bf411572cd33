package org.dmd.client.format;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;
import org.dmd.client.NameMangling;
import org.dmd.core.errno.DmException;

/**
 * The column report of {@code dmsetup info -c} (dmsetup.c: _report_init, libdm-report.c): dmsetup's
 * device fields, {@code -o} field selection ({@code +} appends to the default, {@code all} and
 * {@code <type>_all} select whole sections, names are case- and underscore-insensitive), aligned
 * or separated output, headings, {@code --nameprefixes}, {@code --rows} and {@code -O} sorting.
 * Widths, padding and heading truncation are in bytes, as libdm counts them.
 */
public final class Report {

    public static final String DEFAULT_FIELDS = "name,major,minor,attr,open,segments,events,uuid";
    public static final String SPLITNAME_FIELDS = "vg_name,lv_name,lv_layer";

    /** The object types fields describe; what a report uses decides what must be fetched. */
    public enum Type {
        TASK("Mapped Device Name", "name_"),
        INFO("Mapped Device Information", "info_"),
        DEPS("Mapped Device Relationship Information", "deps_"),
        TREE("Mapped Device Relationship Information", "tree_"),
        NAME("Mapped Device Name Components", "splitname_"),
        SPECIAL("Special", "");

        final String description;
        final String prefix;

        Type(String description, String prefix) {
            this.description = description;
            this.prefix = prefix;
        }
    }

    /** Fails a report with the text libdm would print (to stderr). */
    public static final class ReportException extends Exception {
        public ReportException(String text) {
            super(text, null, false, false);
        }
    }

    @FunctionalInterface
    private interface Value {
        String of(ReportRow row) throws ReportException;
    }

    private record Field(Type type, boolean number, String heading, int width, String id, String description,
                         Value value) {
        String canonicalId() {
            return id.replace("_", "");
        }
    }

    private static final List<Field> FIELDS = List.of(
            str(Type.TASK, "Name", 16, "name", "Name of mapped device.", r -> r.info().name()),
            str(Type.TASK, "MangledName", 16, "mangled_name", "Mangled name of mapped device.",
                    r -> mangled(r.info().name(), "name", r.mode())),
            str(Type.TASK, "UnmangledName", 16, "unmangled_name", "Unmangled name of mapped device.",
                    r -> unmangled(r.info().name(), "name", r.mode())),
            str(Type.TASK, "UUID", 32, "uuid", "Unique (optional) identifier for mapped device.",
                    r -> r.info().uuid()),
            str(Type.TASK, "MangledUUID", 32, "mangled_uuid",
                    "Mangled unique (optional) identifier for mapped device.",
                    r -> mangled(r.info().uuid(), "UUID", r.mode())),
            str(Type.TASK, "UnmangledUUID", 32, "unmangled_uuid",
                    "Unmangled unique (optional) identifier for mapped device.",
                    r -> unmangled(r.info().uuid(), "UUID", r.mode())),
            num(Type.TASK, "RAhead", 6, "read_ahead", "Read ahead value.", r -> InfoFormat.READ_AHEAD_SECTORS),
            str(Type.INFO, "BlkDevName", 16, "blkdevname", "Name of block device.",
                    r -> kernelName(r, r.info().major(), r.info().minor())),
            str(Type.INFO, "Stat", 4, "attr", "(L)ive, (I)nactive, (s)uspended, (r)ead-only, read-(w)rite.",
                    r -> attr(r.info())),
            str(Type.INFO, "Tables", 6, "tables_loaded", "Which of the live and inactive table slots are filled.",
                    r -> tablesLoaded(r.info())),
            str(Type.INFO, "Suspended", 9, "suspended", "Whether the device is suspended.",
                    r -> r.info().suspended() ? "Suspended" : "Active"),
            str(Type.INFO, "Read-only", 9, "readonly", "Whether the device is read-only or writeable.",
                    r -> r.info().readOnly() ? "Read-only" : "Writeable"),
            str(Type.INFO, "DevNo", 5, "devno", "Device major and minor numbers", r -> r.info().devno()),
            num(Type.INFO, "Maj", 3, "major", "Block device major number.", r -> r.info().major()),
            num(Type.INFO, "Min", 3, "minor", "Block device minor number.", r -> r.info().minor()),
            num(Type.INFO, "Open", 4, "open", "Number of references to open device, if requested.",
                    r -> r.info().openCount()),
            num(Type.INFO, "Targ", 4, "segments", "Number of segments in live table, if present.",
                    r -> r.info().targetCount()),
            num(Type.INFO, "Event", 6, "events", "Number of most recent event.", r -> r.info().eventNr()),
            num(Type.DEPS, "#Devs", 5, "device_count", "Number of devices used by this one.",
                    r -> r.dependencies().size()),
            str(Type.TREE, "DevNamesUsed", 16, "devs_used", "List of names of mapped devices used by this one.",
                    r -> treeNames(r, false)),
            str(Type.DEPS, "DevNosUsed", 16, "devnos_used", "List of device numbers of devices used by this one.",
                    r -> String.join(",", r.dependencies())),
            str(Type.DEPS, "BlkDevNamesUsed", 16, "blkdevs_used", "List of names of block devices used by this one.",
                    Report::dependencyKernelNames),
            num(Type.TREE, "#Refs", 5, "device_ref_count", "Number of mapped devices referencing this one.",
                    r -> r.tree().childCount(r.node(), true)),
            str(Type.TREE, "RefNames", 8, "names_using_dev", "List of names of mapped devices using this one.",
                    r -> treeNames(r, true)),
            str(Type.TREE, "RefDevNos", 9, "devnos_using_dev",
                    "List of device numbers of mapped devices using this one.", Report::usersDevnos),
            str(Type.NAME, "Subsys", 6, "subsystem", "Userspace subsystem responsible for this device.",
                    r -> split(r).subsystem()),
            str(Type.NAME, "VG", 4, "vg_name", "LVM Volume Group name.", r -> split(r).vgName()),
            str(Type.NAME, "LV", 4, "lv_name", "LVM Logical Volume name.", r -> split(r).lvName()),
            str(Type.NAME, "LVLayer", 7, "lv_layer", "LVM device layer.", r -> split(r).lvLayer()));

    /** libdm's implicit fields; help and ? ask for the field list. */
    private static final List<Field> SPECIAL_FIELDS = List.of(
            num(Type.SPECIAL, "Selected", 8, "selected", "Set if item passes selection criteria.", r -> 1),
            str(Type.SPECIAL, "Help", 4, "help", "Show help.", r -> ""),
            str(Type.SPECIAL, "Help", 4, "?", "Show help.", r -> ""));

    private static Field str(Type type, String heading, int width, String id, String description, Value value) {
        return new Field(type, false, heading, width, id, description, value);
    }

    private static Field num(Type type, String heading, int width, String id, String description,
                             Function<ReportRow, Number> value) {
        return new Field(type, true, heading, width, id, description, r -> value.apply(r).toString());
    }

    /** How the report is laid out (dmsetup's _report_init). */
    public record Settings(boolean aligned, boolean headings, String separator, boolean namePrefixes,
                           boolean quoted, boolean columnsAsRows, String sortKeys) {

        /** From dmsetup's switches; {@code separator} and {@code sortKeys} null when not given. */
        public static Settings of(boolean noHeadings, String separator, boolean namePrefixes, boolean unquoted,
                                  boolean rows, String sortKeys) {
            boolean aligned = !noHeadings && !namePrefixes && separator == null && !rows;
            String sep = separator != null ? separator : noHeadings ? ":" : " ";
            return new Settings(aligned, !noHeadings, sep, namePrefixes, !unquoted, rows, sortKeys);
        }
    }

    private record Column(Field field, boolean hidden) {
    }

    private record SortKey(int column, boolean ascending) {
    }

    private final Settings settings;
    /** The type "all" stands for: splitname's report is of name components only (null: every type). */
    private final Type allType;
    private final List<Column> columns = new ArrayList<>();
    private final List<SortKey> keys = new ArrayList<>();
    private final List<String[]> rows = new ArrayList<>();
    private final Set<Type> types = EnumSet.noneOf(Type.class);
    private boolean helpRequested;

    private Report(Settings settings, Type allType) {
        this.settings = settings;
        this.allType = allType;
    }

    /**
     * A report of {@code fields}: the {@code -o} argument (null for the default; a leading
     * {@code +} appends to the default). A field name that is not known fails with the field list
     * and libdm's "Unrecognised field" line.
     */
    public static Report of(String defaultFields, String fields, Settings settings) throws ReportException {
        String selected = defaultFields;
        Settings effective = settings;
        if (fields != null) {
            selected = fields.startsWith("+") ? defaultFields + "," + fields.substring(1) : fields;
            if (fields.contains("help")) {
                effective = new Settings(settings.aligned(), false, settings.separator(), settings.namePrefixes(),
                        settings.quoted(), settings.columnsAsRows(), settings.sortKeys());
            }
        }
        Report report = new Report(effective, defaultFields.equals(SPLITNAME_FIELDS) ? Type.NAME : null);
        for (String word : selected.split(",")) {
            if (!word.isEmpty() && !report.addField(word, false)) {
                throw new ReportException(fieldHelp() + " \nUnrecognised field: " + word);
            }
        }
        if (settings.sortKeys() != null) {
            for (String word : settings.sortKeys().split(",")) {
                if (!word.isEmpty() && !report.addSortKey(word)) {
                    throw new ReportException(fieldHelp() + " \ndm_report: Unrecognised field: " + word);
                }
            }
        }
        return report;
    }

    private boolean addField(String word, boolean hidden) {
        Field field = lookup(word);
        if (field != null) {
            if (field.id().equals("help") || field.id().equals("?")) {
                helpRequested = true;
            }
            columns.add(new Column(field, hidden));
            types.add(field.type());
            return true;
        }
        // "all" selects every field of the report's own type (every field when it has none);
        // "<type>_all" every field of that type.
        String canonical = word.replace("_", "").toLowerCase(Locale.ROOT);
        boolean all = canonical.equals("all");
        boolean matched = false;
        for (Type type : Type.values()) {
            String typeAll = type.prefix.replace("_", "") + "all";
            boolean selected = all ? allType == null || allType == type : canonical.equals(typeAll);
            if (type != Type.SPECIAL && selected) {
                for (Field f : FIELDS) {
                    if (f.type() == type) {
                        columns.add(new Column(f, hidden));
                        types.add(type);
                    }
                }
                matched = true;
            }
        }
        return matched;
    }

    private boolean addSortKey(String word) {
        boolean ascending = !word.startsWith("-");
        String name = word.startsWith("-") || word.startsWith("+") ? word.substring(1) : word;
        Field field = lookup(name);
        if (field == null) {
            return false;
        }
        int index = -1;
        for (int i = 0; i < columns.size(); i++) {
            if (columns.get(i).field() == field) {
                index = i;
                break;
            }
        }
        if (index < 0) {
            columns.add(new Column(field, true));
            types.add(field.type());
            index = columns.size() - 1;
        }
        keys.add(new SortKey(index, ascending));
        return true;
    }

    /** libdm's _is_same_field: underscores ignored, any case. */
    private static Field lookup(String word) {
        String canonical = word.replace("_", "");
        for (List<Field> fields : List.of(SPECIAL_FIELDS, FIELDS)) {
            for (Field f : fields) {
                if (f.canonicalId().equalsIgnoreCase(canonical)) {
                    return f;
                }
            }
        }
        return null;
    }

    /** True if a field of this type was chosen: the caller must then supply what it needs. */
    public boolean uses(Type type) {
        return types.contains(type);
    }

    /** {@code -o help}: the field list is printed and no rows are reported. */
    public boolean helpRequested() {
        return helpRequested;
    }

    /** The field list libdm prints for {@code -o help} and before "Unrecognised field". */
    public static String fieldHelp() {
        int idWidth = 0;
        for (Field f : FIELDS) {
            idWidth = Math.max(idWidth, f.id().length());
            idWidth = Math.max(idWidth, f.type().prefix.length() + 3);
        }
        for (Field f : SPECIAL_FIELDS) {
            idWidth = Math.max(idWidth, f.id().length());
        }
        StringBuilder out = new StringBuilder();
        describe(out, FIELDS, idWidth);
        out.append(" \n");
        describe(out, SPECIAL_FIELDS, idWidth);
        return out.toString();
    }

    private static void describe(StringBuilder out, List<Field> fields, int idWidth) {
        String last = "";
        for (Field f : fields) {
            String description = f.type().description;
            if (!description.equals(last)) {
                if (!last.isEmpty()) {
                    out.append(" \n");
                }
                String title = description + " Fields";
                out.append(title).append('\n').append("-".repeat(title.length())).append('\n');
                if (f.type() != Type.SPECIAL) {
                    out.append("  ").append(f.type().prefix).append("all")
                            .append(" ".repeat(idWidth - 3 - f.type().prefix.length()))
                            .append(" - All fields in this section.\n");
                }
            }
            out.append("  ").append(pad(f.id(), idWidth, false)).append(" - ").append(f.description()).append('\n');
            last = description;
        }
    }

    /** Adds the line of one object (nothing once help was requested). */
    public void add(ReportRow row) throws ReportException {
        if (helpRequested) {
            return;
        }
        String[] values = new String[columns.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = columns.get(i).field().value().of(row);
        }
        rows.add(values);
    }

    public boolean isEmpty() {
        return rows.isEmpty();
    }

    /** The report: headings (if any rows and headings are on), then the rows; rows are consumed. */
    public String output() {
        StringBuilder out = new StringBuilder();
        if (rows.isEmpty()) {
            return "";
        }
        sortRows();
        int[] widths = new int[columns.size()];
        for (int i = 0; i < widths.length; i++) {
            widths[i] = columns.get(i).field().width();
            for (String[] row : rows) {
                widths[i] = Math.max(widths[i], bytes(row[i]));
            }
        }
        if (settings.columnsAsRows()) {
            outputAsRows(out, widths);
        } else {
            outputAsColumns(out, widths);
        }
        rows.clear();
        return out.toString();
    }

    private void outputAsColumns(StringBuilder out, int[] widths) {
        if (settings.headings()) {
            StringBuilder line = new StringBuilder();
            for (int i : visibleColumns()) {
                if (line.length() > 0) {
                    line.append(settings.separator());
                }
                String heading = columns.get(i).field().heading();
                line.append(settings.aligned() ? pad(truncate(heading, widths[i]), widths[i], false) : heading);
            }
            out.append(line).append('\n');
        }
        for (String[] row : rows) {
            boolean first = true;
            for (int i : visibleColumns()) {
                if (!first) {
                    out.append(settings.separator());
                }
                first = false;
                field(out, i, row[i], widths);
            }
            out.append('\n');
        }
    }

    private void outputAsRows(StringBuilder out, int[] widths) {
        for (int i : visibleColumns()) {
            if (settings.headings()) {
                out.append(columns.get(i).field().heading()).append(settings.separator());
            }
            for (int r = 0; r < rows.size(); r++) {
                if (r > 0) {
                    out.append(settings.separator());
                }
                field(out, i, rows.get(r)[i], widths);
            }
            out.append('\n');
        }
    }

    private List<Integer> visibleColumns() {
        List<Integer> visible = new ArrayList<>();
        for (int i = 0; i < columns.size(); i++) {
            if (!columns.get(i).hidden()) {
                visible.add(i);
            }
        }
        return visible;
    }

    private void field(StringBuilder out, int column, String value, int[] widths) {
        Field field = columns.get(column).field();
        if (settings.namePrefixes()) {
            out.append("DM_").append(field.id().toUpperCase(Locale.ROOT)).append('=');
            if (settings.quoted()) {
                out.append('\'');
            }
        }
        out.append(settings.aligned() ? pad(value, widths[column], field.number()) : value);
        if (settings.namePrefixes() && settings.quoted()) {
            out.append('\'');
        }
    }

    private void sortRows() {
        if (keys.isEmpty()) {
            return;
        }
        Comparator<String[]> order = (a, b) -> 0;
        for (SortKey key : keys) {
            boolean number = columns.get(key.column()).field().number();
            Comparator<String[]> byKey = number
                    ? Comparator.comparing(row -> Long.parseLong(row[key.column()]))
                    : Comparator.comparing(row -> row[key.column()], Report::compareBytes);
            order = order.thenComparing(key.ascending() ? byKey : byKey.reversed());
        }
        rows.sort(order);
    }

    private static int compareBytes(String a, String b) {
        return java.util.Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }

    // ------------------------------------------------------------------ field values

    static String attr(DmInfo info) {
        return new String(new char[] {info.liveTable() ? 'L' : '-', info.inactiveTable() ? 'I' : '-',
            info.suspended() ? 's' : '-', info.readOnly() ? 'r' : 'w'});
    }

    private static String tablesLoaded(DmInfo info) {
        if (info.liveTable()) {
            return info.inactiveTable() ? "Both" : "Live";
        }
        return info.inactiveTable() ? "Inactive" : "None";
    }

    private static String mangled(String value, String what, NameMangling.Mode mode) throws ReportException {
        try {
            return NameMangling.mangle(value, what, mode);
        } catch (DmException e) {
            throw new ReportException(e.getMessage());
        }
    }

    /** Replies are already unmangled unless the mode is none, so only then is there work to do. */
    private static String unmangled(String value, String what, NameMangling.Mode mode) throws ReportException {
        if (mode != NameMangling.Mode.NONE) {
            return value;
        }
        try {
            return NameMangling.unmangle(value, what, false);
        } catch (DmException e) {
            throw new ReportException(e.getMessage());
        }
    }

    private static String kernelName(ReportRow row, int major, int minor) throws ReportException {
        String name = row.blockNames().kernelName(major, minor);
        if (name == null) {
            throw new ReportException("Could not resolve block device name for " + major + ":" + minor + ".");
        }
        return name;
    }

    private static String dependencyKernelNames(ReportRow row) throws ReportException {
        List<String> names = new ArrayList<>();
        for (String dev : row.dependencies()) {
            int[] number = DmInfo.majorMinor(dev);
            names.add(kernelName(row, number[0], number[1]));
        }
        return String.join(",", names);
    }

    private static String treeNames(ReportRow row, boolean users) {
        List<String> names = new ArrayList<>();
        for (DeviceTree.Node node : row.tree().children(row.node(), users)) {
            if (!node.name().isEmpty()) {
                names.add(node.name());
            }
        }
        return String.join(",", names);
    }

    private static String usersDevnos(ReportRow row) {
        List<String> devnos = new ArrayList<>();
        for (DeviceTree.Node node : row.tree().children(row.node(), true)) {
            if (node.major() != 0 || node.minor() != 0) {
                devnos.add(node.major() + ":" + node.minor());
            }
        }
        return String.join(",", devnos);
    }

    private static SplitName split(ReportRow row) {
        return row.split() != null ? row.split() : SplitName.ofDevice(row.info().uuid(), row.info().name());
    }

    // ------------------------------------------------------------------ byte-counted padding

    private static int bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    private static String truncate(String s, int width) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return b.length <= width ? s : new String(b, 0, width, StandardCharsets.UTF_8);
    }

    private static String pad(String s, int width, boolean right) {
        int missing = width - bytes(s);
        if (missing <= 0) {
            return s;
        }
        return right ? " ".repeat(missing) + s : s + " ".repeat(missing);
    }
}

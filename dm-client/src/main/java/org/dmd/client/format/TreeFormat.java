package org.dmd.client.format;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * {@code dmsetup ls --tree}: the drawing of a {@link DeviceTree}, byte for byte as dmsetup's
 * tree code draws it — glyph sets, compact mode, attributes, and truncation of long lines at the
 * terminal width (counting UTF-8 characters, ending cut lines in "...").
 */
public final class TreeFormat {

    /** The four two-column glyphs and the two three-column ones of one symbol set. */
    public record Symbols(String empty2, String branch2, String vertical2, String last2, String single3,
                          String first3) {
        public static final Symbols ASCII = new Symbols("  ", "|-", "| ", "`-", "---", "-+-");
        public static final Symbols UTF8 = new Symbols("  ", "\u251c\u2500", "\u2502 ", "\u2514\u2500",
                "\u2500\u2500\u2500", "\u2500\u252c\u2500");
        private static final String VT_BEGIN = "\033(0\017";
        private static final String VT_END = "\033(B";
        public static final Symbols VT100 = new Symbols("  ", VT_BEGIN + "tq" + VT_END, VT_BEGIN + "x" + VT_END + " ",
                VT_BEGIN + "mq" + VT_END, VT_BEGIN + "qqq" + VT_END, VT_BEGIN + "qwq" + VT_END);
    }

    /** The tree options of {@code -o} ({@code device} and truncation are on by default). */
    public static final class Options {
        public boolean device = true;
        public boolean blockDeviceName;
        public boolean active;
        public boolean readWrite;
        public boolean openCount;
        public boolean uuid;
        public boolean compact;
        public boolean truncate = true;
        public boolean inverted;
        public boolean table;
        public boolean status;
        public Symbols symbols = Symbols.ASCII;
        public int width = 80;

        boolean printsAttributes() {
            return active || readWrite || openCount || uuid;
        }

        boolean printsCompact() {
            return compact && !printsAttributes() && !table && !status;
        }

        /**
         * Parses dmsetup's comma-separated tree options; each word may be abbreviated (the first
         * option it is a prefix of wins). Returns the unrecognised rest, or null if all were understood.
         */
        public String parse(String options, boolean utf8Locale) {
            symbols = utf8Locale ? Symbols.UTF8 : Symbols.ASCII;
            return Formats.optionWords(options, this::apply);
        }

        private boolean apply(String word) {
            if ("device".startsWith(word)) {
                device = true;
            } else if ("blkdevname".startsWith(word)) {
                blockDeviceName = true;
            } else if ("nodevice".startsWith(word)) {
                device = false;
            } else if ("status".startsWith(word)) {
                status = true;
            } else if ("table".startsWith(word)) {
                table = true;
            } else if ("active".startsWith(word)) {
                active = true;
            } else if ("open".startsWith(word)) {
                openCount = true;
            } else if ("uuid".startsWith(word)) {
                uuid = true;
            } else if ("rw".startsWith(word)) {
                readWrite = true;
            } else if ("utf".startsWith(word)) {
                symbols = Symbols.UTF8;
            } else if ("vt100".startsWith(word)) {
                symbols = Symbols.VT100;
            } else if ("ascii".startsWith(word)) {
                symbols = Symbols.ASCII;
            } else if ("inverted".startsWith(word)) {
                inverted = true;
            } else if ("compact".startsWith(word)) {
                compact = true;
            } else if ("notrunc".startsWith(word)) {
                truncate = false;
            } else {
                return false;
            }
            return true;
        }
    }

    private static final int MAX_DEPTH = 100;

    private final DeviceTree tree;
    private final BlockNames blockNames;
    private final Options options;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final int[] width = new int[MAX_DEPTH];
    private final boolean[] more = new boolean[MAX_DEPTH];
    /** The column the next character goes to, from 1. */
    private int column = 1;
    /** A character held back at the right margin, printed only if the line ends there. */
    private int heldBack;

    private TreeFormat(DeviceTree tree, BlockNames blockNames, Options options) {
        this.tree = tree;
        this.blockNames = blockNames;
        this.options = options;
    }

    public static String draw(DeviceTree tree, BlockNames blockNames, Options options) {
        TreeFormat format = new TreeFormat(tree, blockNames, options);
        format.walkChildren(tree.root(), 0);
        return format.out.toString(StandardCharsets.UTF_8);
    }

    private void walkChildren(DeviceTree.Node node, int depth) {
        List<DeviceTree.Node> children = tree.children(node, options.inverted);
        for (int i = 0; i < children.size(); i++) {
            DeviceTree.Node child = children.get(i);
            boolean hasChildren = tree.childCount(child, options.inverted) > 0;
            drawNode(child, depth, i == children.size() - 1, hasChildren);
            if (hasChildren) {
                walkChildren(child, depth + 1);
            }
        }
    }

    private void drawNode(DeviceTree.Node node, int depth, boolean lastChild, boolean hasChildren) {
        if (depth + 2 > MAX_DEPTH) {
            return;
        }
        String name = node.name();
        if (name.isEmpty() && !options.device && !options.blockDeviceName) {
            return;
        }
        boolean compact = options.printsCompact();
        more[depth] = !lastChild;
        width[depth] = 0;
        boolean firstOnLine = column == 1;
        if (!compact || firstOnLine) {
            prefix(depth);
        }
        int offset = column;
        if (compact && !firstOnLine) {
            string(more[depth] ? options.symbols.first3() : options.symbols.single3());
        }
        string(name);
        String kernelName = blockNames.kernelName(node.major(), node.minor());
        if (options.blockDeviceName && kernelName != null) {
            string(" <");
            string(kernelName);
            character('>');
        }
        if (options.device) {
            string(" (");
            string(Integer.toString(node.major()));
            character(':');
            string(Integer.toString(node.minor()));
            character(')');
        }
        if (options.printsAttributes()) {
            attributes(node);
        }
        if (compact) {
            width[depth] = column - offset;
        }
        if (!compact || !hasChildren) {
            newline();
        }
        if (options.table || options.status) {
            more[depth + 1] = hasChildren;
        }
    }

    private void attributes(DeviceTree.Node node) {
        DmInfo info = node.info();
        if (info == null) {
            return;
        }
        int count = 0;
        if (options.active) {
            string(count++ > 0 ? ", " : " [");
            string(info.suspended() ? "SUSPENDED" : "ACTIVE");
        }
        if (options.readWrite) {
            string(count++ > 0 ? ", " : " [");
            string(info.readOnly() ? "RO" : "RW");
        }
        if (options.openCount) {
            string(count++ > 0 ? ", " : " [");
            string(Integer.toString(info.openCount()));
        }
        if (options.uuid) {
            string(count++ > 0 ? ", " : " [");
            string(node.uuid());
        }
        if (count > 0) {
            character(']');
        }
    }

    private void prefix(int depth) {
        for (int d = 0; d < depth; d++) {
            for (int x = width[d] + 1; x > 0; x--) {
                character(' ');
            }
            Symbols s = options.symbols;
            string(d == depth - 1 ? (!more[depth] ? s.last2() : s.branch2()) : (more[d + 1] ? s.vertical2() : s.empty2()));
        }
    }

    private void string(String text) {
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            character(b & 0xFF);
        }
    }

    /** dmsetup's _out_char: counts lead bytes only; past the margin prints "..." once, or holds one last ASCII char. */
    private void character(int c) {
        boolean lead = (c & 0xC0) != 0x80;
        if (lead) {
            column++;
        }
        if (!options.truncate) {
            out.write(c);
            return;
        }
        if (column <= options.width) {
            out.write(c);
        }
        if (column == options.width + 1 && lead) {
            if (heldBack != 0 || (c & 0x80) != 0) {
                out.write('.');
                out.write('.');
                out.write('.');
            } else {
                heldBack = c;
                column--;
            }
        }
    }

    private void newline() {
        if (heldBack != 0 && column == options.width) {
            out.write(heldBack);
        }
        heldBack = 0;
        out.write('\n');
        column = 1;
    }
}

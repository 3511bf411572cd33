package org.dmd.client.format;

import java.util.List;
import org.dmd.core.control.Replies.TargetLine;

/**
 * {@code dmsetup table} and {@code dmsetup status} (dmsetup.c: _display_status), and {@code ls --target}:
 * one line per target, {@code NAME: } prefixes for several devices, crypt and integrity keys
 * hidden unless asked, a target type filter, {@code -v} info blocks, and the one-line
 * {@code --concise} form with its backslash escapes.
 *
 * <p>Holds whether concise output was started, so one instance formats one command. Not thread-safe.
 */
public final class TableFormat {

    private final boolean table;
    private final boolean concise;
    private final boolean showKeys;
    private final String targetType;
    private final int verbose;
    private boolean conciseStarted;

    /**
     * @param table table lines (keys may be hidden; {@code --concise} applies), else status lines
     * @param targetType only lines of this target type (null: all)
     * @param verbose the {@code -v} count: an info block precedes each device's lines
     */
    public TableFormat(boolean table, boolean concise, boolean showKeys, String targetType, int verbose) {
        this.table = table;
        this.concise = table && concise;
        this.showKeys = showKeys;
        this.targetType = targetType;
        this.verbose = verbose;
    }

    /** The lines of one device; a device without targets is one (empty or prefixed) line. */
    public void device(StringBuilder out, DmInfo info, List<TargetLine> targets, boolean multiple) {
        String name = info.name();
        boolean matched = false;
        int count = Math.max(1, targets.size());
        for (int i = 0; i < count; i++) {
            TargetLine target = i < targets.size() ? targets.get(i) : null;
            if (targetType != null && (target == null || !targetType.equals(target.type()))) {
                continue;
            }
            if (!concise) {
                if (!matched && verbose > 0) {
                    InfoFormat.longForm(out, info);
                }
                if (multiple && verbose == 0) {
                    out.append(name).append(": ");
                }
            } else if (!matched) {
                if (conciseStarted) {
                    out.append(';');
                }
                conciseStarted = true;
                quoted(out, name);
                out.append(',');
                quoted(out, info.uuid());
                out.append(',').append(info.minor()).append(',').append(info.readOnly() ? "ro" : "rw");
            }
            if (target != null) {
                String text = target.text() == null ? "" : target.text();
                if (table && !showKeys) {
                    text = hideKeys(target.type(), text);
                }
                if (concise) {
                    out.append(',');
                }
                out.append(target.start()).append(' ').append(target.length()).append(' ').append(target.type())
                        .append(' ');
                if (concise) {
                    quoted(out, text);
                } else {
                    out.append(text);
                }
            }
            if (!concise) {
                out.append('\n');
            }
            matched = true;
        }
        if (multiple && verbose > 0 && matched && (!concise || verbose > 1)) {
            out.append('\n');
        }
    }

    /** Ends the command's output: concise output is one line, finished here. */
    public void finish(StringBuilder out) {
        if (conciseStarted) {
            out.append('\n');
        }
    }

    /** {@code ls --target TYPE}: {@code NAME\t(MAJ, MIN)} for a device having a target of that type. */
    public static void listMatching(StringBuilder out, DmInfo info, List<TargetLine> targets, String targetType) {
        int count = Math.max(1, targets.size());
        for (int i = 0; i < count; i++) {
            TargetLine target = i < targets.size() ? targets.get(i) : null;
            if (targetType != null && (target == null || !targetType.equals(target.type()))) {
                continue;
            }
            out.append(info.name()).append("\t(").append(info.major()).append(", ").append(info.minor()).append(")\n");
            return;
        }
    }

    /** Backslash before each of {@code , ; \}, the characters the concise format gives meaning to. */
    static void quoted(StringBuilder out, String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == ',' || c == ';' || c == '\\') {
                out.append('\\');
            }
            out.append(c);
        }
    }

    /**
     * The key of a crypt table (its second word, unless a kernel keyring reference starting with
     * ':') and the keys of integrity's internal_hash, journal_crypt and journal_mac become zeros.
     */
    static String hideKeys(String type, String params) {
        char[] c = params.toCharArray();
        if ("crypt".equals(type)) {
            int i = 0;
            while (i < c.length && c[i] != ' ') {
                i++;
            }
            if (i < c.length) {
                i++;
            }
            if (i >= c.length || c[i] != ':') {
                while (i < c.length && c[i] != ' ') {
                    c[i++] = '0';
                }
            }
        } else if ("integrity".equals(type)) {
            hideKey(c, params, "internal_hash:");
            hideKey(c, params, "journal_crypt:");
            hideKey(c, params, "journal_mac:");
        }
        return new String(c);
    }

    private static void hideKey(char[] c, String params, String name) {
        int at = params.indexOf(name);
        if (at < 0) {
            return;
        }
        int i = at + name.length();
        while (i < c.length && c[i] != ' ' && c[i] != ':') {
            i++;
        }
        if (i >= c.length || c[i] != ':') {
            return;
        }
        i++;
        while (i < c.length && c[i] != ' ') {
            c[i++] = '0';
        }
    }
}

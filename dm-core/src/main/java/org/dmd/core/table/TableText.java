package org.dmd.core.table;

import java.util.ArrayList;
import java.util.List;
import org.dmd.core.control.Requests.TargetSpec;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;

/**
 * dmsetup's table text ({@code START LENGTH TYPE PARAMS}, one target per line), parsed as dmsetup
 * parses it: surrounding white space trimmed, blank lines and lines starting with {@code #}
 * skipped, anything after a {@code #} inside the parameters dropped.
 */
public final class TableText {

    private TableText() {
    }

    public static List<TargetSpec> parse(String text) throws DmException {
        List<TargetSpec> specs = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.charAt(0) == '#') {
                continue;
            }
            specs.add(parseLine(line, i + 1));
        }
        return specs;
    }

    private static TargetSpec parseLine(String line, int number) throws DmException {
        int[] at = {0};
        String start = field(line, at);
        String length = field(line, at);
        String type = field(line, at);
        if (type.isEmpty() || !isUnsigned(start) || !isUnsigned(length)) {
            throw new DmException(Errno.EINVAL, "Invalid format on line %d of table: %s", number, line);
        }
        String params = line.substring(at[0]);
        int comment = params.indexOf('#');
        if (comment >= 0) {
            params = params.substring(0, comment);
        }
        try {
            return new TargetSpec(Long.parseUnsignedLong(start), Long.parseUnsignedLong(length), type, params);
        } catch (NumberFormatException e) {
            throw new DmException(Errno.EINVAL, "Invalid format on line %d of table: %s", number, line);
        }
    }

    /** The next white-space separated field from {@code at[0]}, leaving {@code at[0]} after the blanks following it. */
    private static String field(String line, int[] at) {
        int i = at[0];
        int begin = i;
        while (i < line.length() && !Arguments.isSpace(line.charAt(i))) {
            i++;
        }
        String field = line.substring(begin, i);
        while (i < line.length() && Arguments.isSpace(line.charAt(i))) {
            i++;
        }
        at[0] = i;
        return field;
    }

    private static boolean isUnsigned(String s) {
        return !s.isEmpty() && s.length() <= 20 && s.chars().allMatch(c -> c >= '0' && c <= '9');
    }

    /** One target as dmsetup prints it in {@code table}: {@code START LENGTH TYPE STRING}. */
    public static String format(long start, long length, String type, String text) {
        return start + " " + length + " " + type + " " + text;
    }
}

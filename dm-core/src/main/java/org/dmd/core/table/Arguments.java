package org.dmd.core.table;

import java.util.ArrayList;
import java.util.List;

/** Splits a parameter or message string into arguments the kernel's way ({@code dm_split_args}). */
public final class Arguments {

    private Arguments() {
    }

    /**
     * Runs of white space separate arguments; a backslash makes the next character literal (and
     * is dropped), except a backslash at the very end, which is kept.
     */
    public static List<String> split(String text) {
        List<String> args = new ArrayList<>();
        int i = 0;
        int n = text.length();
        StringBuilder arg = new StringBuilder();
        while (true) {
            while (i < n && isSpace(text.charAt(i))) {
                i++;
            }
            if (i == n) {
                return args;
            }
            arg.setLength(0);
            while (i < n) {
                char c = text.charAt(i);
                if (c == '\\' && i + 1 < n) {
                    arg.append(text.charAt(i + 1));
                    i += 2;
                } else if (isSpace(c)) {
                    break;
                } else {
                    arg.append(c);
                    i++;
                }
            }
            args.add(arg.toString());
        }
    }

    /** C's {@code isspace} in the C locale. */
    static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\u000b' || c == '\f' || c == '\r';
    }
}

package org.dmd.core.module;

import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;

/** kmod's name rules (libkmod: modname_normalize, alias_normalize) and the fnmatch subset its aliases use. */
final class ModuleNames {

    /** MODULE_NAME_LEN on 64-bit, without the NUL. */
    static final int MAX_NAME_LENGTH = 55;

    private ModuleNames() {
    }

    /** {@code modname_normalize}: every {@code -} becomes {@code _}. */
    static String canonical(String name) {
        return name.replace('-', '_');
    }

    /** The module name of a file: base name up to the first dot, normalised ({@code dm-mirror.ko.xz} → {@code dm_mirror}). */
    static String ofPath(String path) {
        String base = path.substring(path.lastIndexOf('/') + 1);
        int dot = base.indexOf('.');
        return canonical(dot < 0 ? base : base.substring(0, dot));
    }

    /**
     * {@code alias_normalize}: {@code -} becomes {@code _} except inside {@code [...]}.
     *
     * @throws DmException EINVAL for an unmatched {@code ]} or an unterminated {@code [}
     */
    static String alias(String alias) throws DmException {
        StringBuilder out = new StringBuilder(alias.length());
        boolean inBrackets = false;
        for (int i = 0; i < alias.length(); i++) {
            char c = alias.charAt(i);
            if (c == '[') {
                if (inBrackets) {
                    throw badAlias(alias);
                }
                inBrackets = true;
            } else if (c == ']') {
                if (!inBrackets) {
                    throw badAlias(alias);
                }
                inBrackets = false;
            } else if (c == '-' && !inBrackets) {
                c = '_';
            }
            out.append(c);
        }
        if (inBrackets) {
            throw badAlias(alias);
        }
        return out.toString();
    }

    private static DmException badAlias(String alias) {
        return new DmException(Errno.EINVAL, "invalid alias '%s': unbalanced brackets", alias);
    }

    /** Shell-style match of {@code text} against {@code pattern} ({@code *}, {@code ?}, {@code [a-z]}, {@code [!x]}). */
    static boolean matches(String pattern, String text) {
        return matches(pattern, 0, text, 0);
    }

    private static boolean matches(String pattern, int p, String text, int t) {
        while (p < pattern.length()) {
            char c = pattern.charAt(p);
            if (c == '*') {
                for (int k = t; k <= text.length(); k++) {
                    if (matches(pattern, p + 1, text, k)) {
                        return true;
                    }
                }
                return false;
            }
            if (t >= text.length()) {
                return false;
            }
            if (c == '[') {
                int close = pattern.indexOf(']', p + 2);
                if (close < 0) {
                    return false;
                }
                if (!inClass(pattern.substring(p + 1, close), text.charAt(t))) {
                    return false;
                }
                p = close + 1;
            } else {
                if (c != '?' && c != text.charAt(t)) {
                    return false;
                }
                p++;
            }
            t++;
        }
        return t == text.length();
    }

    private static boolean inClass(String set, char c) {
        boolean negate = !set.isEmpty() && (set.charAt(0) == '!' || set.charAt(0) == '^');
        int i = negate ? 1 : 0;
        boolean found = false;
        while (i < set.length()) {
            char lo = set.charAt(i);
            if (i + 2 < set.length() && set.charAt(i + 1) == '-') {
                found |= lo <= c && c <= set.charAt(i + 2);
                i += 3;
            } else {
                found |= lo == c;
                i++;
            }
        }
        return found != negate;
    }
}

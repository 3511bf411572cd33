package org.dmd.core.target.support;

import java.util.OptionalLong;

/**
 * The two ways target constructors read numbers in the kernel, with their differences kept:
 * {@code sscanf(arg, "%u%c")} / {@code "%llu%c"} and {@code kstrtouint}.
 *
 * <p>Both reject signs other than those listed, any trailing character, and an empty string. A
 * value that does not fit is rejected too; the kernel's {@code sscanf} would silently wrap it,
 * which no sane table relies on.
 */
public final class Numbers {

    /** The largest sector number dmd represents (sector counts are signed 64-bit in Java). */
    public static final long MAX_SECTOR = Long.MAX_VALUE;

    private Numbers() {
    }

    /**
     * {@code sscanf(text, "%u%c") == 1} (or {@code %llu}): leading white space is skipped, then
     * decimal digits and nothing else; no sign.
     */
    public static OptionalLong scan(String text, long max) {
        int i = 0;
        while (i < text.length() && isKernelSpace(text.charAt(i))) {
            i++;
        }
        return digits(text, i, text.length(), max);
    }

    /** {@code sscanf(text, "%u%c") == 1}: an unsigned 32-bit value. */
    public static OptionalLong scanUnsignedInt(String text) {
        return scan(text, ArgBounds.UINT_MAX);
    }

    /** {@code sscanf(text, "%llu%c") == 1} for a sector number. */
    public static OptionalLong scanSector(String text) {
        return scan(text, MAX_SECTOR);
    }

    /**
     * {@code kstrtouint(text, 10, &v) == 0}: an optional {@code +}, decimal digits and at most
     * one trailing newline; no white space; overflow is an error.
     */
    public static OptionalLong kstrtouint(String text) {
        int start = text.startsWith("+") ? 1 : 0;
        int end = text.endsWith("\n") ? text.length() - 1 : text.length();
        return start <= end ? digits(text, start, end, ArgBounds.UINT_MAX) : OptionalLong.empty();
    }

    private static OptionalLong digits(String text, int start, int end, long max) {
        if (start >= end) {
            return OptionalLong.empty();
        }
        long value = 0;
        for (int i = start; i < end; i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return OptionalLong.empty();
            }
            int digit = c - '0';
            if (value > (max - digit) / 10) {
                return OptionalLong.empty();
            }
            value = value * 10 + digit;
        }
        return OptionalLong.of(value);
    }

    /** The kernel's {@code isspace}: space, \t, \n, \v, \f, \r. */
    private static boolean isKernelSpace(char c) {
        return c == ' ' || (c >= '\t' && c <= '\r');
    }
}

package org.dmd.core.target.support;

/**
 * The bounds of one numeric table argument and the text the kernel reports when it is out of
 * them ({@code struct dm_arg}). Values are unsigned 32-bit, as {@code dm_read_arg} reads them.
 */
public record ArgBounds(long min, long max, String error) {

    /** The largest value an unsigned 32-bit argument can take ({@code UINT_MAX}). */
    public static final long UINT_MAX = 0xFFFF_FFFFL;

    public ArgBounds {
        if (min < 0 || max > UINT_MAX || min > max) {
            throw new IllegalArgumentException("bounds " + min + ".." + max + " are not unsigned 32-bit");
        }
    }

    public boolean contains(long value) {
        return value >= min && value <= max;
    }
}

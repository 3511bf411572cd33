package org.dmd.core.target;

/** A type's version triple, printed {@code major.minor.patch} as in {@code dmsetup targets}. */
public record Version(int major, int minor, int patch) {

    public static Version of(int major, int minor, int patch) {
        return new Version(major, minor, patch);
    }

    @Override
    public String toString() {
        return major + "." + minor + "." + patch;
    }
}

package org.dmd.core.target.support;

import java.util.Objects;
import org.dmd.core.registry.RegisteredType;
import org.dmd.core.target.Version;

/**
 * The part every registered type shares: its name and version, fixed at construction. Dirty-log
 * and exception-store types carry no version in the kernel; they use {@link #NamedType(String)},
 * report 0.0.0 and are named without a version. Immutable.
 */
public abstract class NamedType implements RegisteredType {

    private static final Version NO_VERSION = Version.of(0, 0, 0);

    private final String name;
    private final Version version;
    private final boolean versioned;

    /** A type its module announces with a version (targets, path selectors). */
    protected NamedType(String name, Version version) {
        this(name, version, true);
    }

    /** A type without a version of its own (dirty logs, exception stores). */
    protected NamedType(String name) {
        this(name, NO_VERSION, false);
    }

    private NamedType(String name, Version version, boolean versioned) {
        this.name = Objects.requireNonNull(name);
        this.version = Objects.requireNonNull(version);
        this.versioned = versioned;
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final Version version() {
        return version;
    }

    @Override
    public String toString() {
        return versioned ? name + " v" + version : name;
    }
}

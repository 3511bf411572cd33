package org.dmd.core.registry;

import org.dmd.core.target.Version;

/** What a type registry holds: a named, versioned type provided by a module. */
public interface RegisteredType {

    /** The unique name within its registry, e.g. {@code linear}, {@code round-robin}, {@code core}. */
    String name();

    Version version();
}

package org.dmd.core.module;

import org.dmd.core.errno.DmException;
import org.dmd.core.registry.RegisteredType;

/** One type registry as seen by the module that owns the types it registers there. */
public interface Registration<T extends RegisteredType> {

    /** Registers a type; a name already registered gives EBUSY (EEXIST under the legacy policy). */
    void register(T type) throws DmException;

    /** Unregisters a type this module registered; the errno rules are the registry's own. */
    void unregister(T type) throws DmException;
}

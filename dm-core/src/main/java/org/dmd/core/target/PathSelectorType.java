package org.dmd.core.target;

import java.util.List;
import org.dmd.core.errno.DmException;
import org.dmd.core.registry.RegisteredType;

/** A multipath path selector type ({@code struct path_selector_type}). */
public interface PathSelectorType extends RegisteredType {

    /** Number of per-path words the selector prints in a table ({@code table_args}). */
    int tableArgs();

    /** Number of per-path words the selector prints in a status ({@code info_args}). */
    int infoArgs();

    /** Creates a selector instance from its selector arguments ({@code ->create}); bad args EINVAL. */
    PathSelector create(List<String> args) throws DmException;
}

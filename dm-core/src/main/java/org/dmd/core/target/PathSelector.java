package org.dmd.core.target;

import java.util.List;
import org.dmd.core.errno.DmException;

/** One path-selector instance inside a multipath priority group. */
public interface PathSelector {

    /** Adds a path with its per-path arguments ({@code ->add_path}); bad args EINVAL. */
    void addPath(TableDevice path, List<String> args) throws DmException;

    /** The selector's table text for one path (its per-path arguments), without leading space. */
    String pathTable(TableDevice path);

    /** The selector's status text for one path, without leading space. */
    String pathStatus(TableDevice path);

    /** The selector's own table arguments, e.g. {@code "0"} (count then args), without leading space. */
    String table();
}

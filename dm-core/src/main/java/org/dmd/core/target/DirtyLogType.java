package org.dmd.core.target;

import java.util.List;
import org.dmd.core.errno.DmException;
import org.dmd.core.registry.RegisteredType;

/** A mirror dirty-log type ({@code struct dm_dirty_log_type}): {@code core}, {@code disk}, ... */
public interface DirtyLogType extends RegisteredType {

    /**
     * Creates a log for a mirror of {@code targetLength} sectors ({@code ->ctr}); the log may
     * open devices through {@code context}. Bad arguments fail with EINVAL.
     */
    DirtyLog create(TargetContext context, long targetLength, List<String> args) throws DmException;
}

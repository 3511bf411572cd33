package org.dmd.core.target;

import java.util.List;
import java.util.Set;
import org.dmd.core.errno.DmException;
import org.dmd.core.registry.RegisteredType;

/**
 * A target type ({@code struct target_type}): registered by a module in the target registry and
 * asked to construct one {@link Target} per table line that names it.
 */
public interface TargetType extends RegisteredType {

    default Set<TargetFeature> features() {
        return Set.of();
    }

    /**
     * The constructor ({@code ->ctr}). {@code args} are the table line's parameters split the
     * kernel's way. Bad arguments fail with EINVAL and a message that names the argument, as the
     * kernel's {@code ti->error} does. Devices and types taken through {@code context} are
     * released by the table, also when the constructor fails.
     */
    Target construct(TargetContext context, List<String> args) throws DmException;
}

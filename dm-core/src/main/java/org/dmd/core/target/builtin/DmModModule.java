package org.dmd.core.target.builtin;

import java.util.List;
import org.dmd.core.target.support.TypeModule;
import org.dmd.core.target.support.TypeRegistration;

/**
 * {@code dm-mod}, the device-mapper core. Its init registers the built-in targets in the
 * kernel's order: {@code error} (dm_target_init), {@code linear}, {@code striped}. Registries
 * list newest first, so LIST_VERSIONS reports striped, linear, error.
 */
public final class DmModModule extends TypeModule {

    public DmModModule() {
        super("dm-mod", List.of(), List.of(
                TypeRegistration.target(ErrorTarget.TYPE),
                TypeRegistration.target(LinearTarget.TYPE),
                TypeRegistration.target(StripedTarget.TYPE)));
    }
}

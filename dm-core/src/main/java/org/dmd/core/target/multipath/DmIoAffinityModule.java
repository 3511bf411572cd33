package org.dmd.core.target.multipath;

import java.util.List;
import org.dmd.core.target.support.TypeModule;
import org.dmd.core.target.support.TypeRegistration;

/** {@code dm-io-affinity}: registers the {@code io-affinity} path selector, sized to this machine's CPUs. */
public final class DmIoAffinityModule extends TypeModule {

    public DmIoAffinityModule() {
        super("dm-io-affinity", List.of("dm-multipath"),
                List.of(TypeRegistration.pathSelector(IoAffinitySelectorType.forThisMachine())));
    }
}

package org.dmd.core.target.multipath;

import java.util.List;
import org.dmd.core.target.support.TypeModule;
import org.dmd.core.target.support.TypeRegistration;

/** {@code dm-round-robin}: registers the {@code round-robin} path selector. */
public final class DmRoundRobinModule extends TypeModule {

    public DmRoundRobinModule() {
        super("dm-round-robin", List.of("dm-multipath"),
                List.of(TypeRegistration.pathSelector(RepeatCountSelectorType.ROUND_ROBIN)));
    }
}

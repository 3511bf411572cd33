package org.dmd.core.target.multipath;

import java.util.List;
import org.dmd.core.target.support.TypeModule;
import org.dmd.core.target.support.TypeRegistration;

/** {@code dm-service-time}: registers the {@code service-time} path selector. */
public final class DmServiceTimeModule extends TypeModule {

    public DmServiceTimeModule() {
        super("dm-service-time", List.of("dm-multipath"),
                List.of(TypeRegistration.pathSelector(ServiceTimeSelectorType.INSTANCE)));
    }
}

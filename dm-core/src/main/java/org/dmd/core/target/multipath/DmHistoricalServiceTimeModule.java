package org.dmd.core.target.multipath;

import java.util.List;
import org.dmd.core.target.support.TypeModule;
import org.dmd.core.target.support.TypeRegistration;

/** {@code dm-historical-service-time}: registers the {@code historical-service-time} path selector. */
public final class DmHistoricalServiceTimeModule extends TypeModule {

    public DmHistoricalServiceTimeModule() {
        super("dm-historical-service-time", List.of("dm-multipath"),
                List.of(TypeRegistration.pathSelector(HistoricalServiceTimeSelectorType.INSTANCE)));
    }
}

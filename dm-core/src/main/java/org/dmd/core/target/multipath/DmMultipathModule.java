package org.dmd.core.target.multipath;

import java.util.List;
import org.dmd.core.target.support.TypeModule;
import org.dmd.core.target.support.TypeRegistration;

/** {@code dm-multipath}: registers the {@code multipath} target; path selectors come in their own modules. */
public final class DmMultipathModule extends TypeModule {

    public DmMultipathModule() {
        super("dm-multipath", List.of("dm-mod"),
                List.of(TypeRegistration.target(MultipathTarget.TYPE)));
    }
}

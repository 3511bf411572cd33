package org.dmd.core.target.zero;

import java.util.List;
import org.dmd.core.target.support.TypeModule;
import org.dmd.core.target.support.TypeRegistration;

/** {@code dm-zero}: registers the {@code zero} target. */
public final class DmZeroModule extends TypeModule {

    public DmZeroModule() {
        super("dm-zero", List.of("dm-mod"), List.of(TypeRegistration.target(ZeroTarget.TYPE)));
    }
}

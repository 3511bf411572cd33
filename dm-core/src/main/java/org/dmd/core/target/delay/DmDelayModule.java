package org.dmd.core.target.delay;

import java.util.List;
import org.dmd.core.target.support.TypeModule;
import org.dmd.core.target.support.TypeRegistration;

/** {@code dm-delay}: registers the {@code delay} target. */
public final class DmDelayModule extends TypeModule {

    public DmDelayModule() {
        super("dm-delay", List.of("dm-mod"), List.of(TypeRegistration.target(DelayTarget.TYPE)));
    }
}

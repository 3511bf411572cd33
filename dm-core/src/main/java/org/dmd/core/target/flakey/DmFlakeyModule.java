package org.dmd.core.target.flakey;

import java.util.List;
import org.dmd.core.target.support.TypeModule;
import org.dmd.core.target.support.TypeRegistration;

/** {@code dm-flakey}: registers the {@code flakey} target. */
public final class DmFlakeyModule extends TypeModule {

    public DmFlakeyModule() {
        super("dm-flakey", List.of("dm-mod"), List.of(TypeRegistration.target(FlakeyTarget.TYPE)));
    }
}

package org.dmd.core.target.mirror;

import java.util.List;
import org.dmd.core.target.support.TypeModule;
import org.dmd.core.target.support.TypeRegistration;

/** {@code dm-mirror}: registers the {@code mirror} target; uses dm-region-hash and dm-log. */
public final class DmMirrorModule extends TypeModule {

    public DmMirrorModule() {
        super("dm-mirror", List.of("dm-region-hash", "dm-log", "dm-mod"),
                List.of(TypeRegistration.target(MirrorTarget.TYPE)));
    }
}

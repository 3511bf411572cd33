package org.dmd.core.target.mirror;

import java.util.List;
import org.dmd.core.target.support.TypeModule;
import org.dmd.core.target.support.TypeRegistration;

/** {@code dm-log}: registers the {@code core} then the {@code disk} dirty log (core rolled back if disk fails). */
public final class DmLogModule extends TypeModule {

    public DmLogModule() {
        super("dm-log", List.of("dm-mod"), List.of(
                TypeRegistration.dirtyLog(RegionLogType.CORE),
                TypeRegistration.dirtyLog(RegionLogType.DISK)));
    }
}

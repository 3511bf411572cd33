package org.dmd.core.target.mirror;

import java.util.List;
import org.dmd.core.target.support.TypeModule;

/** {@code dm-region-hash}: a library module for dm-mirror; it registers no types. */
public final class DmRegionHashModule extends TypeModule {

    public DmRegionHashModule() {
        super("dm-region-hash", List.of("dm-log"), List.of());
    }
}

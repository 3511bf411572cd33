package org.dmd.core.testing;

import java.util.Set;
import org.dmd.core.control.DeviceMapper;
import org.dmd.core.errno.DmException;
import org.dmd.core.target.Target;
import org.dmd.core.target.TargetFeature;
import org.dmd.core.target.TargetType;
import org.dmd.core.target.Version;
import org.dmd.core.target.support.BasicTargetType;

/**
 * Target types with the feature flags no shipped target has (always-writeable, immutable without
 * singleton, request-based without being multipath), registered in a DeviceMapper's target
 * registry as if built into dm-mod, so table rules can be tested one at a time.
 */
public final class TestTargets {

    private TestTargets() {
    }

    /** A type whose targets take no arguments, map nothing and print empty table and status text. */
    public static TargetType type(String name, Set<TargetFeature> features, boolean requestBased) {
        return new BasicTargetType(name, Version.of(1, 0, 0), features, (context, args) -> new Target() {
            @Override
            public String table() {
                return "";
            }

            @Override
            public boolean requestBased() {
                return requestBased;
            }
        });
    }

    /** Registers {@code type} as owned by the built-in dm-mod: always present, never pinning a module. */
    public static void registerBuiltin(DeviceMapper dm, TargetType type) throws DmException {
        dm.modules().registries().targets().register(type, dm.modules().find("dm_mod").orElseThrow());
    }
}

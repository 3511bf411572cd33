package org.dmd.core.target.multipath;

import java.util.List;
import java.util.OptionalLong;
import org.dmd.core.target.PathSelector;
import org.dmd.core.target.Version;
import org.dmd.core.target.support.Numbers;
import org.dmd.core.target.support.TargetErrors;

/**
 * {@code service-time}: per path {@code [<repeat count> [<relative throughput 0..100>]]}
 * (defaults 1 and 1). Table {@code REPEAT THROUGHPUT}; status {@code IN-FLIGHT-SIZE THROUGHPUT},
 * in-flight 0 at rest. Immutable, and so are its instances.
 */
public final class ServiceTimeSelectorType extends SelectorType {

    public static final ServiceTimeSelectorType INSTANCE = new ServiceTimeSelectorType();

    private static final long MAX_RELATIVE_THROUGHPUT = 100;

    private ServiceTimeSelectorType() {
        super("service-time", Version.of(0, 3, 0), 2, 2);
    }

    @Override
    public PathSelector create(List<String> args) {
        return stateless(NO_ARGUMENTS, (device, pathArgs) -> {
            if (pathArgs.size() > 2) {
                throw TargetErrors.invalid(error("incorrect number of arguments"));
            }
            long repeat = pathArgs.isEmpty() ? 1 : repeatCount(pathArgs.get(0), true);
            long throughput = 1;
            if (pathArgs.size() == 2) {
                OptionalLong given = Numbers.scanUnsignedInt(pathArgs.get(1));
                if (given.isEmpty() || given.getAsLong() > MAX_RELATIVE_THROUGHPUT) {
                    throw TargetErrors.invalid(error("invalid relative_throughput value"));
                }
                throughput = given.getAsLong();
            }
            String relative = Long.toString(throughput);
            return new SelectorPath(List.of(Long.toString(repeat), relative), List.of("0", relative));
        });
    }
}

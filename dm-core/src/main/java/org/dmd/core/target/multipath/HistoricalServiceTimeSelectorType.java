package org.dmd.core.target.multipath;

import java.util.List;
import java.util.OptionalLong;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.dmd.core.target.PathSelector;
import org.dmd.core.target.Version;
import org.dmd.core.target.support.Numbers;
import org.dmd.core.target.support.TargetErrors;

/**
 * {@code historical-service-time}: selector arguments {@code [<base weight 0..1023>
 * [<threshold multiplier>]]} (defaults 972, i.e. 0.95 in 10-bit fixed point, and 0), printed
 * back as {@code 2 BASE THRESHOLD}; per path {@code [<repeat count>]}, which the table does not
 * print back (it prints {@code 0}). Status per path: the historical service time (1024, i.e.
 * 1.0, for a path that has done no I/O), the outstanding I/Os and the stale-after time (both 0).
 * Immutable, and so are its instances.
 */
public final class HistoricalServiceTimeSelectorType extends SelectorType {

    public static final HistoricalServiceTimeSelectorType INSTANCE = new HistoricalServiceTimeSelectorType();

    /** HST_FIXED_1: 1.0 in 10-bit fixed point. */
    private static final long FIXED_ONE = 1024;
    /** HST_FIXED_95. */
    private static final long DEFAULT_BASE_WEIGHT = 972;

    private static final SelectorPath RESTING_PATH =
            new SelectorPath(List.of("0"), List.of(Long.toString(FIXED_ONE), "0", "0"));

    private HistoricalServiceTimeSelectorType() {
        super("historical-service-time", Version.of(0, 1, 1), 1, 3);
    }

    @Override
    public PathSelector create(List<String> args) throws DmException {
        // The kernel gives no reason here; multipath reports "path selector constructor failed".
        if (args.size() > 2) {
            throw new DmException(Errno.EINVAL, error("too many selector arguments"));
        }
        long baseWeight = DEFAULT_BASE_WEIGHT;
        if (!args.isEmpty()) {
            OptionalLong given = Numbers.scanUnsignedInt(args.get(0));
            if (given.isEmpty() || given.getAsLong() >= FIXED_ONE) {
                throw new DmException(Errno.EINVAL, error("invalid base weight " + args.get(0)));
            }
            baseWeight = given.getAsLong();
        }
        long threshold = 0;
        if (args.size() > 1) {
            OptionalLong given = Numbers.scanUnsignedInt(args.get(1));
            if (given.isEmpty()) {
                throw new DmException(Errno.EINVAL, error("invalid threshold multiplier " + args.get(1)));
            }
            threshold = given.getAsLong();
        }
        // The first precomputed weight, base^1 in fixed point, is the base weight itself.
        List<String> arguments = List.of("2", Long.toString(baseWeight), Long.toString(threshold));
        return stateless(arguments, (device, pathArgs) -> {
            if (pathArgs.size() > 1) {
                throw TargetErrors.invalid(error("incorrect number of arguments"));
            }
            if (!pathArgs.isEmpty()) {
                repeatCount(pathArgs.get(0), false);
            }
            return RESTING_PATH;
        });
    }
}

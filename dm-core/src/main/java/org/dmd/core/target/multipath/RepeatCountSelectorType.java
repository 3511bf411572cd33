package org.dmd.core.target.multipath;

import java.util.List;
import org.dmd.core.target.PathSelector;
import org.dmd.core.target.Version;
import org.dmd.core.target.support.TargetErrors;

/**
 * Selectors whose only per-path argument is an optional repeat count (default 1, above 1
 * deprecated and read as 1): {@code round-robin}, whose status has no per-path words, and
 * {@code queue-length}, whose status is the number of in-flight I/Os (0 at rest). Both ignore
 * their selector arguments. Immutable, and so are their instances.
 */
public final class RepeatCountSelectorType extends SelectorType {

    public static final RepeatCountSelectorType ROUND_ROBIN =
            new RepeatCountSelectorType("round-robin", Version.of(1, 2, 0), List.of());
    public static final RepeatCountSelectorType QUEUE_LENGTH =
            new RepeatCountSelectorType("queue-length", Version.of(0, 2, 0), List.of("0"));

    private final List<String> restingStatus;

    private RepeatCountSelectorType(String name, Version version, List<String> restingStatus) {
        super(name, version, 1, restingStatus.size());
        this.restingStatus = restingStatus;
    }

    @Override
    public PathSelector create(List<String> args) {
        return stateless(NO_ARGUMENTS, (device, pathArgs) -> {
            if (pathArgs.size() > 1) {
                throw TargetErrors.invalid(error("incorrect number of arguments"));
            }
            long repeat = pathArgs.isEmpty() ? 1 : repeatCount(pathArgs.get(0), true);
            return new SelectorPath(List.of(Long.toString(repeat)), restingStatus);
        });
    }
}

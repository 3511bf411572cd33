package org.dmd.core.target.multipath;

import java.util.List;
import org.dmd.core.errno.DmException;
import org.dmd.core.target.PathSelector;
import org.dmd.core.target.PathSelectorType;
import org.dmd.core.target.TableDevice;
import org.dmd.core.target.Version;
import org.dmd.core.target.support.NamedType;
import org.dmd.core.target.support.TargetErrors;

/**
 * What every path selector type is: a name, the version its module announces, and how many
 * per-path words it prints in tables and statuses. Immutable.
 */
abstract class SelectorType extends NamedType implements PathSelectorType {

    private final int tableArgs;
    private final int infoArgs;

    SelectorType(String name, Version version, int tableArgs, int infoArgs) {
        super(name, version);
        this.tableArgs = tableArgs;
        this.infoArgs = infoArgs;
    }

    @Override
    public final int tableArgs() {
        return tableArgs;
    }

    @Override
    public final int infoArgs() {
        return infoArgs;
    }

    /** A selector's {@code ->add_path}. */
    @FunctionalInterface
    interface PathAdder {
        PathSelector.Path addPath(TableDevice device, List<String> pathArgs) throws DmException;
    }

    /** The selector words of a selector that takes no selector arguments: a count of 0. */
    static final List<String> NO_ARGUMENTS = List.of("0");

    /** A selector instance that keeps no state of its own: its selector words and how it adds a path. */
    static PathSelector stateless(List<String> arguments, PathAdder adder) {
        return new PathSelector() {
            @Override
            public Path addPath(TableDevice device, List<String> pathArgs) throws DmException {
                return adder.addPath(device, pathArgs);
            }

            @Override
            public List<String> arguments() {
                return arguments;
            }
        };
    }

    /** The prefix of the selector's error texts, e.g. {@code round-robin ps: }. */
    final String error(String what) {
        return name() + " ps: " + what;
    }

    /**
     * The per-path {@code <repeat count>} most selectors take: I/Os before switching path. Where
     * {@code deprecated} is set, counts above 1 are accepted but treated as 1, as the kernel does.
     */
    final long repeatCount(String text, boolean deprecated) throws DmException {
        long count = TargetErrors.unsignedInt(text, error("invalid repeat count"));
        return deprecated ? Math.min(count, 1) : count;
    }
}

package org.dmd.core.target.multipath;

import org.dmd.core.errno.DmException;
import org.dmd.core.target.PathSelectorType;
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

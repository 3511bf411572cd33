package org.dmd.core.target.support;

import java.util.List;
import org.dmd.core.errno.DmException;
import org.dmd.core.target.Target;
import org.dmd.core.target.TargetContext;

/** A target type's constructor ({@code ->ctr}) as a function. */
@FunctionalInterface
public interface TargetConstructor {

    Target construct(TargetContext context, List<String> args) throws DmException;
}

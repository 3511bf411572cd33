package org.dmd.core.target.builtin;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.dmd.core.io.Bio;
import org.dmd.core.io.MapResult;
import org.dmd.core.target.DeviceArea;
import org.dmd.core.target.Target;
import org.dmd.core.target.TargetContext;
import org.dmd.core.target.TargetFeature;
import org.dmd.core.target.TargetType;
import org.dmd.core.target.Version;
import org.dmd.core.target.support.BasicTargetType;
import org.dmd.core.target.support.LinearMapping;

/**
 * {@code error [<dev> <offset>]}: fails every I/O. The wildcard type, so it may replace an
 * immutable target, and a hybrid one, so it can stand in on bio-based and request-based devices.
 * Current kernels accept exactly two optional arguments, a backing device and offset as for
 * linear (so that a zoned device's limits carry over), and ignore any other count.
 * The type has no status method: table and status text are always empty. Immutable. Every bio
 * fails with EIO ({@code dm-target.c: io_err_map}); flushes pass it by ({@code num_flush_bios} 0).
 */
public final class ErrorTarget implements Target {

    public static final TargetType TYPE = new BasicTargetType("error", Version.of(1, 7, 0),
            Set.of(TargetFeature.WILDCARD, TargetFeature.HYBRID), ErrorTarget::construct);

    private final Optional<LinearMapping> backing;
    private final long length;

    private ErrorTarget(Optional<LinearMapping> backing, long length) {
        this.backing = backing;
        this.length = length;
    }

    static Target construct(TargetContext context, List<String> args) throws DmException {
        Optional<LinearMapping> backing = args.size() == 2
                ? Optional.of(LinearMapping.parse(context, args.get(0), args.get(1)))
                : Optional.empty();
        return new ErrorTarget(backing, context.length());
    }

    @Override
    public String table() {
        return "";
    }

    @Override
    public MapResult map(Bio bio) {
        return bio.kill(Errno.EIO, "the error target fails every I/O");
    }

    @Override
    public List<DeviceArea> areas() {
        return backing.map(mapping -> List.of(mapping.area(length))).orElse(List.of());
    }
}

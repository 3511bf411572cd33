package org.dmd.core.target.zero;

import java.util.List;
import java.util.Set;
import org.dmd.core.errno.DmException;
import org.dmd.core.io.Bio;
import org.dmd.core.io.MapResult;
import org.dmd.core.target.Target;
import org.dmd.core.target.TargetContext;
import org.dmd.core.target.TargetType;
import org.dmd.core.target.Version;
import org.dmd.core.target.support.BasicTargetType;
import org.dmd.core.target.support.TargetErrors;

/**
 * {@code zero}: reads return zeros, writes are dropped ({@code dm-zero.c: zero_map}). No arguments;
 * empty table and status. Stateless. Discards and write-zeroes are dropped like writes (the
 * kernel's block layer turns write-zeroes on a device without them into written zero pages).
 */
public final class ZeroTarget implements Target {

    public static final TargetType TYPE =
            new BasicTargetType("zero", Version.of(1, 2, 0), Set.of(), ZeroTarget::construct);

    private static final ZeroTarget INSTANCE = new ZeroTarget();

    private ZeroTarget() {
    }

    static Target construct(TargetContext context, List<String> args) throws DmException {
        if (!args.isEmpty()) {
            throw TargetErrors.invalid("No arguments required");
        }
        return INSTANCE;
    }

    @Override
    public String table() {
        return "";
    }

    @Override
    public MapResult map(Bio bio) {
        if (bio.op() == Bio.Op.READ) {
            bio.zeroFill();
        }
        bio.end(null);
        return MapResult.SUBMITTED;
    }

}

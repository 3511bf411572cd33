package org.dmd.core.target.mirror;

import java.util.List;
import java.util.Optional;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.dmd.core.target.DirtyLog;
import org.dmd.core.target.DirtyLogType;
import org.dmd.core.target.TableDevice;
import org.dmd.core.target.TargetContext;
import org.dmd.core.target.support.NamedType;

/**
 * The dirty-log types of dm-log: {@code core <region size> [[no]sync]} and
 * {@code disk <log dev> <region size> [[no]sync]}. The kernel's log types carry no version;
 * dmd reports 0.0.0. Immutable.
 */
public final class RegionLogType extends NamedType implements DirtyLogType {

    public static final RegionLogType CORE = new RegionLogType("core", false);
    public static final RegionLogType DISK = new RegionLogType("disk", true);

    private final boolean onDevice;

    private RegionLogType(String name, boolean onDevice) {
        super(name);
        this.onDevice = onDevice;
    }

    @Override
    public DirtyLog create(TargetContext context, long targetLength, List<String> args) throws DmException {
        if (!onDevice) {
            return RegionDirtyLog.create(name(), Optional.empty(), targetLength, args);
        }
        if (args.size() < 2 || args.size() > 3) {
            throw new DmException(Errno.EINVAL, "wrong number of arguments to disk dirty region log");
        }
        TableDevice device = context.device(args.get(0));
        return RegionDirtyLog.create(name(), Optional.of(device), targetLength, args.subList(1, args.size()));
    }
}

package org.dmd.core.target.snapshot;

import java.util.List;
import java.util.Set;
import org.dmd.core.errno.DmException;
import org.dmd.core.target.DeviceArea;
import org.dmd.core.target.TableDevice;
import org.dmd.core.target.Target;
import org.dmd.core.target.TargetContext;
import org.dmd.core.target.TargetType;
import org.dmd.core.target.Version;
import org.dmd.core.target.support.BasicTargetType;
import org.dmd.core.target.support.TargetErrors;

/** {@code snapshot-origin <dev>}: the origin of snapshots. Table {@code MAJ:MIN}; status empty. Immutable. */
public final class SnapshotOriginTarget implements Target {

    public static final TargetType TYPE = new BasicTargetType("snapshot-origin", Version.of(1, 9, 0), Set.of(),
            SnapshotOriginTarget::construct);

    private final TableDevice device;
    private final long length;

    private SnapshotOriginTarget(TableDevice device, long length) {
        this.device = device;
        this.length = length;
    }

    static Target construct(TargetContext context, List<String> args) throws DmException {
        if (args.size() != 1) {
            throw TargetErrors.invalid("origin: incorrect number of arguments");
        }
        return new SnapshotOriginTarget(
                TargetErrors.device(context, args.get(0), "Cannot get target device"), context.length());
    }

    @Override
    public String table() {
        return device.number().toString();
    }

    @Override
    public List<DeviceArea> areas() {
        return List.of(new DeviceArea(device, 0, length));
    }
}

package org.dmd.core.target.snapshot;

import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.dmd.core.errno.DmException;
import org.dmd.core.io.Bio;
import org.dmd.core.io.MapResult;
import org.dmd.core.target.DeviceArea;
import org.dmd.core.target.TableDevice;
import org.dmd.core.target.Target;
import org.dmd.core.target.TargetContext;
import org.dmd.core.target.TargetType;
import org.dmd.core.target.Version;
import org.dmd.core.target.support.BasicTargetType;
import org.dmd.core.target.support.TargetErrors;

/**
 * {@code snapshot-origin <dev>}: the origin of snapshots. Table {@code MAJ:MIN}; status empty.
 *
 * <p>Data path ({@code origin_map}, {@code do_origin}, {@code __origin_write}): reads and flushes
 * pass through to the device. A write first asks every snapshot of the device (every snapshot
 * table whose origin is this device) to copy the chunks it covers that the snapshot has not yet
 * copied; the write goes to the device once each of those copies has ended. Immutable.
 */
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
    public int flushBios() {
        return 1;
    }

    @Override
    public MapResult map(Bio bio) {
        List<SnapshotTarget> snapshots = Origins.snapshots(device.number());
        if (!bio.op().writes() || snapshots.isEmpty()) {
            return bio.remap(device, bio.sector());
        }
        // One count for this method, released last, so the write cannot go before every snapshot was asked.
        AtomicInteger waiting = new AtomicInteger(1);
        Runnable release = () -> {
            if (waiting.decrementAndGet() == 0) {
                Bio clone = bio.clone(0, bio.sectors(), (c, error) -> bio.end(error));
                clone.remap(device, bio.sector());
                device.submit(clone);
            }
        };
        for (SnapshotTarget snapshot : snapshots) {
            snapshot.originWrite(bio.sector(), bio.sectors(), waiting, release);
        }
        release.run();
        return MapResult.SUBMITTED;
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

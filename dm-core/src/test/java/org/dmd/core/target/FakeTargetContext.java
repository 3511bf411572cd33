package org.dmd.core.target;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.dmd.core.minor.DeviceNumber;

/**
 * A target context for tests: devices known by number and by {@code /dev/...} path, with sizes;
 * types served straight from instances; table events counted.
 *
 * <p>Lookups fail as the kernel's do: an unknown {@code MAJ:MIN} gives ENXIO (no such device to
 * open), an unknown path ENOENT (no such node), the table's own device EINVAL.
 */
public final class FakeTargetContext implements TargetContext {

    private final long start;
    private final long length;
    private final Map<DeviceNumber, TableDevice> byNumber = new HashMap<>();
    private final Map<String, DeviceNumber> byPath = new HashMap<>();
    private final Map<String, PathSelectorType> pathSelectors = new HashMap<>();
    private final Map<String, DirtyLogType> dirtyLogs = new HashMap<>();
    private final Map<String, ExceptionStoreType> exceptionStores = new HashMap<>();
    private final LinkedHashSet<TableDevice> opened = new LinkedHashSet<>();
    private final AtomicInteger events = new AtomicInteger();
    private DeviceNumber ownDevice = new DeviceNumber(253, 0);

    public FakeTargetContext(long start, long length) {
        this.start = start;
        this.length = length;
    }

    public FakeTargetContext(long length) {
        this(0, length);
    }

    /** Adds a device reachable as {@code MAJ:MIN} and as {@code path}. */
    public FakeTargetContext withDevice(String path, TableDevice device) {
        byNumber.put(device.number(), device);
        byPath.put(path, device.number());
        return this;
    }

    /** Adds {@code /dev/loopN} (7:N) of the given size. */
    public FakeTargetContext withLoop(int n, long sectors) {
        return withDevice("/dev/loop" + n, FakeDevice.of(7, n, sectors));
    }

    public FakeTargetContext withPathSelector(PathSelectorType type) {
        pathSelectors.put(type.name(), type);
        return this;
    }

    public FakeTargetContext withDirtyLog(DirtyLogType type) {
        dirtyLogs.put(type.name(), type);
        return this;
    }

    public FakeTargetContext withExceptionStore(ExceptionStoreType type) {
        exceptionStores.put(type.name(), type);
        return this;
    }

    /** The mapped device the table is loaded into; naming it in the table gives EINVAL. */
    public FakeTargetContext ownDevice(DeviceNumber number) {
        ownDevice = number;
        return this;
    }

    /** Devices opened so far, in first-opened order. */
    public synchronized List<TableDevice> opened() {
        return new ArrayList<>(opened);
    }

    /** Table events raised so far. */
    public int eventCount() {
        return events.get();
    }

    @Override
    public long start() {
        return start;
    }

    @Override
    public long length() {
        return length;
    }

    @Override
    public boolean readOnly() {
        return false;
    }

    @Override
    public synchronized TableDevice device(String path) throws DmException {
        DeviceNumber number = deviceNumber(path);
        if (number.equals(ownDevice)) {
            throw new DmException(Errno.EINVAL, "table references its own device %s", number);
        }
        TableDevice device = byNumber.get(number);
        if (device == null) {
            throw new DmException(Errno.ENXIO, "no block device %s", number);
        }
        opened.add(device);
        return device;
    }

    @Override
    public DeviceNumber deviceNumber(String path) throws DmException {
        if (path.startsWith("/")) {
            DeviceNumber number = byPath.get(path);
            if (number == null) {
                throw new DmException(Errno.ENOENT, "%s: no such device node", path);
            }
            return number;
        }
        return DeviceNumber.parse(path);
    }

    @Override
    public Optional<PathSelectorType> pathSelector(String name) {
        return Optional.ofNullable(pathSelectors.get(name));
    }

    @Override
    public Optional<DirtyLogType> dirtyLog(String name) {
        return Optional.ofNullable(dirtyLogs.get(name));
    }

    @Override
    public Optional<ExceptionStoreType> exceptionStore(String name) {
        return Optional.ofNullable(exceptionStores.get(name));
    }

    @Override
    public TableEvents events() {
        return events::incrementAndGet;
    }
}

package org.dmd.core.table;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.dmd.core.block.BlockDevice;
import org.dmd.core.block.BlockLayer;
import org.dmd.core.concurrent.LockRank;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.dmd.core.minor.DeviceNumber;

/**
 * The devices held open by tables, for all mapped devices at once ({@code md->table_devices}):
 * each distinct underlying device is opened once per upper device and shared, with a count,
 * by that device's live and inactive tables (and tables being built). So a lower device's open
 * count is the number of upper devices using it, as in the kernel.
 *
 * <p>The same map is the graph of dependencies between mapped devices. An edge is added only
 * after checking, under the same lock, that it closes no cycle: the graph stays acyclic under
 * every interleaving of concurrent loads (of two loads that would close a cycle, the second to
 * open its device fails with EINVAL naming the cycle). dmd rejects every cycle; the kernel rejects
 * only a table naming its own device.
 *
 * <p>Guarded by {@code this} (rank {@link LockRank#TABLE_DEVICES}): the map and every count.
 * Opening a lower device happens under it (it only takes the MinorTable guard or the loop lock);
 * closing happens after it is released, because closing a mapped device may run its deferred
 * removal.
 */
public final class TableDevices {

    private static final class Held {
        final BlockDevice device;
        int users;

        Held(BlockDevice device) {
            this.device = device;
        }
    }

    private final BlockLayer blocks;
    private final int dmMajor;
    /** Upper device number → lower device number → the shared open. Guarded by this. */
    private final Map<DeviceNumber, Map<DeviceNumber, Held>> opened = new HashMap<>();

    public TableDevices(BlockLayer blocks, int dmMajor) {
        this.blocks = blocks;
        this.dmMajor = dmMajor;
    }

    /**
     * Opens {@code lower} for a table of {@code upper} ({@code dm_get_table_device}), or shares the
     * open its other tables already hold. EINVAL if it is {@code upper} itself or would close a
     * cycle of mapped devices; the block layer's errno if it cannot be opened.
     */
    public BlockDevice acquire(DeviceNumber upper, DeviceNumber lower) throws DmException {
        if (upper.equals(lower)) {
            throw new DmException(Errno.EINVAL, "table of %s references its own device", upper);
        }
        List<DeviceNumber> cycle = null;
        BlockDevice device = null;
        synchronized (this) {
            assert LockRank.TABLE_DEVICES.acquired();
            try {
                Map<DeviceNumber, Held> lowers = opened.get(upper);
                Held held = lowers == null ? null : lowers.get(lower);
                if (held == null && lower.major() == dmMajor) {
                    cycle = pathBetween(lower, upper);
                }
                if (held == null && cycle == null) {
                    held = new Held(blocks.open(lower));
                    opened.computeIfAbsent(upper, u -> new HashMap<>(4)).put(lower, held);
                }
                if (held != null) {
                    held.users++;
                    device = held.device;
                }
            } finally {
                assert LockRank.TABLE_DEVICES.released();
            }
        }
        if (cycle != null) {
            StringBuilder path = new StringBuilder(upper.toString());
            for (DeviceNumber step : cycle) {
                path.append(" -> ").append(step);
            }
            throw new DmException(Errno.EINVAL, "table of %s would create a dependency cycle: %s", upper, path);
        }
        return device;
    }

    /** Drops one use of {@code lower} by {@code upper}'s tables; the last use closes it. */
    public void release(DeviceNumber upper, DeviceNumber lower) {
        BlockDevice toClose = null;
        synchronized (this) {
            assert LockRank.TABLE_DEVICES.acquired();
            Map<DeviceNumber, Held> lowers = opened.get(upper);
            Held held = lowers == null ? null : lowers.get(lower);
            if (held != null && --held.users == 0) {
                lowers.remove(lower);
                if (lowers.isEmpty()) {
                    opened.remove(upper);
                }
                toClose = held.device;
            }
            assert LockRank.TABLE_DEVICES.released();
            if (held == null) {
                throw new IllegalStateException(upper + " does not hold " + lower);
            }
        }
        if (toClose != null) {
            toClose.close();
        }
    }

    /** The path from {@code from} to {@code to} along dependency edges (ending with {@code to}), or null. */
    private List<DeviceNumber> pathBetween(DeviceNumber from, DeviceNumber to) {
        Map<DeviceNumber, DeviceNumber> parent = new HashMap<>();
        Set<DeviceNumber> seen = new HashSet<>();
        Deque<DeviceNumber> pending = new ArrayDeque<>();
        pending.add(from);
        seen.add(from);
        while (!pending.isEmpty()) {
            DeviceNumber node = pending.poll();
            if (node.equals(to)) {
                List<DeviceNumber> path = new ArrayList<>();
                for (DeviceNumber n = node; n != null; n = parent.get(n)) {
                    path.add(0, n);
                }
                return path;
            }
            for (DeviceNumber next : opened.getOrDefault(node, Map.of()).keySet()) {
                if (seen.add(next)) {
                    parent.put(next, node);
                    pending.add(next);
                }
            }
        }
        return null;
    }

    /** How many upper devices currently hold open devices (for invariant checks). */
    public synchronized int holders() {
        return opened.size();
    }
}

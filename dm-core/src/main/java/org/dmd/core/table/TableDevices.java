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
 * insert its edge fails with EINVAL naming the cycle). dmd rejects every cycle; the kernel rejects
 * only a table naming its own device.
 *
 * <p>Guarded by {@code this} (rank {@link LockRank#TABLE_DEVICES}): the map and every count.
 * Opening and closing a lower device happen with it released: an open of a mapped device reaches
 * a {@link org.dmd.core.concurrent.Step} (where a race test may park the thread), and a close may
 * make a deferred removal due. So a first use opens the device first and inserts the edge afterwards,
 * re-checking under the lock that it closes no cycle and that no concurrent first use of the same
 * pair inserted it meanwhile; an open that turns out to be surplus is closed again.
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
        BlockDevice shared = shareOrCheck(upper, lower);
        if (shared != null) {
            return shared;
        }
        BlockDevice fresh = blocks.open(lower);
        BlockDevice device = fresh;
        List<DeviceNumber> cycle = null;
        synchronized (this) {
            assert LockRank.TABLE_DEVICES.acquired();
            Held held = heldLocked(upper, lower);
            if (held != null) {
                held.users++; // a concurrent first use of the same pair inserted it meanwhile
                device = held.device;
            } else {
                cycle = cycleThrough(upper, lower);
                if (cycle == null) {
                    held = new Held(fresh);
                    held.users++;
                    opened.computeIfAbsent(upper, u -> new HashMap<>(4)).put(lower, held);
                }
            }
            assert LockRank.TABLE_DEVICES.released();
        }
        if (device != fresh || cycle != null) {
            fresh.close();
        }
        if (cycle != null) {
            throw cycleError(upper, cycle);
        }
        return device;
    }

    /**
     * Under the lock: shares the open {@code upper}'s tables already hold, or fails if a first
     * use would close a cycle as the graph stands; null if {@code lower} has to be opened.
     */
    private BlockDevice shareOrCheck(DeviceNumber upper, DeviceNumber lower) throws DmException {
        List<DeviceNumber> cycle;
        synchronized (this) {
            assert LockRank.TABLE_DEVICES.acquired();
            try {
                Held held = heldLocked(upper, lower);
                if (held != null) {
                    held.users++;
                    return held.device;
                }
                cycle = cycleThrough(upper, lower);
            } finally {
                assert LockRank.TABLE_DEVICES.released();
            }
        }
        if (cycle != null) {
            throw cycleError(upper, cycle);
        }
        return null;
    }

    /** The open {@code upper}'s tables hold of {@code lower}, or null. Called under the lock. */
    private Held heldLocked(DeviceNumber upper, DeviceNumber lower) {
        Map<DeviceNumber, Held> lowers = opened.get(upper);
        return lowers == null ? null : lowers.get(lower);
    }

    /** The cycle a new edge upper → lower would close (from lower back to upper), or null. Called under the lock. */
    private List<DeviceNumber> cycleThrough(DeviceNumber upper, DeviceNumber lower) {
        return lower.major() == dmMajor ? pathBetween(lower, upper) : null;
    }

    private static DmException cycleError(DeviceNumber upper, List<DeviceNumber> cycle) {
        StringBuilder path = new StringBuilder(upper.toString());
        for (DeviceNumber step : cycle) {
            path.append(" -> ").append(step);
        }
        return new DmException(Errno.EINVAL, "table of %s would create a dependency cycle: %s", upper, path);
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

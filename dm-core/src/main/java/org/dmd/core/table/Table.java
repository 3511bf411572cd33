package org.dmd.core.table;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.dmd.core.concurrent.LockRank;
import org.dmd.core.control.Replies.TargetLine;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.dmd.core.minor.DeviceNumber;
import org.dmd.core.target.Target;
import org.dmd.core.target.TargetFeature;
import org.dmd.core.target.TargetType;

/**
 * A fully constructed table: its targets hold their type modules and its underlying devices are
 * open. A table is owned by exactly one of a device's live slot, its inactive slot, or the
 * thread moving it between them, and is destroyed once, by its owner.
 *
 * <p>Invariants: lines are contiguous from sector 0; {@link #destroy()} releases every device and
 * type exactly once, after every reader admitted by {@link #enterReader()} has left, and no
 * reader is admitted after destruction began. The event sink is set only while the table is live.
 */
public final class Table {

    /** One target of the table. */
    public record Line(long start, long length, TargetType type, Target target) {
    }

    private static final int DEAD = Integer.MIN_VALUE;

    private final List<Line> lines;
    private final boolean readOnly;
    private final List<DeviceNumber> dependencies;
    private final List<AutoCloseable> resources;
    private final DeviceType type;
    /** Every target is hybrid: the table takes the device's queue type. */
    private final boolean hybrid;
    /** Sign bit: destruction began; low bits: readers inside. */
    private final AtomicInteger readers = new AtomicInteger();
    /** The device's event callback while live ({@code dm_table_event_callback}); null otherwise. */
    private volatile Runnable eventSink;

    Table(List<Line> lines, boolean readOnly, List<DeviceNumber> dependencies, List<AutoCloseable> resources,
          DeviceType type, boolean hybrid) {
        this.lines = List.copyOf(lines);
        this.readOnly = readOnly;
        this.dependencies = List.copyOf(dependencies);
        this.resources = List.copyOf(resources);
        this.type = type;
        this.hybrid = hybrid;
    }

    public List<Line> lines() {
        return lines;
    }

    public int targetCount() {
        return lines.size();
    }

    /** Device size in sectors: where the last target ends. */
    public long sectors() {
        Line last = lines.get(lines.size() - 1);
        return last.start() + last.length();
    }

    public boolean readOnly() {
        return readOnly;
    }

    /** The table's own queue type; bio-based for a table of only hybrid targets (see {@link #typeOn}). */
    public DeviceType type() {
        return type;
    }

    /**
     * The queue type this table has on a device whose type is {@code device} (NONE before its
     * first load): its own, or for a table of only hybrid targets the device's, bio-based for a
     * new device ({@code dm_table_determine_type}).
     *
     * @throws DmException EINVAL if that makes a request-based table of more than one target
     */
    public DeviceType typeOn(DeviceType device) throws DmException {
        if (!hybrid || device != DeviceType.REQUEST_BASED) {
            return type;
        }
        if (lines.size() > 1) {
            throw new DmException(Errno.EINVAL, "request-based target devices only support 1 target");
        }
        return DeviceType.REQUEST_BASED;
    }

    /** The distinct underlying devices, in kernel order (reverse order of first reference). */
    public List<DeviceNumber> dependencies() {
        return dependencies;
    }

    /** The immutable target type this table carries, if any ({@code dm_table_get_immutable_target_type}). */
    public TargetType immutableType() {
        for (Line line : lines) {
            if (line.type().features().contains(TargetFeature.IMMUTABLE)) {
                return line.type();
            }
        }
        return null;
    }

    /** True if some target is a wildcard ({@code error}), which may replace an immutable type. */
    public boolean hasWildcard() {
        return lines.stream().anyMatch(line -> line.type().features().contains(TargetFeature.WILDCARD));
    }

    /** The status or table lines of every target. Call between enterReader and exitReader. */
    public List<TargetLine> render(boolean tableText) {
        List<TargetLine> out = new ArrayList<>(lines.size());
        for (Line line : lines) {
            Target target = line.target();
            out.add(new TargetLine(line.start(), line.length(), line.type().name(),
                    tableText ? target.table() : target.status()));
        }
        return out;
    }

    /** The line covering {@code sector}, or null. */
    public Line lineAt(long sector) {
        int low = 0;
        int high = lines.size() - 1;
        while (low <= high) {
            int mid = (low + high) >>> 1;
            Line line = lines.get(mid);
            if (sector < line.start()) {
                high = mid - 1;
            } else if (sector >= line.start() + line.length()) {
                low = mid + 1;
            } else {
                return line;
            }
        }
        return null;
    }

    // ------------------------------------------------------------------ events

    /** Binds or unbinds the device's event callback (at swap, under the device's suspend lock). */
    public void bindEvents(Runnable sink) {
        this.eventSink = sink;
    }

    /** Raises a table event; lost unless the table is live. */
    public void raiseEvent() {
        Runnable sink = eventSink;
        if (sink != null) {
            sink.run();
        }
    }

    // ------------------------------------------------------------------ readers and destruction

    /** Admits a reader unless destruction began; pair with {@link #exitReader()}. Never blocks. */
    public boolean enterReader() {
        for (int state = readers.get(); state >= 0; state = readers.get()) {
            if (readers.compareAndSet(state, state + 1)) {
                return true;
            }
        }
        return false;
    }

    public void exitReader() {
        if (readers.decrementAndGet() == DEAD) {
            synchronized (this) {
                notifyAll();
            }
        }
    }

    /**
     * Waits for the readers inside to leave, then runs every target's presuspend-free teardown:
     * closes the underlying devices and puts the type modules, in reverse order of acquisition.
     * Called by the table's owner, once, with no lock held.
     */
    public void destroy() {
        assert LockRank.noneHeld();
        if (readers.getAndAdd(DEAD) < 0) {
            throw new IllegalStateException("table destroyed twice");
        }
        boolean interrupted = false;
        synchronized (this) {
            while (readers.get() != DEAD) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        eventSink = null;
        for (Line line : lines) {
            line.target().destroy();
        }
        releaseAll(resources);
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Closes resources in reverse order of acquisition; used by destroy and by failed builds. */
    static void releaseAll(List<AutoCloseable> resources) {
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            } catch (Exception e) {
                throw new IllegalStateException("releasing " + resources.get(i) + " failed", e);
            }
        }
    }
}

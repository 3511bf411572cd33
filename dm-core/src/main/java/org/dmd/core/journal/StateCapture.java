package org.dmd.core.journal;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.dmd.core.control.DeviceMapper;
import org.dmd.core.control.DmFlag;
import org.dmd.core.control.Replies;
import org.dmd.core.control.Requests;
import org.dmd.core.control.Requests.TargetSpec;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;

/**
 * A snapshot: the state of a {@link DeviceMapper} as the requests that rebuild it, in an order
 * that replays — modules, loop devices (at their minors), devices (at their minors, with their
 * uuids), then tables with the devices a table references first (live: load and resume; then the
 * inactive one), then suspensions and deferred-removal marks, and last an end marker that
 * restores every event number and the global counter.
 *
 * <p>Taken under the journal's apply lock, so no journaled command runs meanwhile. A device that
 * goes during the capture (its deferred removal ran) is left out, as replay would remove it.
 */
final class StateCapture {

    private StateCapture() {
    }

    /** The requests that rebuild {@code dm}'s state, each with sequence number {@code seq}. */
    static List<Entry> capture(DeviceMapper dm, long seq) {
        List<Entry> out = new ArrayList<>();
        for (Replies.ModuleInfo module : dm.lsmod().modules()) {
            if (!module.builtin() && module.state().equals("LIVE")) {
                out.add(Entry.of(seq, new Requests.Modprobe(module.name(), false, false)));
            }
        }
        for (Replies.LoopInfo loop : dm.loopList().loops()) {
            out.add(new Entry(seq, new Requests.LoopAttach(loop.file(), loop.readOnly()), minorOf(loop.dev()),
                    List.of(), List.of(), 0));
        }
        Map<String, Device> devices = new LinkedHashMap<>();
        for (Replies.NameEntry listed : dm.listDevices(new Requests.ListDevices(null, null, Set.of(DmFlag.UUID)))
                .devices()) {
            try {
                devices.put(listed.dev(), Device.read(dm, listed));
            } catch (DmException e) {
                if (e.errno() != Errno.ENXIO) {
                    throw new IllegalStateException("cannot read " + listed.name() + " for a snapshot", e);
                }
            }
        }
        List<Entry.EventNr> events = new ArrayList<>();
        for (Device d : devices.values()) {
            out.add(Entry.of(seq, new Requests.DevCreate(d.name, d.uuid, d.dev, EnumSet.of(DmFlag.PERSISTENT_DEV), 0)));
            events.add(new Entry.EventNr(d.dev, d.eventNr));
        }
        Set<String> done = new HashSet<>();
        for (Device d : devices.values()) {
            loadTables(d, devices, done, out, seq);
        }
        for (Device d : devices.values()) {
            if (d.suspended) {
                out.add(Entry.of(seq, new Requests.DevSuspend(null, null, d.dev, EnumSet.of(DmFlag.SUSPEND), 0)));
            }
            if (d.deferredRemove) {
                out.add(Entry.of(seq, new Requests.DevRemove(null, null, d.dev, EnumSet.of(DmFlag.DEFERRED_REMOVE), 0)));
            }
        }
        out.add(new Entry(seq, null, -1, List.of(), events, dm.globalEventNr()));
        return out;
    }

    /** The device's tables, after those of the devices they reference (depth first; no cycle exists). */
    private static void loadTables(Device d, Map<String, Device> devices, Set<String> done, List<Entry> out, long seq) {
        if (!done.add(d.dev)) {
            return;
        }
        for (String dependency : d.dependencies) {
            Device held = devices.get(dependency);
            if (held != null) {
                loadTables(held, devices, done, out, seq);
            }
        }
        if (d.live != null) {
            out.add(Entry.of(seq, new Requests.TableLoad(null, null, d.dev, d.liveReadOnly ? EnumSet.of(DmFlag.READONLY)
                    : EnumSet.noneOf(DmFlag.class), d.live)));
            out.add(Entry.of(seq, new Requests.DevSuspend(null, null, d.dev, EnumSet.noneOf(DmFlag.class), 0)));
        }
        if (d.inactive != null) {
            out.add(Entry.of(seq, new Requests.TableLoad(null, null, d.dev, d.inactiveReadOnly
                    ? EnumSet.of(DmFlag.READONLY) : EnumSet.noneOf(DmFlag.class), d.inactive)));
        }
    }

    static int minorOf(String dev) {
        return Integer.parseInt(dev.substring(dev.indexOf(':') + 1));
    }

    /** What a snapshot keeps of one device. */
    private static final class Device {
        String name;
        String uuid;
        String dev;
        long eventNr;
        boolean suspended;
        boolean deferredRemove;
        List<TargetSpec> live;
        boolean liveReadOnly;
        List<TargetSpec> inactive;
        boolean inactiveReadOnly;
        final Set<String> dependencies = new HashSet<>();

        static Device read(DeviceMapper dm, Replies.NameEntry listed) throws DmException {
            Device d = new Device();
            d.name = listed.name();
            d.uuid = listed.uuid();
            d.dev = listed.dev();
            Replies.DeviceInfo info = dm.devStatus(new Requests.DevStatus(null, null, d.dev, Set.of()));
            d.eventNr = info.eventNr();
            d.suspended = info.flags().contains(DmFlag.SUSPEND);
            d.deferredRemove = info.flags().contains(DmFlag.DEFERRED_REMOVE);
            if (info.flags().contains(DmFlag.ACTIVE_PRESENT)) {
                d.live = table(dm, d.dev, EnumSet.of(DmFlag.STATUS_TABLE));
                d.liveReadOnly = info.flags().contains(DmFlag.READONLY);
                d.dependencies.addAll(dm.tableDeps(new Requests.TableDeps(null, null, d.dev, Set.of())).devices());
            }
            if (info.flags().contains(DmFlag.INACTIVE_PRESENT)) {
                EnumSet<DmFlag> inactive = EnumSet.of(DmFlag.QUERY_INACTIVE_TABLE);
                Replies.DeviceInfo staged = dm.devStatus(new Requests.DevStatus(null, null, d.dev, inactive));
                d.inactive = table(dm, d.dev, EnumSet.of(DmFlag.STATUS_TABLE, DmFlag.QUERY_INACTIVE_TABLE));
                d.inactiveReadOnly = staged.flags().contains(DmFlag.READONLY);
                d.dependencies.addAll(dm.tableDeps(new Requests.TableDeps(null, null, d.dev, inactive)).devices());
            }
            return d;
        }

        private static List<TargetSpec> table(DeviceMapper dm, String dev, Set<DmFlag> flags) throws DmException {
            List<TargetSpec> lines = new ArrayList<>();
            for (Replies.TargetLine line : dm.tableStatus(new Requests.TableStatus(null, null, dev, flags)).targets()) {
                lines.add(new TargetSpec(line.start(), line.length(), line.type(), line.text()));
            }
            return lines;
        }
    }
}

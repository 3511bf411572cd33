package org.dmd.core.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.dmd.core.control.DeviceMapper;
import org.dmd.core.control.Replies.LoopInfo;
import org.dmd.core.control.Replies.ModuleInfo;
import org.dmd.core.control.Replies.NameEntry;
import org.dmd.core.control.Requests;
import org.dmd.core.device.MappedDevice;
import org.dmd.core.minor.MinorTable;

/**
 * Invariants of the device core that hold whenever no command is in flight. Race, stress and
 * integration tests end with one of these.
 */
public final class CoreInvariants {

    private CoreInvariants() {
    }

    /**
     * Nothing is left: no device is hashed, every minor is free (none reserved, none published),
     * and dm-mod holds no self-reference.
     */
    public static void assertQuiescent(DeviceMapper dm) {
        assertEquals(List.of(), listed(dm), "devices still hashed");
        assertEquals(List.of(), dm.minors().snapshot(), "devices still published in the MinorTable");
        assertEquals(0, dm.minors().allocated(), "minors still allocated (a placeholder leaked)");
        assertEquals(0, dm.coreReferences(), "dm-mod self-references left");
    }

    /**
     * {@link #assertQuiescent(DeviceMapper)}, and every device the test has seen was released:
     * no holder is left on it and it is marked FREEING.
     */
    public static void assertQuiescent(DeviceMapper dm, Collection<? extends MinorTable.Entry> seen) {
        assertQuiescent(dm);
        assertReleased(seen);
    }

    /** Every entry has had its last reference dropped. */
    public static void assertReleased(Collection<? extends MinorTable.Entry> entries) {
        for (MinorTable.Entry entry : entries) {
            assertEquals(0, entry.holders(), () -> entry + " still has holders");
            assertEquals(0, entry.openCount(), () -> entry + " is still open");
            assertTrue(entry.isFreeing(), () -> entry + " was never marked FREEING");
        }
    }

    /**
     * Devices may exist, but no command is in flight: the hashed devices are exactly the published
     * ones, each owns one dm-mod reference, and each is held by its hash cell and its opens only
     * (no lookup reference leaked) and is not going away.
     */
    public static void assertSettled(DeviceMapper dm) {
        Map<Integer, String> hashed = new TreeMap<>();
        for (NameEntry entry : listed(dm)) {
            hashed.put(Integer.parseInt(entry.dev().substring(entry.dev().indexOf(':') + 1)), entry.name());
        }
        List<MappedDevice> published = dm.minors().snapshot();
        Set<Integer> publishedMinors = published.stream().map(MappedDevice::minor).collect(Collectors.toSet());
        assertEquals(hashed.keySet(), publishedMinors, "hashed devices differ from published ones");
        assertEquals(hashed.size(), dm.minors().allocated(), "allocated minors differ from devices");
        assertEquals(hashed.size(), dm.coreReferences(), "dm-mod references differ from devices");
        for (MappedDevice device : published) {
            assertEquals(1 + device.openCount(), device.holders(),
                    () -> device + " (" + hashed.get(device.minor()) + ") holds a leaked reference");
            assertFalse(device.isFreeing() || device.isDeleting(), () -> device + " is going away");
        }
    }

    /**
     * No table holds anything: no mapped device holds an underlying device open through its
     * tables, and every loop device's open count is 0.
     */
    public static void assertNoTableHolds(DeviceMapper dm) {
        assertEquals(0, dm.tableDevices().holders(), "mapped devices still hold underlying devices open");
        for (LoopInfo loop : dm.loopList().loops()) {
            assertEquals(0, loop.openCount(), () -> loop.device() + " is still held open");
        }
    }

    /**
     * Every loaded module is LIVE and idle: its visible reference count is only the use links of
     * the modules that use it (lsmod's "Used by"), so no table, type or device holds it.
     */
    public static void assertModulesIdle(DeviceMapper dm) {
        for (ModuleInfo module : dm.lsmod().modules()) {
            assertEquals("LIVE", module.state(), () -> module.name() + " is not LIVE");
            assertEquals(module.usedBy().size(), module.refcount(), () -> module.name() + " is still referenced: "
                    + module);
        }
        assertEquals(0, dm.modules().freedWhileReferenced(), "a module was freed while references were held");
    }

    /** The visible reference count of a loaded module ({@code lsmod}), or -1 if it is not loaded. */
    public static int refcount(DeviceMapper dm, String module) {
        return dm.lsmod().modules().stream().filter(m -> m.name().equals(module)).mapToInt(ModuleInfo::refcount)
                .findFirst().orElse(-1);
    }

    /** The state of a loaded module as lsmod shows it (LIVE, COMING, GOING), or null if it is not loaded. */
    public static String moduleState(DeviceMapper dm, String module) {
        return dm.lsmod().modules().stream().filter(m -> m.name().equals(module)).map(ModuleInfo::state)
                .findFirst().orElse(null);
    }

    private static List<NameEntry> listed(DeviceMapper dm) {
        return dm.listDevices(new Requests.ListDevices(null, null, Set.of())).devices();
    }
}

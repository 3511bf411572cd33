package org.dmd.core.testing;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.dmd.core.control.DeviceMapper;
import org.dmd.core.control.DmFlag;
import org.dmd.core.control.Replies;
import org.dmd.core.control.Requests;
import org.dmd.core.errno.DmException;

/**
 * What a client can see of a {@link DeviceMapper}, as one comparable value: every device (name,
 * uuid, number, flags, open count, event number, target counts), its live and inactive tables as
 * {@code dmsetup table} prints them and the devices each holds, the loop devices and their open
 * counts, the modules and their reference counts, the global event number and the holders of
 * underlying devices. A rejected command must leave it equal.
 */
public final class MapperState {

    private MapperState() {
    }

    public static List<String> describe(DeviceMapper dm) {
        List<String> state = new ArrayList<>();
        state.add("event " + dm.globalEventNr() + ", holders " + dm.tableDevices().holders() + ", core references "
                + dm.coreReferences());
        for (Replies.NameEntry entry : dm.listDevices(new Requests.ListDevices(null, null, Set.of(DmFlag.UUID)))
                .devices()) {
            state.add(entry.toString());
            state.add(read(() -> dm.devStatus(new Requests.DevStatus(entry.name(), null, null, Set.of()))));
            state.add(read(() -> dm.devStatus(new Requests.DevStatus(entry.name(), null, null,
                    EnumSet.of(DmFlag.QUERY_INACTIVE_TABLE)))));
            for (Set<DmFlag> table : List.of(EnumSet.of(DmFlag.STATUS_TABLE),
                    EnumSet.of(DmFlag.STATUS_TABLE, DmFlag.QUERY_INACTIVE_TABLE))) {
                state.add(read(() -> dm.tableStatus(new Requests.TableStatus(entry.name(), null, null, table))
                        .targets()));
            }
            for (Set<DmFlag> deps : List.of(Set.<DmFlag>of(), EnumSet.of(DmFlag.QUERY_INACTIVE_TABLE))) {
                state.add(read(() -> dm.tableDeps(new Requests.TableDeps(entry.name(), null, null, deps)).devices()));
            }
        }
        dm.loopList().loops().forEach(loop -> state.add(loop.toString()));
        dm.lsmod().modules().forEach(module -> state.add(module.toString()));
        return state;
    }

    private static String read(Outcome.Call<?> query) {
        try {
            return String.valueOf(query.call());
        } catch (DmException e) {
            return e.errno() + ": " + e.getMessage();
        } catch (Exception e) {
            throw new AssertionError("a query failed outside DmException", e);
        }
    }
}

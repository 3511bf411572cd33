package org.dmd.client.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.dmd.client.DeviceId;
import org.dmd.client.DmClient;
import org.dmd.client.WireCodec;
import org.dmd.client.cli.DmctlRunner;
import org.dmd.core.control.DmFlag;
import org.dmd.core.control.Replies;
import org.junit.jupiter.api.Test;

/**
 * {@code dmctl bench} against the real daemon: runs of a fixed count do exactly that many
 * operations, leave the devices they promise (and only those), and report failures. No
 * timings are checked: only counts, devices and tables.
 */
class DmctlBenchTest extends EmptiedDaemonTest {

    private JsonNode json(String... args) throws Exception {
        DmctlRunner.Result result = dmctl.run(args);
        assertEquals(0, result.status(), result.toString());
        return WireCodec.mapper().readTree(result.out());
    }

    private static JsonNode operation(JsonNode result, String name) {
        for (JsonNode op : result.get("operations")) {
            if (op.get("operation").asText().equals(name)) {
                return op;
            }
        }
        throw new AssertionError("no " + name + " in " + result);
    }

    @Test
    void aCountedRunDoesThatManyLifecyclesOverItsConnectionsAndLeavesNoDevice() throws Exception {
        JsonNode result = json("bench", "--ops", "create-remove", "--count", "60", "--connections", "4", "--json");
        assertEquals(4, result.get("connections").asInt());
        assertEquals(60, operation(result, "create-remove").get("count").asLong());
        assertEquals(60, operation(result, "all").get("count").asLong());
        assertEquals(0, result.get("errors").size(), result::toString);
        assertEquals(List.of(), dm.listDevices().devices());
    }

    @Test
    void createSpreadsLinearTablesOverTheGivenDevicesAtSuccessiveOffsets() throws Exception {
        Path first = Files.write(dir.resolve("first.img"), new byte[64 * 512]);
        Path second = Files.write(dir.resolve("second.img"), new byte[64 * 512]);
        dm.loopAttach(first, false);
        dm.loopAttach(second, false);
        json("bench", "--ops", "create", "--count", "10", "--connections", "3", "--linear", "/dev/loop0,7:1",
                "--size", "4", "--name-prefix", "s-", "--json");
        assertEquals(10, dm.listDevices().devices().size());
        // Device n: lower n mod 2, offset (n div 2) * 4.
        assertEquals("0 4 linear 7:0 0", line(dm.table("s-0")));
        assertEquals("0 4 linear 7:1 0", line(dm.table("s-1")));
        assertEquals("0 4 linear 7:1 16", line(dm.table("s-9")));
        assertEquals("ACTIVE", dmctl.run("info", "s-9").out().lines().toList().get(1).split(" +")[1]);
    }

    private static String line(Replies.TableLines table) {
        Replies.TargetLine line = table.targets().get(0);
        return (line.start() + " " + line.length() + " " + line.type() + " " + line.text()).strip();
    }

    @Test
    void infoAndLoadUseAScratchDevicePerConnectionUnlessOneIsNamed() throws Exception {
        JsonNode mixed = json("bench", "--ops", "info=2,load", "--count", "30", "--connections", "2",
                "--table", "0 8 zero", "--json");
        assertEquals(30, operation(mixed, "all").get("count").asLong());
        assertEquals(30, operation(mixed, "info").get("count").asLong() + operation(mixed, "load").get("count").asLong());
        assertEquals(List.of(), dm.listDevices().devices(), "the scratch devices are gone");

        dm.create("named");
        json("bench", "--ops", "load", "--count", "3", "--table", "0 16 error", "named", "--json");
        assertEquals("0 16 error", line(dm.table(DeviceId.name("named"), DmFlag.QUERY_INACTIVE_TABLE)));
    }

    @Test
    void failedOperationsAreCountedByErrnoAndFailTheCommand() {
        DmctlRunner.Result result = dmctl.run("bench", "--count", "5", "missing");
        assertEquals(1, result.status(), result.toString());
        assertTrue(result.out().contains("errors: ENXIO 5\n"), result.toString());
        assertTrue(result.err().startsWith("bench: 5 operation(s) failed; the first: info: no device named 'missing'"),
                result.toString());
    }

    @Test
    void badSwitchesAreRefusedBeforeConnecting() {
        assertEquals("bench: give --duration or --count, not both\n",
                dmctl.run("bench", "--duration", "1s", "--count", "3").err());
        assertEquals("bench: --duration needs a time like 10, 10s, 500ms or 2m, not '1h'\n",
                dmctl.run("bench", "--duration", "1h").err());
        assertEquals("bench: load needs a table (--table)\n", dmctl.run("bench", "--ops", "load", "--count", "1").err());
    }
}

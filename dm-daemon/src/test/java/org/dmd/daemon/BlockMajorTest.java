package org.dmd.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The block major: the kernel's dynamic choice against a given /proc/devices, and --major's checks. */
class BlockMajorTest {

    /** A host where 253 is zram and 254 virtblk, and a character device sits at 252. */
    private static final String DEVICES = """
            Character devices:
              1 mem
            252 hidraw
            Block devices:
              7 loop
            253 zram
            254 virtblk
            259 blkext
            """;

    @TempDir
    Path dir;
    private final List<String> warnings = new ArrayList<>();

    private Path devices(String text) throws IOException {
        return Files.writeString(dir.resolve("devices"), text);
    }

    @Test
    void theDynamicMajorIsTheHighestFreeBlockMajorFrom254Down() throws IOException {
        assertEquals(252, BlockMajor.choose(null, devices(DEVICES), warnings::add),
                "253 and 254 are taken; a character major does not count");
        assertEquals(254, BlockMajor.choose(null, devices("Block devices:\n  8 sd\n"), warnings::add));
        assertEquals(List.of(), warnings);
        assertEquals(Map.of(7, "loop", 253, "zram", 254, "virtblk", 259, "blkext"),
                BlockMajor.parse(DEVICES.lines().toList()));
    }

    @Test
    void anExplicitMajorIsUsedAsGivenWarningWhenTheHostHasIt() throws IOException {
        Path host = devices(DEVICES);
        assertEquals(251, BlockMajor.choose(251, host, warnings::add));
        assertEquals(List.of(), warnings);
        assertEquals(253, BlockMajor.choose(253, host, warnings::add));
        assertEquals(1, warnings.size());
        assertTrue(warnings.get(0).contains("block major 253 is also the host's zram"), warnings::toString);
    }

    @Test
    void anExplicitMajorOutOfRangeOrDmdsLoopMajorIsRefused() throws IOException {
        Path host = devices(DEVICES);
        assertThrows(IllegalArgumentException.class, () -> BlockMajor.choose(0, host, warnings::add));
        assertThrows(IllegalArgumentException.class, () -> BlockMajor.choose(4096, host, warnings::add));
        IllegalArgumentException loop = assertThrows(IllegalArgumentException.class,
                () -> BlockMajor.choose(7, host, warnings::add));
        assertTrue(loop.getMessage().contains("dmd's loop devices"), loop.getMessage());
    }

    @Test
    void anUnreadableProcDevicesIsAWarningAndEveryMajorCountsAsFree() {
        assertEquals(254, BlockMajor.choose(null, dir.resolve("missing"), warnings::add));
        assertEquals(1, warnings.size());
    }
}

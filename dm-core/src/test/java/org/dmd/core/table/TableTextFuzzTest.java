package org.dmd.core.table;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.dmd.core.control.DeviceMapper;
import org.dmd.core.control.DmFlag;
import org.dmd.core.control.Replies.TargetLine;
import org.dmd.core.control.Requests;
import org.dmd.core.control.Requests.TargetSpec;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.dmd.core.module.ModuleIndex;
import org.dmd.core.testing.MapperState;
import org.dmd.core.testing.Outcome;
import org.dmd.core.testing.TestLoops;
import org.dmd.core.testing.TestRequests;
import org.junit.jupiter.api.AfterAll;

/**
 * dmsetup's table text ({@link TableText}) and every target type's argument parser (reached
 * through TABLE_LOAD on a core with every shipped module loaded), against arbitrary text. For any
 * input:
 * <ul>
 * <li>parsing gives target specs or EINVAL with a message;</li>
 * <li>loading them either fails with a {@link DmException} of a documented errno and a message,
 * leaving the core exactly as it was ({@link MapperState}: tables, holders, open counts, module
 * references, event numbers), or stages a valid table: its targets are the specs, contiguous
 * from sector 0; clearing it then gives back the core as it was (nothing leaked).</li>
 * </ul>
 * Nothing but DmException may come out. Loaded into {@code fuzz} (live table over /dev/loop0);
 * the core also has {@code base} (a zero device, 252:0 being its number) and three loop devices
 * ({@code /dev/loop0} 4096 sectors, {@code /dev/loop1} 4096, {@code /dev/loop2} 8192).
 * The corpus ({@code TableTextFuzzTestInputs}) has a table for each target type and selector.
 */
class TableTextFuzzTest {

    /** dm-table.c, dm-ioctl.c and the targets' constructors, as dmd reports them. */
    private static final Set<Errno> DOCUMENTED = EnumSet.of(Errno.EINVAL, Errno.ENXIO, Errno.ENOENT, Errno.ENOTBLK,
            Errno.EBUSY, Errno.EOVERFLOW, Errno.ENOMEM, Errno.EPERM, Errno.ENODEV, Errno.EIO);
    private static final String DEVICE = "fuzz";

    private static Path backing;
    private static DeviceMapper dm;

    @FuzzTest(maxDuration = "10s")
    void load(byte[] input) {
        DeviceMapper core = core();
        String text = new String(input, StandardCharsets.UTF_8);
        List<TargetSpec> specs;
        try {
            specs = TableText.parse(text);
        } catch (DmException e) {
            assertEquals(Errno.EINVAL, e.errno(), e::toString);
            assertFalse(e.getMessage().isBlank());
            return;
        }
        List<String> before = MapperState.describe(core);
        Outcome<?> loaded = Outcome.of(() -> core.tableLoad(new Requests.TableLoad(DEVICE, null, null,
                input.length > 0 && (input[0] & 1) == 1 ? EnumSet.of(DmFlag.READONLY)
                        : Set.of(), specs)));
        if (!loaded.ok()) {
            assertTrue(DOCUMENTED.contains(loaded.errno()), () -> "undocumented errno: " + loaded);
            assertFalse(loaded.message().isBlank(), "an error without a message");
            assertEquals(before, MapperState.describe(core), "a rejected table changed the core");
            return;
        }
        List<TargetLine> staged = Outcome.of(() -> core.tableStatus(TestRequests.tableTextInactive(DEVICE))).value()
                .targets();
        assertEquals(specs.size(), staged.size(), "the staged table is not the one loaded");
        long next = 0;
        for (int i = 0; i < specs.size(); i++) {
            TargetSpec spec = specs.get(i);
            TargetLine line = staged.get(i);
            assertEquals(List.of(spec.start(), spec.length(), spec.type()), List.of(line.start(), line.length(),
                    line.type()), "target " + i);
            assertEquals(next, line.start(), "the staged table has a gap");
            next = line.start() + line.length();
        }
        Outcome.of(() -> core.tableClear(TestRequests.clear(DEVICE))).value();
        assertEquals(before, MapperState.describe(core), "clearing the staged table did not give the core back");
    }

    private static DeviceMapper core() {
        if (dm == null) {
            try {
                backing = Files.createTempDirectory("dmd-table-fuzz");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            dm = DeviceMapper.builder().major(252).build();
            for (String module : ModuleIndex.shipped().loadableModules()) {
                Outcome.of(() -> dm.modprobe(TestRequests.modprobe(module))).value();
            }
            TestLoops loops = new TestLoops(backing);
            assertEquals("/dev/loop0", loops.attach(dm, 4096));
            assertEquals("/dev/loop1", loops.attach(dm, 4096));
            assertEquals("/dev/loop2", loops.attach(dm, 8192));
            Outcome.of(() -> dm.devCreate(TestRequests.create("base"))).value();
            Outcome.of(() -> dm.tableLoad(TestRequests.load("base", "0 8192 zero"))).value();
            Outcome.of(() -> dm.devSuspend(TestRequests.resume("base"))).value();
            Outcome.of(() -> dm.devCreate(TestRequests.create(DEVICE))).value();
            Outcome.of(() -> dm.tableLoad(TestRequests.load(DEVICE, "0 1024 linear /dev/loop0 0"))).value();
            Outcome.of(() -> dm.devSuspend(TestRequests.resume(DEVICE))).value();
        }
        return dm;
    }

    @AfterAll
    static void closeCore() throws IOException {
        if (dm != null) {
            dm.close();
            dm = null;
            try (var files = Files.walk(backing)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}

package org.dmd.core.module;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.dmd.core.control.DeviceMapper;
import org.dmd.core.control.Requests;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.junit.jupiter.api.AfterAll;

/**
 * The module index readers ({@link ModuleIndex#load}: modules.dep, modules.alias,
 * modules.builtin, modules.softdep, modprobe.d) and what runs on what they read ({@link ModProbe}:
 * lookups, dependency and softdep ordering, insertion and removal), against arbitrary files. An
 * input is the five files' bytes, separated by NUL bytes, in that order. For any input:
 * <ul>
 * <li>loading gives an index or EINVAL naming the file and line, with a message;</li>
 * <li>with an index, {@code modprobe} and then {@code modprobe -r} of every module it lists
 * (and of a few names that are aliases in the shipped index) succeed or fail with a DmException
 * of kmod's errnos; nothing else is thrown (no recursion without end on a cycle);</li>
 * <li>after the removals, no module loaded from the index is left (softdeps aside: kmod leaves a
 * softdep loaded if it cannot remove it, so only the count of loaded modules is bounded).</li>
 * </ul>
 * The corpus ({@code ModuleIndexFuzzTestInputs}) holds the shipped index and variations.
 */
class ModuleIndexFuzzTest {

    private static final String[] FILES = {"modules.dep", "modules.alias", "modules.builtin", "modules.softdep",
        "modprobe.d/fuzz.conf"};
    /** kmod's and finit_module's errnos. */
    private static final Set<Errno> DOCUMENTED = EnumSet.of(Errno.ENOENT, Errno.EEXIST, Errno.EBUSY, Errno.EINVAL,
            Errno.EPERM, Errno.ENOEXEC, Errno.ENODEV, Errno.EAGAIN, Errno.ENOMEM, Errno.EFAULT, Errno.ENXIO);
    private static final List<String> LOOKUPS = List.of("dm-zero", "zero", "dm-mirror", "dm_round_robin",
            "dm-thin", "snapshot-origin", "pcspkr");

    private static Path dir;

    @FuzzTest(maxDuration = "10s")
    void load(byte[] input) {
        ModuleIndex index;
        try {
            index = ModuleIndex.load(write(input));
        } catch (DmException e) {
            assertEquals(Errno.EINVAL, e.errno(), e::toString);
            assertTrue(e.getMessage().startsWith(dir.toString()), () -> "the error does not name the file: " + e);
            return;
        }
        Set<String> names = new LinkedHashSet<>(index.loadableModules());
        names.addAll(index.builtinModules());
        names.addAll(LOOKUPS);
        try (DeviceMapper dm = DeviceMapper.builder().moduleIndex(index).build()) {
            for (String name : names) {
                probe(() -> dm.modprobe(new Requests.Modprobe(name, false, false)));
            }
            for (String name : names) {
                probe(() -> dm.modprobe(new Requests.Modprobe(name, true, false)));
            }
            assertTrue(dm.lsmod().modules().size() <= names.size() + index.builtinModules().size() + 1,
                    () -> "modules appeared from nowhere: " + dm.lsmod());
        }
    }

    private interface Probe {
        void run() throws DmException;
    }

    private static void probe(Probe probe) {
        try {
            probe.run();
        } catch (DmException e) {
            assertTrue(DOCUMENTED.contains(e.errno()), () -> "undocumented errno: " + e);
            assertFalse(e.getMessage().isBlank(), "an error without a message");
        }
    }

    /** Lays the input out as an index directory (the same one for every input). */
    private static Path write(byte[] input) {
        try {
            if (dir == null) {
                dir = Files.createTempDirectory("dmd-module-index-fuzz");
                Files.createDirectories(dir.resolve("modprobe.d"));
            }
            int from = 0;
            for (int i = 0; i < FILES.length; i++) {
                int to = from;
                while (to < input.length && input[to] != 0) {
                    to++;
                }
                Path file = dir.resolve(FILES[i]);
                if (i == 0 || from < input.length) {
                    Files.write(file, Arrays.copyOfRange(input, Math.min(from, input.length), to));
                } else {
                    Files.deleteIfExists(file);
                }
                from = to + 1;
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @AfterAll
    static void removeDirectory() throws IOException {
        if (dir != null) {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
            dir = null;
        }
    }
}

package org.dmd.core.testing;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.dmd.core.control.DeviceMapper;
import org.dmd.core.control.Replies.LoopInfo;
import org.dmd.core.control.Requests;

/**
 * Loop devices over small sparse files in a test's temporary directory, for tables that need
 * real underlying devices ({@code /dev/loopN}).
 */
public final class TestLoops {

    private final Path directory;
    private final AtomicInteger files = new AtomicInteger();

    /** Backing files go to {@code directory} (a JUnit {@code @TempDir}). */
    public TestLoops(Path directory) {
        this.directory = directory;
    }

    /** Attaches a new sparse file of {@code sectors} 512-byte sectors to {@code dm}; returns {@code /dev/loopN}. */
    public String attach(DeviceMapper dm, long sectors) {
        Path file = directory.resolve("backing-" + files.incrementAndGet() + ".img");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(sectors * 512);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Outcome.of(() -> dm.loopAttach(new Requests.LoopAttach(file.toString(), false))).value().device();
    }

    /** How many times tables hold {@code loop} ({@code /dev/loopN}) open. */
    public static int openCount(DeviceMapper dm, String loop) {
        return dm.loopList().loops().stream().filter(l -> l.device().equals(loop)).mapToInt(LoopInfo::openCount)
                .findFirst().orElseThrow(() -> new AssertionError(loop + " is not attached"));
    }

    /** {@code MAJ:MIN} of {@code loop}, as tables print it. */
    public static String number(DeviceMapper dm, String loop) {
        return dm.loopList().loops().stream().filter(l -> l.device().equals(loop)).map(LoopInfo::dev)
                .findFirst().orElseThrow(() -> new AssertionError(loop + " is not attached"));
    }
}

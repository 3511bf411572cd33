package org.dmd.core.bench;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.dmd.core.control.DeviceMapper;
import org.dmd.core.control.DmFlag;
import org.dmd.core.control.Requests;
import org.dmd.core.control.Requests.TargetSpec;
import org.dmd.core.errno.DmException;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Figure 4: TABLE_LOAD then resume (which swaps the staged table in and destroys the old live
 * one) on one device, single thread, for a 1-target linear table and a 10,000-target striped
 * table over two loop devices on sparse files. Its goal is relative to the create+remove
 * lifecycle of {@link LifecycleBenchmark} measured in the same run: load+resume of the 1-target
 * table within 3x of it.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class TableLoadBenchmark {

    private static final Set<DmFlag> NO_FLAGS = Set.of();
    private static final String DEVICE = "table-load";
    /** Sectors per stripe chunk, and per stripe of each striped target. */
    private static final long CHUNK = 8;

    /** {@code linear-1} or {@code striped-10000}. */
    @Param({"linear-1", "striped-10000"})
    String table;

    DeviceMapper dm;
    Path directory;
    List<TargetSpec> targets;

    @Setup
    public void start() throws IOException, DmException {
        dm = DeviceMapper.builder().build();
        directory = Files.createTempDirectory("dmd-bench-");
        String[] kind = table.split("-");
        int count = Integer.parseInt(kind[1]);
        long stripeSectors = count * CHUNK;
        String first = attach("stripe0", stripeSectors);
        String second = attach("stripe1", stripeSectors);
        targets = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            if (kind[0].equals("linear")) {
                targets.add(new TargetSpec(i * CHUNK, CHUNK, "linear", first + " " + i * CHUNK));
            } else {
                targets.add(new TargetSpec(i * 2 * CHUNK, 2 * CHUNK, "striped",
                        "2 " + CHUNK + " " + first + " " + i * CHUNK + " " + second + " " + i * CHUNK));
            }
        }
        dm.devCreate(new Requests.DevCreate(DEVICE, null, null, NO_FLAGS, 0));
        loadResume();
    }

    /** A sparse file of {@code sectors} attached as a loop device; its device name. */
    private String attach(String name, long sectors) throws IOException, DmException {
        Path file = directory.resolve(name);
        try (RandomAccessFile sparse = new RandomAccessFile(file.toFile(), "rw")) {
            sparse.setLength(sectors * 512);
        }
        return dm.loopAttach(new Requests.LoopAttach(file.toString(), false)).device();
    }

    @TearDown
    public void stop() throws IOException {
        dm.removeAll(new Requests.RemoveAll(NO_FLAGS));
        dm.close();
        try (Stream<Path> files = Files.walk(directory)) {
            for (Path p : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(p);
            }
        }
    }

    @Benchmark
    public void loadResume() throws DmException {
        dm.tableLoad(new Requests.TableLoad(DEVICE, null, null, NO_FLAGS, targets));
        dm.devSuspend(new Requests.DevSuspend(DEVICE, null, null, NO_FLAGS, 0));
    }
}

package org.dmd.core.bench;

import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.dmd.core.control.DeviceMapper;
import org.dmd.core.control.DmFlag;
import org.dmd.core.control.Requests;
import org.dmd.core.errno.DmException;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

/**
 * Figure 3: in-process device lifecycles, {@link DeviceMapper#devCreate} then
 * {@link DeviceMapper#devRemove} of a table-less device, with one and two threads. Each thread
 * creates and removes a device of its own name, so the threads meet only where the core makes
 * them meet: the index lock, the MinorTable guard and the lowest-free minor.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class LifecycleBenchmark {

    private static final Set<DmFlag> NO_FLAGS = Set.of();

    DeviceMapper dm;

    @Setup
    public void start() {
        dm = DeviceMapper.builder().build();
    }

    @TearDown
    public void stop() {
        dm.close();
    }

    /** The name a thread's devices take, one per thread. */
    @State(Scope.Thread)
    public static class Name {
        private static final AtomicInteger THREADS = new AtomicInteger();

        final String name = "lifecycle-" + THREADS.getAndIncrement();
    }

    private void createRemove(String name) throws DmException {
        dm.devCreate(new Requests.DevCreate(name, null, null, NO_FLAGS, 0));
        dm.devRemove(new Requests.DevRemove(name, null, null, NO_FLAGS, 0));
    }

    @Benchmark
    @Threads(1)
    public void createRemove1Thread(Name name) throws DmException {
        createRemove(name.name);
    }

    @Benchmark
    @Threads(2)
    public void createRemove2Threads(Name name) throws DmException {
        createRemove(name.name);
    }
}

package org.dmd.core.bench;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.dmd.core.errno.DmException;
import org.dmd.core.minor.MinorTable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.infra.ThreadParams;

/**
 * Goal (a): a lookup that takes a holder reference and drops it again ({@code MinorTable.get(int)}
 * + {@code put}, the path of every command that finds a device by number) against the baseline of
 * a {@link ConcurrentHashMap#get} plus an {@link AtomicInteger} increment and decrement on the same
 * keys, with one and two threads. {@code keys} is how many distinct minors the threads cycle
 * through: 1 (every thread on one device) or 1024.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class MinorLookupBenchmark {

    static final class Device extends MinorTable.Entry {
        Device(int minor) {
            super(minor);
        }
    }

    @Param({"1", "1024"})
    int keys;

    MinorTable<Device> minors;
    ConcurrentHashMap<Integer, AtomicInteger> baseline;
    Integer[] boxedKeys;

    @Setup
    public void populate() throws DmException {
        minors = new MinorTable<>();
        baseline = new ConcurrentHashMap<>();
        boxedKeys = new Integer[keys];
        for (int i = 0; i < keys; i++) {
            int minor = minors.reserveAny();
            minors.publish(new Device(minor));
            boxedKeys[i] = minor;
            baseline.put(minor, new AtomicInteger(1));
        }
    }

    /**
     * Each thread walks the keys from its own position, spread evenly: threads that started
     * together on one key would walk in step and measure one device's contention, which
     * {@code keys=1} measures on purpose.
     */
    @State(Scope.Thread)
    public static class Cursor {
        int next;

        @Setup
        public void spread(MinorLookupBenchmark benchmark, ThreadParams thread) {
            next = (int) ((long) benchmark.keys * thread.getThreadIndex() / thread.getThreadCount());
        }

        int advance(int keys) {
            int key = next;
            next = key + 1 == keys ? 0 : key + 1;
            return key;
        }
    }

    private boolean minorTableGetPut(Cursor cursor) {
        Device device = minors.get(cursor.advance(keys));
        return minors.put(device);
    }

    private int baselineGetIncDec(Cursor cursor) {
        AtomicInteger holders = baseline.get(boxedKeys[cursor.advance(keys)]);
        holders.incrementAndGet();
        return holders.decrementAndGet();
    }

    @Benchmark
    @Threads(1)
    public boolean minorTable1Thread(Cursor cursor) {
        return minorTableGetPut(cursor);
    }

    @Benchmark
    @Threads(2)
    public boolean minorTable2Threads(Cursor cursor) {
        return minorTableGetPut(cursor);
    }

    @Benchmark
    @Threads(1)
    public int baseline1Thread(Cursor cursor) {
        return baselineGetIncDec(cursor);
    }

    @Benchmark
    @Threads(2)
    public int baseline2Threads(Cursor cursor) {
        return baselineGetIncDec(cursor);
    }
}

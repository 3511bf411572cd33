package org.dmd.core.bench;

import java.util.concurrent.TimeUnit;
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

/**
 * Goal (b): lowest-free allocation plus release ({@code reserveAny} + {@code release}) with
 * 1,000 and 1,000,000 minors in use; the per-operation time should not grow with the table.
 * The 1,024 case is the worst one for chunk churn: the lowest free minor is the first of an
 * empty chunk, which each reservation creates and each release discards.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class MinorAllocationBenchmark {

    @Param({"1000", "1000000", "1024"})
    int inUse;

    MinorTable<MinorTable.Entry> minors;

    @Setup
    public void fill() throws DmException {
        minors = new MinorTable<>();
        for (int i = 0; i < inUse; i++) {
            minors.reserveAny();
        }
    }

    @Benchmark
    public int reserveAnyAndRelease() throws DmException {
        int minor = minors.reserveAny();
        minors.release(minor);
        return minor;
    }
}

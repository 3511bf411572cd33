package org.dmd.client.bench;

import java.util.Arrays;

/**
 * Recorded latencies in nanoseconds, and their percentiles by nearest rank over the sorted
 * values (exact, no histogram buckets). Not thread-safe: one per connection, merged at the end.
 */
final class Latencies {

    private long[] values = new long[1024];
    private int size;
    private boolean sorted;

    void add(long nanos) {
        if (size == values.length) {
            values = Arrays.copyOf(values, size * 2);
        }
        values[size++] = nanos;
        sorted = false;
    }

    void addAll(Latencies other) {
        if (size + other.size > values.length) {
            values = Arrays.copyOf(values, Math.max(size + other.size, size * 2));
        }
        System.arraycopy(other.values, 0, values, size, other.size);
        size += other.size;
        sorted = false;
    }

    int count() {
        return size;
    }

    /** The smallest recorded value that at least {@code percent}% of the values do not exceed. */
    long percentile(double percent) {
        if (size == 0) {
            return 0;
        }
        sort();
        // The epsilon keeps 99.9% of 1,000 at rank 999 despite binary fractions.
        int rank = (int) Math.ceil(percent * size / 100.0 - 1e-9);
        return values[Math.max(0, Math.min(size, rank) - 1)];
    }

    long max() {
        return percentile(100);
    }

    double mean() {
        if (size == 0) {
            return 0;
        }
        double sum = 0;
        for (int i = 0; i < size; i++) {
            sum += values[i];
        }
        return sum / size;
    }

    private void sort() {
        if (!sorted) {
            Arrays.sort(values, 0, size);
            sorted = true;
        }
    }
}

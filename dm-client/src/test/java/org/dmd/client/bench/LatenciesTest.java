package org.dmd.client.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class LatenciesTest {

    @Test
    void percentilesAreNearestRanksOfTheMergedValues() {
        Latencies first = new Latencies();
        Latencies second = new Latencies();
        for (int i = 1000; i >= 1; i--) {
            (i % 2 == 0 ? first : second).add(i);
        }
        Latencies all = new Latencies();
        all.addAll(first);
        all.addAll(second);
        assertEquals(1000, all.count());
        assertEquals(500, all.percentile(50));
        assertEquals(990, all.percentile(99));
        assertEquals(999, all.percentile(99.9));
        assertEquals(1, all.percentile(0.01));
        assertEquals(1000, all.max());
        assertEquals(500.5, all.mean());
    }

    @Test
    void nothingRecordedIsAllZero() {
        Latencies none = new Latencies();
        assertEquals(0, none.percentile(50));
        assertEquals(0, none.mean());
    }
}

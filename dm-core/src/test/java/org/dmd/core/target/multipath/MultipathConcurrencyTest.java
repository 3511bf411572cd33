package org.dmd.core.target.multipath;

import static org.dmd.core.target.TargetAssertions.args;
import static org.dmd.core.target.TargetAssertions.construct;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.dmd.core.target.FakeTargetContext;
import org.dmd.core.target.Target;
import org.junit.jupiter.api.Test;

/** Messages racing with each other and with status readers, bounded, then checked. */
class MultipathConcurrencyTest {

    private static final int PATHS = 4;
    private static final int ROUNDS = 300;

    @Test
    void concurrentFailReinstateAndStatusStayConsistent() throws Exception {
        FakeTargetContext context = new FakeTargetContext(1000).withPathSelector(RepeatCountSelectorType.ROUND_ROBIN);
        StringBuilder line = new StringBuilder("0 0 1 1 round-robin 0 " + PATHS + " 0");
        for (int i = 0; i < PATHS; i++) {
            context.withLoop(i, 4096);
            line.append(" /dev/loop").append(i);
        }
        Target mpath = construct(MultipathTarget.TYPE, context, line.toString());
        int statusWords = mpath.status().split(" ").length;

        ExecutorService pool = Executors.newFixedThreadPool(PATHS + 2);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<?>> workers = new ArrayList<>();
        for (int i = 0; i < PATHS; i++) {
            String path = "7:" + i;
            workers.add(pool.submit(() -> {
                start.await();
                for (int round = 0; round < ROUNDS; round++) {
                    mpath.message(args("fail_path " + path));
                    mpath.message(args("reinstate_path " + path));
                }
                return null;
            }));
        }
        workers.add(pool.submit(() -> {
            start.await();
            for (int round = 0; round < ROUNDS; round++) {
                mpath.message(args(round % 2 == 0 ? "queue_if_no_path" : "fail_if_no_path"));
            }
            return null;
        }));
        workers.add(pool.submit(() -> {
            start.await();
            long[] lastFailCounts = new long[PATHS];
            for (int round = 0; round < ROUNDS * 2; round++) {
                String[] words = mpath.status().split(" ");
                assertEquals(statusWords, words.length);
                for (int i = 0; i < PATHS; i++) {
                    // Each path is "7:i A|F count" after the 10-word header.
                    String state = words[10 + 3 * i + 1];
                    long failCount = Long.parseLong(words[10 + 3 * i + 2]);
                    assertTrue(state.equals("A") || state.equals("F"));
                    assertTrue(failCount >= lastFailCounts[i], "fail counts never go back");
                    lastFailCounts[i] = failCount;
                }
                String table = mpath.table();
                assertTrue(table.startsWith("0 0 1 1 ") || table.startsWith("1 queue_if_no_path 0 1 1 "), table);
            }
            return null;
        }));
        start.countDown();
        for (Future<?> worker : workers) {
            worker.get(60, TimeUnit.SECONDS);
        }
        pool.shutdown();

        StringBuilder expected = new StringBuilder("2 1 0 0 1 1 E 0 " + PATHS + " 0 ");
        for (int i = 0; i < PATHS; i++) {
            expected.append("7:").append(i).append(" A ").append(ROUNDS).append(' ');
        }
        assertEquals(expected.toString(), mpath.status());
        assertEquals(2 * ROUNDS * PATHS, context.eventCount(), "every effective fail and reinstate raised one event");
        assertTrue(mpath.table().startsWith("0 0 1 1 "), "the last queueing message was fail_if_no_path");
    }
}

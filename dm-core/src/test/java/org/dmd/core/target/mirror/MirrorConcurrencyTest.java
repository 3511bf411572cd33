package org.dmd.core.target.mirror;

import static org.dmd.core.target.TargetAssertions.construct;
import static org.junit.jupiter.api.Assertions.assertEquals;

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

class MirrorConcurrencyTest {

    @Test
    void racingResumesRaiseTheInSyncEventOnce() throws Exception {
        for (int trial = 0; trial < 50; trial++) {
            FakeTargetContext context = new FakeTargetContext(4096).withLoop(0, 4096).withLoop(1, 4096)
                    .withDirtyLog(RegionLogType.CORE);
            Target mirror = construct(MirrorTarget.TYPE, context, "core 1 1024 2 /dev/loop0 0 /dev/loop1 0");
            ExecutorService pool = Executors.newFixedThreadPool(4);
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> resumers = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                resumers.add(pool.submit(() -> {
                    start.await();
                    mirror.preresume();
                    return mirror.status();
                }));
            }
            start.countDown();
            for (Future<?> resumer : resumers) {
                assertEquals("2 7:0 7:1 4/4 1 AA 1 core", resumer.get(30, TimeUnit.SECONDS));
            }
            pool.shutdown();
            assertEquals(1, context.eventCount());
        }
    }
}

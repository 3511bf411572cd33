package org.dmd.core.concurrent;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class SpinLockTest {

    private static final int THREADS = 4;
    private static final int ROUNDS = 50_000;

    /** Guarded by the lock under test: a plain counter loses increments without mutual exclusion. */
    private long counter;

    @Test
    void oneHolderAtATimeAndEveryUpdateIsSeen() throws Exception {
        SpinLock lock = new SpinLock();
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger overlaps = new AtomicInteger();
        CyclicBarrier start = new CyclicBarrier(THREADS);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            Thread thread = new Thread(() -> {
                try {
                    start.await();
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
                for (int i = 0; i < ROUNDS; i++) {
                    lock.lock();
                    try {
                        if (inside.incrementAndGet() != 1) {
                            overlaps.incrementAndGet();
                        }
                        counter++;
                        inside.decrementAndGet();
                    } finally {
                        lock.unlock();
                    }
                }
            });
            thread.start();
            threads.add(thread);
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertEquals(0, overlaps.get());
        assertEquals((long) THREADS * ROUNDS, counter);
    }

    @Test
    void aWaiterEntersOnlyOnceTheHolderLeaves() throws Exception {
        SpinLock lock = new SpinLock();
        AtomicBoolean entered = new AtomicBoolean();
        CountDownLatch trying = new CountDownLatch(1);
        lock.lock();
        Thread waiter = new Thread(() -> {
            trying.countDown();
            lock.lock();
            entered.set(true);
            lock.unlock();
        });
        waiter.start();
        trying.await();
        await().atMost(Duration.ofSeconds(30)).until(() -> waiter.getState() == Thread.State.RUNNABLE);
        assertFalse(entered.get(), "entered while the lock was held");
        lock.unlock();
        waiter.join();
        assertEquals(true, entered.get());
    }
}

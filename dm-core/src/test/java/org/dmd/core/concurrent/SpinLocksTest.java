package org.dmd.core.concurrent;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class SpinLocksTest {

    private static final int THREADS = 4;
    private static final int ROUNDS = 50_000;

    /** Guarded by the lock under test: a plain counter loses increments without mutual exclusion. */
    private long counter;

    @Test
    void oneHolderAtATimeAndEveryUpdateIsSeen() throws Exception {
        SpinLocks locks = new SpinLocks(2);
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
                    locks.lock(1);
                    try {
                        if (inside.incrementAndGet() != 1) {
                            overlaps.incrementAndGet();
                        }
                        counter++;
                        inside.decrementAndGet();
                    } finally {
                        locks.unlock(1);
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
        SpinLocks locks = new SpinLocks(2);
        AtomicBoolean entered = new AtomicBoolean();
        CountDownLatch trying = new CountDownLatch(1);
        locks.lock(1);
        Thread waiter = new Thread(() -> {
            trying.countDown();
            locks.lock(1);
            entered.set(true);
            locks.unlock(1);
        });
        waiter.start();
        trying.await();
        await().atMost(Duration.ofSeconds(30)).until(() -> waiter.getState() == Thread.State.RUNNABLE);
        assertFalse(entered.get(), "entered while the lock was held");
        locks.unlock(1);
        waiter.join();
        assertEquals(true, entered.get());
    }

    @Test
    void locksOfOneSetAreIndependent() throws Exception {
        SpinLocks locks = new SpinLocks(2);
        locks.lock(0);
        Thread other = new Thread(() -> {
            locks.lock(1);
            locks.unlock(1);
        });
        other.start();
        other.join(Duration.ofSeconds(30).toMillis());
        assertFalse(other.isAlive(), "lock 1 waited for lock 0");
        locks.unlock(0);
    }

    @Test
    void aSetHasAtLeastOneLock() {
        assertThrows(IllegalArgumentException.class, () -> new SpinLocks(0));
    }
}

package org.dmd.core.concurrent;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A fixed set of spin locks for critical sections of a few instructions (the kernel's
 * spinlock_t), numbered from 0. Acquiring a free lock is one compare-and-set, releasing one
 * release store. A thread that finds a lock held spins on a read, and after {@link #SPINS} turns
 * yields its processor between reads, so that a holder preempted on a busy machine gets to run.
 *
 * <p>Each lock's word sits alone in 128 bytes of one int array, so that threads working under
 * different locks never share a cache line (nor an adjacent-line prefetch pair): a set of locks
 * can stripe one structure without the stripes contending with each other.
 *
 * <p>Not reentrant, no fairness, no condition queues: hold a lock only for a few instructions,
 * never across a call that may block, log or allocate much.
 */
public final class SpinLocks {

    private static final int SPINS = 128;
    /** Ints from one lock's word to the next: 128 bytes. */
    private static final int STRIDE = 32;
    private static final VarHandle WORD = MethodHandles.arrayElementVarHandle(int[].class);

    /**
     * Lock {@code i}'s word is {@code words[(i + 1) * STRIDE]}: 1 while held. Padded on both
     * sides, so that nothing else allocated next to the array shares its lines either.
     */
    private final int[] words;
    private final int count;

    public SpinLocks(int count) {
        if (count <= 0) {
            throw new IllegalArgumentException("a set of spin locks needs at least one: " + count);
        }
        this.count = count;
        this.words = new int[(count + 2) * STRIDE];
    }

    /** Acquires lock {@code lock}, 0 &lt;= lock &lt; count. */
    public void lock(int lock) {
        assert lock >= 0 && lock < count : "no spin lock " + lock + " of " + count;
        int word = (lock + 1) * STRIDE;
        if (!WORD.compareAndSet(words, word, 0, 1)) {
            lockContended(word);
        }
    }

    private void lockContended(int word) {
        int spins = 0;
        do {
            while ((int) WORD.getOpaque(words, word) != 0) {
                if (++spins < SPINS) {
                    Thread.onSpinWait();
                } else {
                    Thread.yield();
                }
            }
        } while (!WORD.compareAndSet(words, word, 0, 1));
    }

    /** Releases lock {@code lock}, which the current thread holds. */
    public void unlock(int lock) {
        assert lock >= 0 && lock < count : "no spin lock " + lock + " of " + count;
        WORD.setRelease(words, (lock + 1) * STRIDE, 0);
    }
}

package org.dmd.core.module;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.dmd.core.concurrent.LockRank;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.dmd.core.event.EventBus;
import org.dmd.core.event.KernelMessage;
import org.dmd.core.registry.ModuleRequester;

/**
 * The kernel's {@code request_module} (kernel/module/kmod.c: __request_module): validates
 * the name, admits at most {@code maxConcurrent} requests at once (a further one waits up to
 * {@code admissionWait} and then fails ETIME with a rate-limited warning), and runs
 * {@code modprobe -q NAME} synchronously in the caller's thread.
 *
 * <p>Thread-safe: the admission semaphore and the warning rate limit are the only shared state.
 */
final class ModuleRequests implements ModuleRequester {

    /** printk_ratelimited: at most this many warnings per interval. */
    private static final int WARNING_BURST = 10;
    private static final long WARNING_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final ModProbe modprobe;
    private final EventBus events;
    private final int maxConcurrent;
    private final Duration admissionWait;
    private final Semaphore admission;
    /** Start of the current rate-limit interval and warnings emitted in it; updated together by CAS on the start. */
    private final AtomicLong intervalStart = new AtomicLong(System.nanoTime() - WARNING_INTERVAL_NANOS);
    private final AtomicLong warningsInInterval = new AtomicLong();

    ModuleRequests(ModProbe modprobe, EventBus events, int maxConcurrent, Duration admissionWait) {
        if (maxConcurrent < 1) {
            throw new IllegalArgumentException("request_module needs at least one concurrent request, not " + maxConcurrent);
        }
        this.modprobe = modprobe;
        this.events = events;
        this.maxConcurrent = maxConcurrent;
        this.admissionWait = admissionWait;
        this.admission = new Semaphore(maxConcurrent, true);
    }

    @Override
    public int requestModule(String name) throws DmException {
        if (name.length() > ModuleNames.MAX_NAME_LENGTH) {
            throw new DmException(Errno.ENAMETOOLONG, "module name '%s' is longer than %d characters",
                    name, ModuleNames.MAX_NAME_LENGTH);
        }
        assert LockRank.noneHeld();
        try {
            if (!admission.tryAcquire(admissionWait.toNanos(), TimeUnit.NANOSECONDS)) {
                warnBusy(name);
                throw new DmException(Errno.ETIME, "request_module: %s not run, %d requests busy for %d s",
                        name, maxConcurrent, admissionWait.toSeconds());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DmException(Errno.EINTR, "interrupted while waiting to request module %s", name);
        }
        try {
            modprobe.probe(name, false);
            return 0;
        } catch (DmException e) {
            return 1; // modprobe's exit status; the caller re-checks for what it wanted
        } finally {
            admission.release();
        }
    }

    private void warnBusy(String name) {
        long now = System.nanoTime();
        long start = intervalStart.get();
        if (now - start >= WARNING_INTERVAL_NANOS && intervalStart.compareAndSet(start, now)) {
            warningsInInterval.set(0);
        }
        if (warningsInInterval.incrementAndGet() <= WARNING_BURST) {
            events.log(KernelMessage.Level.WARNING, "request_module: modprobe " + name
                    + " cannot be processed, kmod busy with " + maxConcurrent + " threads for more than "
                    + admissionWait.toSeconds() + " seconds now");
        }
    }
}

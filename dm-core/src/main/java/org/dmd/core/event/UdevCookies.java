package org.dmd.core.event;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;

/**
 * udev-style transaction cookies, kept by dmd instead of SysV semaphores (libdm-common.c: dm_udev_create_cookie, dm_udev_wait; dm-ioctl.c: dm_kobject_uevent's DM_COOKIE).
 *
 * <p>A cookie is a counter identified by its low 16 bits (the semaphore's key); the high 16 bits a
 * client sends with it are udev flags and are ignored here. Creating one sets it to 1 (the
 * creator's hold). Each uevent emitted with the cookie raises it by one before the event is
 * queued, and lowers it again once the event has been delivered to every listener — dmd plays
 * the part of udev's rules calling {@code udevcomplete}. {@code complete} lowers it by hand;
 * {@code release} drops the creator's hold and waits for zero, after which the cookie is gone.
 *
 * <p>Guarded by {@code this}: the map and every cookie's fields. Futures complete outside it.
 */
public final class UdevCookies {

    /** One cookie as listed. */
    public record Info(long cookie, int value, long createdEpochMillis) {
    }

    private static final class Cookie {
        final int key;
        final long created;
        int value = 1;
        CompletableFuture<Void> zero;

        Cookie(int key, long created) {
            this.key = key;
            this.created = created;
        }
    }

    private final EventBus events;
    private final Clock clock;
    /** Guarded by {@code this}. */
    private final Map<Integer, Cookie> cookies = new HashMap<>();
    /** The event listener is installed with the first cookie. */
    private final AtomicBoolean subscribed = new AtomicBoolean();

    public UdevCookies(EventBus events, Clock clock) {
        this.events = events;
        this.clock = clock;
    }

    /** Creates a cookie with value 1; its low 16 bits are unique among live cookies and never 0. */
    public long create() throws DmException {
        if (subscribed.compareAndSet(false, true)) {
            events.subscribe(this::onEvent);
        }
        synchronized (this) {
            if (cookies.size() >= 0xFFFF) {
                throw new DmException(Errno.ENOSPC, "all 65535 udev cookies are in use");
            }
            int key;
            do {
                key = ThreadLocalRandom.current().nextInt(1, 0x10000);
            } while (cookies.containsKey(key));
            cookies.put(key, new Cookie(key, clock.millis()));
            return key;
        }
    }

    /**
     * Called before a uevent carrying {@code eventNr} is emitted: if its low 16 bits name a live
     * cookie, the cookie counts one more uevent to process. Returns the value for DM_COOKIE: the
     * caller's full u32 (udev flags included), 0 meaning none, as the kernel sets it.
     */
    public long hold(long eventNr) {
        int key = (int) (eventNr & 0xFFFF);
        if (key != 0) {
            synchronized (this) {
                Cookie cookie = cookies.get(key);
                if (cookie != null) {
                    cookie.value++;
                }
            }
        }
        return eventNr & 0xFFFF_FFFFL;
    }

    private void onEvent(Event event) {
        if (event instanceof Uevent uevent) {
            String cookie = uevent.env().get("DM_COOKIE");
            if (cookie != null) {
                decrement((int) (Long.parseLong(cookie) & 0xFFFF));
            }
        }
    }

    /** {@code udevcomplete}: one pending uevent is processed. EINVAL for an unknown cookie. */
    public void complete(long cookie) throws DmException {
        if (!decrement((int) (cookie & 0xFFFF))) {
            throw unknown(cookie);
        }
    }

    /**
     * {@code udevreleasecookie}: drops the creator's hold; the future completes when every uevent
     * of the transaction is processed and the cookie is gone.
     */
    public CompletableFuture<Void> release(long cookie) throws DmException {
        CompletableFuture<Void> zero;
        synchronized (this) {
            Cookie c = cookies.get((int) (cookie & 0xFFFF));
            if (c == null) {
                throw unknown(cookie);
            }
            if (c.zero == null) {
                c.zero = new CompletableFuture<>();
            }
            zero = c.zero;
        }
        decrement((int) (cookie & 0xFFFF));
        return zero;
    }

    /** Lowers a cookie; at zero it is removed and its waiters released. False if unknown. */
    private boolean decrement(int key) {
        CompletableFuture<Void> done = null;
        synchronized (this) {
            Cookie cookie = cookies.get(key);
            if (cookie == null) {
                return false;
            }
            if (--cookie.value <= 0) {
                cookies.remove(key);
                done = cookie.zero;
            }
        }
        if (done != null) {
            done.complete(null);
        }
        return true;
    }

    /** {@code udevcookies}: live cookies, oldest first. */
    public synchronized List<Info> list() {
        List<Info> out = new ArrayList<>();
        for (Cookie c : cookies.values()) {
            out.add(new Info(c.key, c.value, c.created));
        }
        out.sort(Comparator.comparingLong(Info::createdEpochMillis).thenComparingLong(Info::cookie));
        return out;
    }

    /** {@code udevcomplete_all}: removes every cookie at least {@code age} old; returns how many. */
    public int completeAll(Duration age) {
        long cutoff = clock.millis() - age.toMillis();
        List<CompletableFuture<Void>> released = new ArrayList<>();
        int count = 0;
        synchronized (this) {
            var it = cookies.values().iterator();
            while (it.hasNext()) {
                Cookie c = it.next();
                if (c.created <= cutoff) {
                    it.remove();
                    count++;
                    if (c.zero != null) {
                        released.add(c.zero);
                    }
                }
            }
        }
        released.forEach(f -> f.complete(null));
        return count;
    }

    private static DmException unknown(long cookie) {
        return new DmException(Errno.EINVAL, "no udev cookie 0x%x", cookie & 0xFFFF);
    }
}

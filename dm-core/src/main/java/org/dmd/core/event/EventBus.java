package org.dmd.core.event;

import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * The ordered stream of uevents and kernel messages.
 *
 * <p>Emitting only appends to a lock-free queue, so it is safe while holding any dmd lock; code
 * emits inside the critical section that orders the state change it reports, and the stream's
 * order is then the order of those changes. One dispatcher thread delivers events to listeners,
 * in queue order, stamping each with the next SEQNUM; listeners therefore run under no dmd lock
 * and see a device only once the change that made it visible is complete. A listener must be
 * quick (hand the event off); one that throws is dropped.
 *
 * <p>The dispatcher starts with the first subscriber; with no subscriber events are counted and
 * discarded.
 */
public final class EventBus implements AutoCloseable {

    private final ConcurrentLinkedQueue<Event> pending = new ConcurrentLinkedQueue<>();
    private final CopyOnWriteArrayList<Consumer<Event>> listeners = new CopyOnWriteArrayList<>();
    private final AtomicLong seqnum = new AtomicLong();
    /** Set once, under {@code this}, when the first listener subscribes. */
    private volatile Thread dispatcher;
    private volatile boolean closed;

    /** Emits a uevent. Safe under any lock. */
    public void uevent(UeventAction action, String subsystem, String devpath, Map<String, String> env) {
        emit(new Uevent(0, action, subsystem, devpath, env));
    }

    /** Emits a kernel log line. Safe under any lock (format the text outside it). */
    public void log(KernelMessage.Level level, String text) {
        emit(new KernelMessage(0, level, text));
    }

    /** The SEQNUM of the latest event emitted. */
    public long lastSeqnum() {
        return seqnum.get();
    }

    /** Adds a listener; closing the returned handle removes it. */
    public AutoCloseable subscribe(Consumer<Event> listener) {
        listeners.add(listener);
        startDispatcher();
        return () -> listeners.remove(listener);
    }

    private void emit(Event event) {
        if (listeners.isEmpty() || closed) {
            seqnum.incrementAndGet();
            return;
        }
        pending.offer(event);
        LockSupport.unpark(dispatcher);
    }

    private synchronized void startDispatcher() {
        if (dispatcher != null || closed) {
            return;
        }
        Thread thread = new Thread(this::dispatch, "dmd-events");
        thread.setDaemon(true);
        dispatcher = thread;
        thread.start();
    }

    private void dispatch() {
        while (!closed) {
            Event event = pending.poll();
            if (event == null) {
                LockSupport.park(this);
                continue;
            }
            Event stamped = stamp(event, seqnum.incrementAndGet());
            for (Consumer<Event> listener : listeners) {
                try {
                    listener.accept(stamped);
                } catch (RuntimeException e) {
                    listeners.remove(listener);
                }
            }
        }
    }

    private static Event stamp(Event event, long seq) {
        if (event instanceof Uevent u) {
            return new Uevent(seq, u.action(), u.subsystem(), u.devpath(), u.env());
        }
        KernelMessage m = (KernelMessage) event;
        return new KernelMessage(seq, m.level(), m.text());
    }

    @Override
    public void close() {
        closed = true;
        Thread thread = dispatcher;
        if (thread != null) {
            LockSupport.unpark(thread);
        }
    }
}

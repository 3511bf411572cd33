package org.dmd.daemon;

import io.netty.channel.ChannelHandlerContext;
import java.util.ArrayDeque;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import org.dmd.core.event.Event;
import org.dmd.core.event.EventBus;
import org.dmd.core.event.KernelMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams the event bus to one connection, like {@code udevadm monitor}, without ever making the
 * daemon wait for a slow reader. Events are written while the channel is writable (Netty's
 * outbound buffer is under its high-water mark); beyond that up to {@code capacity} wait in a
 * backlog. When the backlog is full the subscriber is behind: every further event is dropped and
 * counted until the backlog has drained to the socket, then one {@code dropped} notice with the
 * count is written and streaming resumes. The stream stays ordered; the notice sits where the gap is.
 *
 * <p>{@link #accept} runs on the bus's dispatcher thread and only hands the event to the
 * channel's event loop; every field is confined to that event loop.
 */
final class MonitorSubscription implements Consumer<Event> {

    private static final Logger LOG = LoggerFactory.getLogger(MonitorSubscription.class);

    private final ChannelHandlerContext ctx;
    private final boolean kernelMessages;
    private final int capacity;
    private final ArrayDeque<Event> backlog = new ArrayDeque<>();
    /** Events dropped since the subscriber fell behind; 0 while it keeps up. */
    private long dropped;
    private AutoCloseable subscription;
    private boolean closed;

    MonitorSubscription(ChannelHandlerContext ctx, boolean kernelMessages, int capacity) {
        this.ctx = ctx;
        this.kernelMessages = kernelMessages;
        this.capacity = capacity;
    }

    void start(EventBus events) {
        subscription = events.subscribe(this);
    }

    @Override
    public void accept(Event event) {
        if (event instanceof KernelMessage && !kernelMessages) {
            return;
        }
        try {
            ctx.executor().execute(() -> offer(event));
        } catch (RejectedExecutionException e) {
            // The event loop is shutting down with the daemon; close() ends the subscription.
        }
    }

    private void offer(Event event) {
        if (closed) {
            return;
        }
        if (dropped > 0 || backlog.size() >= capacity) {
            if (dropped++ == 0) {
                LOG.debug("monitor {} is {} events behind: dropping events until it catches up", ctx.channel(),
                        backlog.size());
            }
            return;
        }
        backlog.add(event);
        drain();
    }

    /** Writes what the channel takes now; called again when it becomes writable. */
    void drain() {
        if (closed) {
            return;
        }
        boolean wrote = false;
        while (ctx.channel().isWritable() && !backlog.isEmpty()) {
            ctx.write(new Outbound.Notice(backlog.poll()));
            wrote = true;
        }
        if (backlog.isEmpty() && dropped > 0 && ctx.channel().isWritable()) {
            LOG.debug("monitor {} caught up after dropping {} events", ctx.channel(), dropped);
            ctx.write(new Outbound.Dropped(dropped));
            dropped = 0;
            wrote = true;
        }
        if (wrote) {
            ctx.flush();
        }
    }

    void close() {
        closed = true;
        backlog.clear();
        try {
            subscription.close();
        } catch (Exception e) {
            LOG.debug("ending the subscription of {}", ctx.channel(), e);
        }
    }
}

package org.dmd.daemon;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes a connection that has sent no complete frame for the idle timeout, unless it is waiting
 * for a reply, monitoring events or holding a device open ({@link IdleAware}); and one whose peer has taken none of a pending reply's bytes
 * for the idle timeout, whatever it waits for. A half-sent frame does not count as activity, so a
 * peer that trickles bytes (one a second, say) without finishing a frame is closed like a silent
 * one, and one that sends requests but never reads its replies, which the {@link Dispatcher}
 * stops reading from, is closed rather than kept forever.
 *
 * <p>The event loops keep no timer for this: a loop with a scheduled task arms a kernel timer
 * each time it waits for I/O, which on a VM adds 1.5 to 2 µs to every round trip. Instead
 * one sweeper thread looks at every connection's last read {@value #SWEEPS_PER_TIMEOUT} times per
 * timeout and hands a connection that looks idle to its event loop, which decides there. A
 * connection is therefore closed between one and 1 + 1/{@value #SWEEPS_PER_TIMEOUT} timeouts
 * after its last read.
 *
 * <p>Thread-safety: {@link #connections} is a concurrent set, which publishes each
 * {@link Connection} (its context included) to the sweeper; a connection's last read is
 * volatile, written by its event loop and read by the sweeper; everything else a connection
 * decides runs on its event loop.
 */
final class IdleCloser implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(IdleCloser.class);
    private static final int SWEEPS_PER_TIMEOUT = 4;

    private final long timeoutNanos;
    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService sweeper;

    IdleCloser(Duration timeout) {
        this.timeoutNanos = TimeUnit.NANOSECONDS.convert(timeout); // saturates: --idle-timeout 999999999h is valid
        this.sweeper = Executors.newSingleThreadScheduledExecutor(new DefaultThreadFactory("dmd-idle", true));
        long period = Math.max(1, timeoutNanos / SWEEPS_PER_TIMEOUT);
        sweeper.scheduleWithFixedDelay(this::sweep, period, period, TimeUnit.NANOSECONDS);
    }

    /** The handler after a connection's frame decoder: it notes when the connection last sent a whole frame. */
    ChannelInboundHandlerAdapter newConnection() {
        return new Connection();
    }

    private void sweep() {
        long now = System.nanoTime();
        for (Connection connection : connections) {
            if (now - connection.lastRead >= timeoutNanos) {
                connection.closeLaterIfIdle();
            }
        }
    }

    /** Stops the sweeper; connections stay open. */
    @Override
    public void close() {
        sweeper.shutdownNow();
    }

    /**
     * One connection's frames; everything but {@link #lastRead} is confined to its event loop. It
     * counts from the moment it is added to the pipeline (at accept), not from channelActive, which
     * the {@link Authoriser} does not pass on for a refused peer: that one is closed when idle too.
     */
    private final class Connection extends ChannelInboundHandlerAdapter {
        /** System.nanoTime() at the last complete frame (or at accept). */
        private volatile long lastRead;
        private ChannelHandlerContext ctx;

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            this.ctx = ctx;
            lastRead = System.nanoTime();
            connections.add(this);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            lastRead = System.nanoTime();
            ctx.fireChannelRead(msg);
        }

        @Override
        public void handlerRemoved(ChannelHandlerContext ctx) {
            connections.remove(this);
        }

        /** From the sweeper. */
        void closeLaterIfIdle() {
            try {
                ctx.executor().execute(this::closeIfIdle);
            } catch (RejectedExecutionException e) {
                // The event loop is stopping, and the connection with it.
            }
        }

        private void closeIfIdle() {
            long now = System.nanoTime();
            if (!ctx.channel().isActive() || now - lastRead < timeoutNanos) {
                return;
            }
            IdleAware connection = ctx.pipeline().get(IdleAware.class);
            if (connection == null || connection.isIdle()) {
                LOG.debug("closing idle connection {}", ctx.channel());
                ctx.close();
            } else if (connection.replyStalledFor(now) >= timeoutNanos) {
                LOG.debug("closing {}: its peer has taken no reply for {} ns", ctx.channel(), timeoutNanos);
                ctx.close();
            } else {
                LOG.debug("connection {} is quiet but waits for a reply, monitors events or holds a device: kept open",
                        ctx.channel());
            }
        }
    }
}

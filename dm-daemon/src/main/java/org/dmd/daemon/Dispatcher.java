package org.dmd.daemon;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import org.dmd.core.control.Command;
import org.dmd.core.control.ControlSession;
import org.dmd.core.control.Replies;
import org.dmd.core.control.Replies.Reply;
import org.dmd.core.control.Requests;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Executes one connection's requests against its {@link ControlSession}, strictly one at a time
 * and in order: the next request starts once the previous reply is written. Commands run on the
 * shared bounded worker pool, except DEV_STATUS, which runs on the event loop (see
 * {@link #ON_EVENT_LOOP}) and whose reply is written at once, before the loop reads on; a command
 * whose future completes later (DEV_WAIT, a cookie release) occupies no worker while it waits.
 * MONITOR turns the connection into an event stream ({@link MonitorSubscription}). A frame its codec
 * answers itself ({@link Inbound.Local}: a binary extension command) is answered in its turn, on the event loop.
 *
 * <p>When the connection goes, everything pending for it is cancelled: the queued frames are
 * forgotten, the running command's worker is interrupted, its future cancelled (which releases a
 * DEV_WAIT's device), the subscription ended, and the session closed (dropping its block-device
 * opens) on the {@linkplain Services#closer() closer} because a close may wait for a deferred
 * removal.
 *
 * <p>Per connection. Every field is confined to the channel's event loop except {@link #result}
 * and {@link #closed}, which a worker and the event loop exchange: the worker publishes the
 * command's future and then reads {@code closed}; the event loop sets {@code closed} and then
 * reads the future; one of them therefore always cancels it. {@link #ctx} is set before the
 * server publishes the dispatcher (for {@link #drainLater()} and {@link #closeLater()}), and the
 * session before any command is handed to a worker.
 */
final class Dispatcher extends ChannelInboundHandlerAdapter implements IdleAware {

    private static final Logger LOG = LoggerFactory.getLogger(Dispatcher.class);
    /** Frames read ahead of execution before the connection stops reading. */
    static final int READ_AHEAD = 32;
    /**
     * Commands executed on the event loop itself rather than handed to a worker. DEV_STATUS is
     * what tools poll most (libdm's info, once per device), and the hand-off to a worker and back
     * costs more than the command: two thread wake-ups against a few microseconds of work. It may
     * run here because it never waits (no DEV_WAIT, no module load, no suspend) and does a bounded
     * amount of work whatever the number of devices or the size of their tables: one lookup under
     * the index read lock and the MinorTable guard, whose holders never wait while holding them.
     */
    private static final Set<Command> ON_EVENT_LOOP = EnumSet.of(Command.DEV_STATUS);

    private final Services services;
    private final ArrayDeque<Inbound> queue = new ArrayDeque<>();
    /** Completes when the connection is gone and its session closed. */
    private final CompletableFuture<Void> released = new CompletableFuture<>();
    private ChannelHandlerContext ctx;
    private ControlSession session;
    /** A command is executing, or its reply is being written. */
    private boolean busy;
    /** The daemon is stopping: nothing new starts. */
    private boolean draining;
    /** An error that ends the connection was written: nothing more is read or answered. */
    private boolean ending;
    /** {@link #pump()} is on the stack: a reply written meanwhile lets that loop go on rather than start another. */
    private boolean pumping;
    private MonitorSubscription monitor;
    /** The running command's worker task; cancelled with interruption when the connection goes. */
    private Future<?> task;
    /** The running command's future, published by the worker. */
    private volatile CompletableFuture<Reply> result;
    private volatile boolean closed;
    /** Replies handed to the channel and not yet all taken by the socket. */
    private int unwritten;
    /** System.nanoTime() when the socket last took a reply, or when a reply became pending while none was. */
    private long writeProgress;

    Dispatcher(Services services) {
        this.services = services;
    }

    /** Completes when the connection is gone and its session closed. */
    CompletableFuture<Void> released() {
        return released;
    }

    /** True if the connection waits for nothing: no request queued or executing, not monitoring. */
    @Override
    public boolean isIdle() {
        return !busy && queue.isEmpty() && monitor == null;
    }

    /**
     * How long replies have been pending without the socket taking one (the peer does not read),
     * in nanoseconds up to {@code now}; 0 when no reply is pending. Event stream writes of a
     * monitoring connection do not count: its backlog is bounded and drops events instead.
     */
    @Override
    public long replyStalledFor(long now) {
        return unwritten == 0 ? 0 : now - writeProgress;
    }

    /** Writes a reply, keeping count of what the socket has not taken yet. */
    private ChannelFuture reply(Object out) {
        if (unwritten++ == 0) {
            writeProgress = System.nanoTime();
        }
        return ctx.writeAndFlush(out).addListener(done -> {
            unwritten--;
            writeProgress = System.nanoTime();
        });
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        session = services.mapper().openSession();
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof Inbound inbound) || ending) {
            ReferenceCountUtil.release(msg);
            return;
        }
        queue.add(inbound);
        if (queue.size() >= READ_AHEAD) {
            ctx.channel().config().setAutoRead(false);
        }
        pump();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (monitor != null) {
            monitor.drain();
        }
        if (ctx.channel().isWritable()) {
            pump();
        }
        ctx.fireChannelWritabilityChanged();
    }

    /** Stops taking requests: the one executing finishes and is answered, nothing else starts. Any thread. */
    void drainLater() {
        ctx.executor().execute(() -> {
            draining = true;
            ctx.channel().config().setAutoRead(false);
        });
    }

    /** Closes the connection, which cancels what it waits for and closes its session. Any thread. */
    void closeLater() {
        ctx.close();
    }

    /**
     * Answers queued frames until a command must execute, or until the channel's outbound buffer is
     * over its high water mark: a peer that sends without reading its replies is then read no
     * further (so what it costs stays bounded) until it has taken them.
     */
    private void pump() {
        if (pumping) {
            return;
        }
        pumping = true;
        try {
            while (!busy && !draining && !ending && !closed) {
                if (!ctx.channel().isWritable()) {
                    ctx.channel().config().setAutoRead(false);
                    return;
                }
                Inbound next = queue.poll();
                if (next == null) {
                    ctx.channel().config().setAutoRead(true);
                    return;
                }
                if (next instanceof Inbound.Refused refused) {
                    refuse(refused);
                } else if (next instanceof Inbound.Local local) {
                    reply(local.answer().get());
                } else if (monitor != null) {
                    reply(new Outbound.Failure(((Inbound.Call) next).id(), Errno.EINVAL,
                            "this connection is monitoring events and takes no further requests; use another"));
                } else {
                    start((Inbound.Call) next);
                }
            }
        } finally {
            pumping = false;
        }
    }

    private void refuse(Inbound.Refused refused) {
        Outbound failure = new Outbound.Failure(refused.id(), refused.error().errno(), refused.error().getMessage());
        if (refused.closeAfter()) {
            ending = true;
            queue.clear();
            reply(failure).addListener(written -> ctx.close());
        } else {
            reply(failure);
        }
    }

    private void start(Inbound.Call call) {
        if (call.request() instanceof Requests.Monitor request) {
            reply(new Outbound.Answer(call.id(), new Replies.Subscribed()));
            monitor = new MonitorSubscription(ctx, request.kernelMessages(), services.monitorBuffer());
            monitor.start(services.mapper().events());
            return;
        }
        busy = true;
        if (ON_EVENT_LOOP.contains(call.command())) {
            execute(call);
            return;
        }
        try {
            task = services.workers().submit(() -> execute(call));
        } catch (RejectedExecutionException e) {
            busy = false;
            reply(new Outbound.Failure(call.id(), Errno.EAGAIN,
                    services.workers().isShutdown() ? "dmd is stopping" : services.busyMessage()));
        }
    }

    /** On a worker (or the event loop, for {@link #ON_EVENT_LOOP}): runs the command and arranges for its reply. */
    private void execute(Inbound.Call call) {
        CompletableFuture<Reply> future;
        try {
            future = session.execute(call.request());
        } catch (RuntimeException | Error e) {
            // A bug in a command (an assertion included) is answered EIO rather than leaving the connection waiting.
            future = CompletableFuture.failedFuture(e);
        }
        result = future;
        if (closed) {
            future.cancel(false);
        }
        future.whenComplete((reply, failure) -> {
            if (ctx.executor().inEventLoop()) {
                finish(call, reply, failure); // written now, not after the other connections' reads of this round
                return;
            }
            try {
                ctx.executor().execute(() -> finish(call, reply, failure));
            } catch (RejectedExecutionException e) {
                // The event loop is gone with its connection: nobody is waiting for this reply.
            }
        });
    }

    /** On the event loop: writes the reply, then moves on to the next request. */
    private void finish(Inbound.Call call, Reply reply, Throwable failure) {
        task = null;
        result = null;
        if (closed) {
            return;
        }
        Outbound out = failure == null ? new Outbound.Answer(call.id(), reply) : failure(call, failure);
        boolean stopDaemon = failure == null && call.command() == Command.SHUTDOWN;
        reply(out).addListener(written -> {
            busy = false;
            if (stopDaemon) {
                services.stopRequested().run();
            }
            pump();
        });
    }

    private static Outbound.Failure failure(Inbound.Call call, Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        if (cause instanceof DmException e) {
            return new Outbound.Failure(call.id(), e.errno(), e.getMessage());
        }
        if (cause instanceof CancellationException) {
            return new Outbound.Failure(call.id(), Errno.EINTR, call.command() + " was cancelled");
        }
        LOG.warn("{} failed inside dmd", call.command(), cause);
        return new Outbound.Failure(call.id(), Errno.EIO, "internal error in dmd while executing " + call.command()
                + ": " + cause);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closed = true;
        queue.clear();
        if (task != null) {
            task.cancel(true);
        }
        CompletableFuture<Reply> running = result;
        if (running != null) {
            running.cancel(false);
        }
        if (monitor != null) {
            monitor.close();
        }
        if (session == null) {
            released.complete(null);
        } else {
            ControlSession gone = session;
            Runnable close = () -> {
                try {
                    gone.close();
                } finally {
                    released.complete(null);
                }
            };
            try {
                services.closer().execute(close);
            } catch (RejectedExecutionException e) {
                close.run();
            }
        }
        ctx.fireChannelInactive();
    }
}

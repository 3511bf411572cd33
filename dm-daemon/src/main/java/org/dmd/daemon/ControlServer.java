package org.dmd.daemon;

import com.sun.security.auth.module.UnixSystem;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.handler.codec.LengthFieldPrepender;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.dmd.core.control.DeviceMapper;
import org.dmd.core.control.Replies;
import org.dmd.core.control.Requests;
import org.dmd.core.errno.DmException;
import org.dmd.daemon.ioctl.IoctlExtensions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * dmd's control socket: a Netty server on a Unix domain socket (epoll) in front of one
 * {@link DeviceMapper}.
 *
 * <p>Each connection gets a pipeline of small handlers; inbound, in order:
 * <ol>
 * <li>{@link Authoriser}: reads the peer's credentials at accept; an allowed peer's connection goes on without
 * it, a refused one gets EACCES and none of its bytes is decoded;</li>
 * <li>{@link ProtocolSelector}: by the first 4 bytes, JSON (the handlers below) or the binary dm-ioctl ABI,
 * which replaces the frame decoder by an {@link IoctlFrameDecoder}, the request decoder by an
 * {@link IoctlConnection} (which also encodes the replies) and drops the JSON encoders;</li>
 * <li>{@link FrameDecoder}: length-prefixed frames, bounded;</li>
 * <li>{@link IdleCloser}: notes complete frames, so that a connection that sends no request (a trickle of
 * bytes included) and waits for nothing, or whose peer takes no reply, is closed;</li>
 * <li>{@link RequestDecoder}: JSON to a request, or the error it deserves;</li>
 * <li>{@link Dispatcher}: executes in order on the worker pool (DEV_STATUS on the event loop), streams events
 * after MONITOR; reads no further ahead than {@value Dispatcher#READ_AHEAD} requests, and none while the
 * peer does not take its replies;</li>
 * <li>{@link PipelineEnd}: whatever went wrong ends that connection only.</li>
 * </ol>
 * Outbound, {@link MessageEncoder} writes the JSON and a {@code LengthFieldPrepender} the length.
 *
 * <p>The same event loops serve the {@link NbdServer}, started once the control socket is bound.
 *
 * <p>Stopping ({@link #stop()}, idempotent, from any thread but an event loop): stop accepting and
 * remove the sockets; let commands in progress finish for the grace period, then interrupt them;
 * close every connection (cancelling what waits, closing sessions), the NBD connections once their
 * requests have completed (or after the grace period), so that they let go of their devices; drop every device with a
 * forced core shutdown, saying how many and which; stop the event loops; release the socket lock.
 *
 * <p>Thread-safety: {@link #dispatchers} is a concurrent set; {@link #stopping} admits one stop;
 * {@link #serverChannel} is volatile; everything else is final and set up before the socket is bound.
 */
public final class ControlServer {

    private static final Logger LOG = LoggerFactory.getLogger(ControlServer.class);
    private static final String TRANSPORT = "epoll";
    /** How long interrupted commands get to give up before the stop goes on without them. */
    private static final Duration INTERRUPTED_GRACE = Duration.ofSeconds(1);
    /**
     * Replies (and events) a connection may have waiting for its peer: over 64 KiB the channel is
     * not writable, and the dispatcher reads no further request until it is back under 32 KiB.
     */
    static final WriteBufferWaterMark OUTBOUND_WATER_MARK = new WriteBufferWaterMark(32 * 1024, 64 * 1024);

    /** What a stop did. */
    public record StopReport(List<String> droppedDevices) {
    }

    private final DaemonConfig config;
    private final DeviceMapper mapper;
    private final ControlSocket socket;
    private final EventLoopGroup loops;
    private final ThreadPoolExecutor workers;
    private final ExecutorService closer;
    private final IdleCloser idleCloser;
    private final Set<Dispatcher> dispatchers = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean stopping = new AtomicBoolean();
    private final CompletableFuture<StopReport> stopped = new CompletableFuture<>();
    /** Set once when the socket is bound; volatile because a SHUTDOWN may stop the server from an event loop's thread. */
    private volatile Channel serverChannel;
    /** Set once, after the control socket is bound; volatile for the same reason. */
    private volatile NbdServer nbd;

    private ControlServer(DaemonConfig config, DeviceMapper mapper, ControlSocket socket) {
        this.config = config;
        this.mapper = mapper;
        this.socket = socket;
        this.loops = new EpollEventLoopGroup(Math.min(2, Runtime.getRuntime().availableProcessors()),
                new DefaultThreadFactory("dmd-io", true));
        BlockingQueue<Runnable> queue = config.workQueue() == 0 ? new SynchronousQueue<>()
                : new ArrayBlockingQueue<>(config.workQueue());
        this.workers = new ThreadPoolExecutor(config.workers(), config.workers(), 0, TimeUnit.MILLISECONDS, queue,
                new DefaultThreadFactory("dmd-worker", true));
        this.closer = Executors.newCachedThreadPool(new DefaultThreadFactory("dmd-close", true));
        this.idleCloser = new IdleCloser(config.idleTimeout());
    }

    /**
     * Claims the socket, binds it and starts serving; logs one line saying where and which versions.
     *
     * @throws StartupException if the socket cannot be claimed (a daemon runs on it, its directory
     *                          is unsafe) or bound, or epoll is unavailable
     */
    public static ControlServer start(DaemonConfig config, DeviceMapper mapper) throws StartupException {
        if (!Epoll.isAvailable()) {
            throw new StartupException("Netty's epoll transport is unavailable: " + Epoll.unavailabilityCause());
        }
        int uid = (int) new UnixSystem().getUid();
        ControlSocket socket = ControlSocket.claim(config.socket(), config.socketMode(), uid);
        ControlServer server = new ControlServer(config, mapper, socket);
        try {
            AccessPolicy policy = AccessPolicy.forDaemon(uid, config.allowedGroups());
            server.bind(policy);
            server.nbd = NbdServer.start(config, server.loops, new MapperExports(mapper), policy, server.idleCloser);
        } catch (StartupException | RuntimeException e) {
            server.release();
            throw e;
        }
        LOG.info(Versions.startLine(socket.path(), TRANSPORT, server.nbd.where(), mapper.major()));
        return server;
    }

    private void bind(AccessPolicy policy) throws StartupException {
        WireFormat wire = new WireFormat();
        RequestDecoder requestDecoder = new RequestDecoder(wire);
        MessageEncoder messageEncoder = new MessageEncoder(wire, config.maxFrame());
        PipelineEnd end = new PipelineEnd();
        IoctlExtensions extensions = IoctlExtensions.standard(mapper, Versions.dmd()).build();
        Consumer<ChannelPipeline> binary = pipeline -> {
            pipeline.remove("frame-encoder");
            pipeline.remove("message-encoder");
            pipeline.replace("frame-decoder", "frame-decoder", new IoctlFrameDecoder(config.maxFrame()));
            pipeline.replace("request-decoder", "request-decoder", new IoctlConnection(extensions, config.maxFrame()));
        };
        Services services = new Services(mapper, workers, String.format("daemon busy: all %d workers are executing "
                + "commands and %d more wait; try again", config.workers(), config.workQueue()), closer,
                config.monitorBuffer(), this::stopInBackground);
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(loops)
                .channel(EpollServerDomainSocketChannel.class)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, OUTBOUND_WATER_MARK)
                .childHandler(new ChannelInitializer<EpollDomainSocketChannel>() {
                    @Override
                    protected void initChannel(EpollDomainSocketChannel channel) {
                        Dispatcher dispatcher = new Dispatcher(services);
                        channel.pipeline()
                                .addLast("frame-encoder", new LengthFieldPrepender(FrameDecoder.LENGTH_BYTES))
                                .addLast("message-encoder", messageEncoder)
                                .addLast("authoriser", new Authoriser(policy, CredentialSource.SO_PEERCRED))
                                .addLast("protocol", new ProtocolSelector(binary))
                                .addLast("frame-decoder", new FrameDecoder(config.maxFrame()))
                                .addLast("idle", idleCloser.newConnection())
                                .addLast("request-decoder", requestDecoder)
                                .addLast("dispatcher", dispatcher)
                                .addLast("end", end);
                        dispatchers.add(dispatcher);
                        dispatcher.released().whenComplete((ignored, failure) -> dispatchers.remove(dispatcher));
                        if (stopping.get()) {
                            channel.close();
                        }
                    }
                });
        try {
            ChannelFuture bound = bootstrap.bind(new DomainSocketAddress(socket.path().toFile()));
            serverChannel = bound.channel();
            bound.syncUninterruptibly();
            socket.bound();
        } catch (IOException | RuntimeException e) {
            throw new StartupException("cannot listen on " + socket.path() + ": " + e, e);
        }
    }

    /** The socket's path. */
    public Path socket() {
        return socket.path();
    }

    /** The NBD server's Unix socket. */
    public Path nbdSocket() {
        return nbd.socket();
    }

    /** The NBD server's TCP address, or null without {@code --nbd-listen}. */
    public InetSocketAddress nbdAddress() {
        return nbd.tcpAddress();
    }

    /** Completes when the server has stopped (after a SHUTDOWN, a signal, or {@link #stop()}). */
    public CompletableFuture<StopReport> stopped() {
        return stopped;
    }

    private void stopInBackground() {
        Thread thread = new Thread(this::stop, "dmd-shutdown");
        thread.start();
    }

    /**
     * Stops the daemon as described above and returns what it dropped. Idempotent: a second call
     * waits for the first. Must not be called on an event loop.
     */
    public StopReport stop() {
        if (!stopping.compareAndSet(false, true)) {
            return stopped.join();
        }
        try {
            stopped.complete(stopServing());
        } catch (RuntimeException | Error e) {
            stopped.completeExceptionally(e);
            throw e;
        }
        return stopped.join();
    }

    private StopReport stopServing() {
        LOG.info("stopping: no longer accepting connections");
        serverChannel.close().syncUninterruptibly();
        nbd.stopAccepting();
        socket.unlink();
        List<Dispatcher> open = List.copyOf(dispatchers);
        open.forEach(Dispatcher::drainLater);
        finishCommands();
        List<CompletableFuture<Void>> released = new ArrayList<>();
        for (Dispatcher dispatcher : open) {
            dispatcher.closeLater();
            released.add(dispatcher.released());
        }
        await(CompletableFuture.allOf(released.toArray(CompletableFuture[]::new)), "closing the sessions");
        nbd.closeConnections(config.shutdownGrace());
        closer.shutdown();
        List<String> dropped = dropDevices();
        release();
        LOG.info("dmd stopped");
        return new StopReport(dropped);
    }

    /**
     * Lets the commands in progress finish within the grace period, then interrupts them and gives
     * them a moment to notice; one that ignores the interrupt is left behind.
     */
    private void finishCommands() {
        workers.shutdown();
        try {
            if (!workers.awaitTermination(config.shutdownGrace().toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("commands still running after {}: interrupting them", config.shutdownGrace());
                workers.shutdownNow();
                if (!workers.awaitTermination(INTERRUPTED_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                    LOG.warn("{} command(s) ignored the interrupt; stopping without them", workers.getActiveCount());
                }
            }
        } catch (InterruptedException e) {
            workers.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    private void await(CompletableFuture<?> future, String what) {
        Duration limit = config.shutdownGrace().plusSeconds(1);
        try {
            future.get(limit.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            LOG.warn("{} took longer than {}; going on", what, limit);
        } catch (ExecutionException e) {
            LOG.warn("{} failed", what, e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The forced core shutdown: every device goes; the log says how many and which. With a state
     * journal the devices are kept there for the next start instead (the core is closed unjournaled).
     */
    private List<String> dropDevices() {
        List<String> names = new ArrayList<>();
        mapper.listDevices(new Requests.ListDevices(null, null, Set.of())).devices()
                .forEach(device -> names.add(device.name()));
        if (mapper.journal() != null) {
            LOG.info("keeping {} device{} in the state directory", names.size(), names.size() == 1 ? "" : "s");
            mapper.close();
            return List.of();
        }
        if (names.isEmpty()) {
            LOG.info("no devices to drop");
        } else {
            LOG.info("dropping {} device{}: {}", names.size(), names.size() == 1 ? "" : "s", String.join(", ", names));
        }
        try {
            Replies.ShutdownDone done = mapper.shutdown(true);
            return done.destroyed();
        } catch (DmException e) {
            LOG.error("the forced core shutdown failed: {}", e.toString());
            return names;
        } finally {
            mapper.close();
        }
    }

    /** Frees threads and the socket lock. */
    private void release() {
        if (nbd != null) {
            nbd.release();
        }
        idleCloser.close();
        workers.shutdownNow();
        closer.shutdownNow();
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        socket.unlink();
        socket.close();
    }
}

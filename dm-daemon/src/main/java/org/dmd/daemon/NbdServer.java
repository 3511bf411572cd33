package org.dmd.daemon;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * dmd's NBD server: every device with a live table is an export named like the device, served on
 * a Unix domain socket (epoll) and optionally on a loopback TCP port, on the control server's
 * event loops. Each connection's pipeline: {@link IdleCloser} (a connection in the handshake, or
 * stopped halfway through a request, is closed after the idle timeout), {@link NbdDecoder},
 * {@link NbdSession}.
 *
 * <p>Threads: the event loops read, check and answer requests; {@link DeviceIo} calls (which may
 * read and write the loop files in the calling thread) run on {@code dmd-nbd-io}, a fixed pool of
 * {@link DaemonConfig#nbdThreads()} threads (none: on the event loop itself); opens, closes and
 * listings, which take the core's locks, on {@code dmd-nbd-open}.
 *
 * <p>On the Unix socket the peer's credentials decide, as on the control socket, whether it may
 * use an export ({@link AccessPolicy}); a TCP peer on the loopback cannot be told apart, so the
 * TCP port is only opened when asked for.
 *
 * <p>Thread-safety: {@link #connections} and {@link #channels} are concurrent; the server
 * channels are set before {@link #start} returns and only closed afterwards; everything else is final.
 *
 * @see org.dmd.core.io.DeviceIo
 */
final class NbdServer {

    private static final Logger LOG = LoggerFactory.getLogger(NbdServer.class);
    /** Outbound bytes above which a connection stops reading (a client that does not read its replies), and below which it reads again. */
    private static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(2 << 20, 8 << 20);
    private static final int OPEN_THREADS = 2;

    private final DaemonConfig config;
    private final Path socket;
    private final ExecutorService io;
    private final ExecutorService opens;
    private final ChannelGroup channels = new DefaultChannelGroup("nbd", GlobalEventExecutor.INSTANCE);
    /** Every connection not yet released, with the future completed on its release. */
    private final Map<NbdSession, CompletableFuture<Void>> connections = new ConcurrentHashMap<>();
    private final List<Channel> listeners = new ArrayList<>();

    private NbdServer(DaemonConfig config, Path socket) {
        this.config = config;
        this.socket = socket;
        this.io = config.nbdThreads() == 0 ? null
                : Executors.newFixedThreadPool(config.nbdThreads(), new DefaultThreadFactory("dmd-nbd-io", true));
        this.opens = Executors.newFixedThreadPool(OPEN_THREADS, new DefaultThreadFactory("dmd-nbd-open", true));
    }

    /**
     * Binds the NBD socket (replacing a stale one nobody accepts on) and, if configured, the TCP
     * port. The caller holds the daemon lock of the control socket's directory.
     */
    static NbdServer start(DaemonConfig config, EventLoopGroup loops, NbdExports exports, AccessPolicy policy,
                           IdleCloser idleCloser) throws StartupException {
        Path socket = config.nbdSocket().toAbsolutePath().normalize();
        int length = socket.toString().getBytes(StandardCharsets.UTF_8).length;
        if (length > ControlSocket.MAX_PATH_BYTES) {
            throw new StartupException("NBD socket path " + socket + " is " + length + " bytes; a Unix socket path holds "
                    + "at most " + ControlSocket.MAX_PATH_BYTES);
        }
        NbdServer server = new NbdServer(config, socket);
        try {
            server.bind(loops, exports, policy, idleCloser);
        } catch (StartupException | RuntimeException e) {
            server.stopAccepting();
            server.release();
            throw e;
        }
        return server;
    }

    private void bind(EventLoopGroup loops, NbdExports exports, AccessPolicy policy, IdleCloser idleCloser)
            throws StartupException {
        NbdSession.Shared shared = new NbdSession.Shared(exports, io, opens, config.nbdInflight(), policy);
        try {
            ControlSocket.clearStaleSocket(socket, "--nbd-socket");
            Channel unix = bootstrap(loops, shared, idleCloser, true).channel(EpollServerDomainSocketChannel.class)
                    .bind(new DomainSocketAddress(socket.toFile())).syncUninterruptibly().channel();
            listeners.add(unix);
            Files.setPosixFilePermissions(socket, ControlSocket.permissions(config.socketMode()));
            InetSocketAddress tcp = config.nbdListen();
            if (tcp != null) {
                Channel port = bootstrap(loops, shared, idleCloser, false).channel(EpollServerSocketChannel.class)
                        .childOption(ChannelOption.TCP_NODELAY, true).bind(tcp).syncUninterruptibly().channel();
                listeners.add(port);
            }
        } catch (IOException | RuntimeException e) {
            throw new StartupException("cannot serve NBD on " + socket + (config.nbdListen() == null ? ""
                    : " and " + config.nbdListen()) + ": " + e, e);
        }
    }

    private ServerBootstrap bootstrap(EventLoopGroup loops, NbdSession.Shared shared, IdleCloser idleCloser,
                                      boolean unix) {
        return new ServerBootstrap().group(loops)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel channel) {
                        String refusal = null;
                        if (unix) {
                            PeerIdentity peer = Authoriser.identify(CredentialSource.SO_PEERCRED, channel);
                            if (peer == null || !shared.policy().permits(peer)) {
                                refusal = (peer == null ? "a peer of unknown identity" : "uid " + peer.uid())
                                        + " may not use dmd: it serves " + shared.policy().describe();
                            }
                        }
                        NbdDecoder decoder = new NbdDecoder();
                        CompletableFuture<Void> released = new CompletableFuture<>();
                        NbdSession[] session = new NbdSession[1];
                        session[0] = new NbdSession(shared, decoder, refusal, () -> {
                            connections.remove(session[0]);
                            released.complete(null);
                        });
                        connections.put(session[0], released);
                        channels.add(channel);
                        channel.pipeline()
                                .addLast("idle", idleCloser.newConnection())
                                .addLast("nbd-decoder", decoder)
                                .addLast("nbd-session", session[0]);
                    }
                });
    }

    /** The NBD socket's path. */
    Path socket() {
        return socket;
    }

    /** Where the exports are served, for the start line: the socket, and the TCP address if any. */
    String where() {
        InetSocketAddress tcp = tcpAddress();
        return socket + (tcp == null ? "" : " and " + tcp.getAddress().getHostAddress() + ":" + tcp.getPort());
    }

    /** The TCP port bound, or null without {@code --nbd-listen}. */
    InetSocketAddress tcpAddress() {
        return listeners.size() > 1 ? (InetSocketAddress) listeners.get(1).localAddress() : null;
    }

    /** Stops accepting and removes the socket file; connections stay. */
    void stopAccepting() {
        for (Channel listener : listeners) {
            listener.close().syncUninterruptibly();
        }
        try {
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            LOG.warn("cannot remove {}: {}", socket, e.toString());
        }
    }

    /**
     * Closes every connection and waits up to {@code grace} for each to let go of its device once
     * its requests have completed; a connection whose requests still wait then (on a suspended
     * device) lets go at once. Must not be called on an event loop.
     */
    void closeConnections(Duration grace) {
        channels.close().awaitUninterruptibly();
        try {
            CompletableFuture.allOf(connections.values().toArray(CompletableFuture[]::new))
                    .get(grace.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            LOG.warn("{} NBD connection(s) still wait for requests after {}: letting go of their devices",
                    connections.size(), grace);
            CompletableFuture<?>[] forced = connections.keySet().stream().map(NbdSession::releaseNowLater)
                    .toArray(CompletableFuture[]::new);
            CompletableFuture.allOf(forced).orTimeout(grace.toMillis(), TimeUnit.MILLISECONDS).exceptionally(t -> null)
                    .join();
        } catch (ExecutionException e) {
            LOG.warn("closing the NBD connections failed", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops the pools; after {@link #closeConnections}. */
    void release() {
        if (io != null) {
            io.shutdownNow();
        }
        opens.shutdown();
        try {
            if (!opens.awaitTermination(config.shutdownGrace().toMillis(), TimeUnit.MILLISECONDS)) {
                opens.shutdownNow();
            }
        } catch (InterruptedException e) {
            opens.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}

package org.dmd.daemon;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;

/**
 * How the daemon serves its control socket. Immutable; {@link #builder(Path)} starts from the
 * defaults, which suit a small machine (two cores).
 *
 * @param socket          the control socket's path
 * @param socketMode      permission bits of the socket (0600: only the owner may connect)
 * @param allowedGroups   gids whose members may talk to the daemon, besides uid 0 and the daemon's uid
 * @param maxFrame        the largest frame, in bytes, accepted or sent
 * @param idleTimeout     a connection that sends nothing for this long, and waits for nothing, is closed
 * @param workers         threads executing commands
 * @param workQueue       commands accepted while every worker is busy; beyond that, EAGAIN
 * @param monitorBuffer   events held for a monitoring connection that does not keep up before they are dropped
 * @param shutdownGrace   how long a stop waits for commands in progress
 * @param nbdSocket       the NBD server's Unix socket (default: {@code nbd.sock} beside the control socket)
 * @param nbdListen       a loopback address and port the NBD server also listens on, or null
 * @param nbdThreads      threads submitting NBD requests to the devices; 0: the event loops submit them
 * @param nbdInflight     bytes of NBD requests in flight per connection above which it stops reading
 */
public record DaemonConfig(Path socket, int socketMode, Set<Integer> allowedGroups, int maxFrame,
                           Duration idleTimeout, int workers, int workQueue, int monitorBuffer,
                           Duration shutdownGrace, Path nbdSocket, InetSocketAddress nbdListen, int nbdThreads,
                           long nbdInflight) {

    public static final int DEFAULT_SOCKET_MODE = 0600;
    public static final int DEFAULT_MAX_FRAME = 1 << 20;
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(5);
    /** Commands mostly wait (on locks, on other loaders) rather than compute: more workers than cores. */
    public static final int DEFAULT_WORKERS = Math.max(4, 4 * Runtime.getRuntime().availableProcessors());
    public static final int DEFAULT_MONITOR_BUFFER = 1024;
    public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(10);
    public static final String NBD_SOCKET_NAME = "nbd.sock";
    /** Requests read and write the loop files in the submitting thread: a few per core keep both cores busy. */
    public static final int DEFAULT_NBD_THREADS = 4;
    public static final long DEFAULT_NBD_INFLIGHT = 64L << 20;
    /** The smallest frame limit that still fits every request of a sane size. */
    public static final int MIN_MAX_FRAME = 4096;

    public DaemonConfig {
        Objects.requireNonNull(socket, "socket");
        if ((socketMode & ~0777) != 0) {
            throw new IllegalArgumentException(String.format("socket mode %o has bits outside 0777", socketMode));
        }
        allowedGroups = Set.copyOf(allowedGroups);
        if (maxFrame < MIN_MAX_FRAME) {
            throw new IllegalArgumentException("max frame " + maxFrame + " is below " + MIN_MAX_FRAME + " bytes");
        }
        if (idleTimeout.isNegative() || idleTimeout.isZero()) {
            throw new IllegalArgumentException("idle timeout must be positive, not " + idleTimeout);
        }
        if (workers < 1 || workQueue < 0 || monitorBuffer < 1) {
            throw new IllegalArgumentException("workers and the monitor buffer must be at least 1, the work queue at least 0");
        }
        if (shutdownGrace.isNegative()) {
            throw new IllegalArgumentException("shutdown grace must not be negative");
        }
        Objects.requireNonNull(nbdSocket, "nbdSocket");
        if (nbdSocket.toAbsolutePath().normalize().equals(socket.toAbsolutePath().normalize())) {
            throw new IllegalArgumentException("the NBD socket and the control socket are both " + socket);
        }
        if (nbdListen != null && (nbdListen.isUnresolved() || !nbdListen.getAddress().isLoopbackAddress())) {
            throw new IllegalArgumentException("--nbd-listen " + nbdListen.getHostString() + ": the TCP port has no peer "
                    + "credentials to check, so only a loopback address is accepted");
        }
        if (nbdThreads < 0 || nbdThreads > 1024) {
            throw new IllegalArgumentException("NBD threads must be 0 to 1024, not " + nbdThreads);
        }
        if (nbdInflight < NbdProtocol.MAX_PAYLOAD) {
            throw new IllegalArgumentException("NBD bytes in flight must be at least one maximum payload ("
                    + NbdProtocol.MAX_PAYLOAD + "), not " + nbdInflight);
        }
    }

    public static Builder builder(Path socket) {
        return new Builder(socket);
    }

    /** Starts from the defaults. */
    public static final class Builder {
        private final Path socket;
        private int socketMode = DEFAULT_SOCKET_MODE;
        private Set<Integer> allowedGroups = Set.of();
        private int maxFrame = DEFAULT_MAX_FRAME;
        private Duration idleTimeout = DEFAULT_IDLE_TIMEOUT;
        private int workers = DEFAULT_WORKERS;
        private Integer workQueue;
        private int monitorBuffer = DEFAULT_MONITOR_BUFFER;
        private Duration shutdownGrace = DEFAULT_SHUTDOWN_GRACE;
        private Path nbdSocket;
        private InetSocketAddress nbdListen;
        private int nbdThreads = DEFAULT_NBD_THREADS;
        private long nbdInflight = DEFAULT_NBD_INFLIGHT;

        private Builder(Path socket) {
            this.socket = socket;
        }

        public Builder socketMode(int mode) {
            this.socketMode = mode;
            return this;
        }

        public Builder allowedGroups(Set<Integer> gids) {
            this.allowedGroups = gids;
            return this;
        }

        public Builder maxFrame(int bytes) {
            this.maxFrame = bytes;
            return this;
        }

        public Builder idleTimeout(Duration timeout) {
            this.idleTimeout = timeout;
            return this;
        }

        public Builder workers(int workers) {
            this.workers = workers;
            return this;
        }

        /** Defaults to four commands per worker. */
        public Builder workQueue(int commands) {
            this.workQueue = commands;
            return this;
        }

        public Builder monitorBuffer(int events) {
            this.monitorBuffer = events;
            return this;
        }

        public Builder shutdownGrace(Duration grace) {
            this.shutdownGrace = grace;
            return this;
        }

        /** Defaults to {@value #NBD_SOCKET_NAME} in the control socket's directory. */
        public Builder nbdSocket(Path path) {
            this.nbdSocket = path;
            return this;
        }

        public Builder nbdListen(InetSocketAddress address) {
            this.nbdListen = address;
            return this;
        }

        public Builder nbdThreads(int threads) {
            this.nbdThreads = threads;
            return this;
        }

        public Builder nbdInflight(long bytes) {
            this.nbdInflight = bytes;
            return this;
        }

        public DaemonConfig build() {
            return new DaemonConfig(socket, socketMode, allowedGroups, maxFrame, idleTimeout, workers,
                    workQueue != null ? workQueue : 4 * workers, monitorBuffer, shutdownGrace,
                    nbdSocket != null ? nbdSocket : socket.resolveSibling(NBD_SOCKET_NAME), nbdListen, nbdThreads,
                    nbdInflight);
        }
    }
}

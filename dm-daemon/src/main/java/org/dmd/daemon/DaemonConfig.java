package org.dmd.daemon;

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
 */
public record DaemonConfig(Path socket, int socketMode, Set<Integer> allowedGroups, int maxFrame,
                           Duration idleTimeout, int workers, int workQueue, int monitorBuffer,
                           Duration shutdownGrace) {

    public static final int DEFAULT_SOCKET_MODE = 0600;
    public static final int DEFAULT_MAX_FRAME = 1 << 20;
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(5);
    /** Commands mostly wait (on locks, on other loaders) rather than compute: more workers than cores. */
    public static final int DEFAULT_WORKERS = Math.max(4, 4 * Runtime.getRuntime().availableProcessors());
    public static final int DEFAULT_MONITOR_BUFFER = 1024;
    public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(10);
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

        public DaemonConfig build() {
            return new DaemonConfig(socket, socketMode, allowedGroups, maxFrame, idleTimeout, workers,
                    workQueue != null ? workQueue : 4 * workers, monitorBuffer, shutdownGrace);
        }
    }
}

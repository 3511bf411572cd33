package org.dmd.daemon;

import java.io.IOException;
import java.net.ConnectException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control socket's place in the file system, claimed for one daemon.
 *
 * <p>The socket lives in a directory of its own whose mode lets only the intended peers reach it:
 * 0700, plus search permission for group or others when the socket mode admits them. A missing
 * directory is created; an existing one owned by the daemon's uid and holding only dmd's files is
 * given that mode; anything else that is too open is refused, since tightening a shared
 * directory (a home, /tmp) would break other things.
 *
 * <p>One daemon per socket: a lock on {@code SOCKET.lock}, held while the daemon runs, settles
 * two daemons starting at once; a socket file that nobody accepts on is stale and replaced; one
 * that accepts belongs to a running daemon and is left alone.
 */
final class ControlSocket implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ControlSocket.class);
    /** sun_path holds 108 bytes including the terminating NUL. */
    static final int MAX_PATH_BYTES = 107;
    private static final int TYPE_MASK = 0170000;
    private static final int TYPE_SOCKET = 0140000;

    private final Path socket;
    private final int socketMode;
    private final FileChannel lockFile;
    private final FileLock lock;

    private ControlSocket(Path socket, int socketMode, FileChannel lockFile, FileLock lock) {
        this.socket = socket;
        this.socketMode = socketMode;
        this.lockFile = lockFile;
        this.lock = lock;
    }

    /** Prepares the directory, takes the daemon lock and clears a stale socket; the path is then free to bind. */
    static ControlSocket claim(Path socket, int socketMode, int uid) throws StartupException {
        Path path = socket.toAbsolutePath().normalize();
        int length = path.toString().getBytes(StandardCharsets.UTF_8).length;
        if (length > MAX_PATH_BYTES) {
            throw new StartupException("socket path " + path + " is " + length + " bytes; a Unix socket path holds at most "
                    + MAX_PATH_BYTES);
        }
        try {
            prepareDirectory(path, directoryMode(socketMode), uid);
            Path lockPath = lockPath(path);
            FileChannel channel = FileChannel.open(lockPath, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE),
                    PosixFilePermissions.asFileAttribute(permissions(0600)));
            FileLock lock = tryLock(channel);
            if (lock == null) {
                channel.close();
                throw alreadyRunning(path);
            }
            try {
                clearStaleSocket(path, "--socket");
            } catch (StartupException | IOException | RuntimeException e) {
                lock.release();
                channel.close();
                throw e;
            }
            return new ControlSocket(path, socketMode, channel, lock);
        } catch (IOException e) {
            throw new StartupException("cannot prepare the control socket " + path + ": " + e, e);
        }
    }

    Path path() {
        return socket;
    }

    /** Gives the freshly bound socket its mode. */
    void bound() throws IOException {
        Files.setPosixFilePermissions(socket, permissions(socketMode));
    }

    /** Removes the socket file, so clients find no daemon; the lock stays until {@link #close()}. */
    void unlink() {
        try {
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            LOG.warn("cannot remove {}: {}", socket, e.toString());
        }
    }

    /** Releases the daemon lock (the lock file stays: deleting it would let two daemons lock different files). */
    @Override
    public void close() {
        try {
            lock.release();
            lockFile.close();
        } catch (IOException e) {
            LOG.debug("releasing the lock on {}", lockPath(socket), e);
        }
    }

    static Path lockPath(Path socket) {
        return socket.resolveSibling(socket.getFileName() + ".lock");
    }

    /** 0700, with search permission for each class the socket mode lets in. */
    static int directoryMode(int socketMode) {
        int mode = 0700;
        if ((socketMode & 0070) != 0) {
            mode |= 0010;
        }
        if ((socketMode & 0007) != 0) {
            mode |= 0001;
        }
        return mode;
    }

    private static void prepareDirectory(Path socket, int mode, int uid) throws IOException, StartupException {
        Path dir = socket.getParent();
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, permissions(mode));
            return;
        }
        Map<String, Object> attributes = Files.readAttributes(dir, "unix:mode,uid,isDirectory,isSymbolicLink",
                LinkOption.NOFOLLOW_LINKS);
        if ((Boolean) attributes.get("isSymbolicLink") || !(Boolean) attributes.get("isDirectory")) {
            throw new StartupException("socket directory " + dir + " is not a directory (a symbolic link is not accepted)");
        }
        int existing = (Integer) attributes.get("mode") & 07777;
        if (existing == mode) {
            return;
        }
        int owner = (Integer) attributes.get("uid");
        List<String> foreign = foreignEntries(dir, socket);
        if (owner != uid || !foreign.isEmpty()) {
            if ((existing & ~mode & 0777) == 0) {
                return; // stricter than needed, and not ours to change: binding will tell if it is too strict
            }
            throw new StartupException(String.format("socket directory %s has mode %04o%s; dmd needs a directory of its "
                    + "own with mode %04o: create one or choose another --socket", dir, existing,
                    owner != uid ? " and belongs to uid " + owner : " and holds other files (" + String.join(", ",
                            foreign) + ")", mode));
        }
        Files.setPosixFilePermissions(dir, permissions(mode));
        LOG.info("changed the mode of {} from {} to {}", dir, String.format("%04o", existing),
                String.format("%04o", mode));
    }

    private static List<String> foreignEntries(Path dir, Path socket) throws IOException {
        Set<Path> ours = Set.of(socket.getFileName(), lockPath(socket).getFileName(),
                Path.of(DaemonConfig.NBD_SOCKET_NAME));
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.map(Path::getFileName).filter(name -> !ours.contains(name)).limit(3)
                    .map(Path::toString).collect(Collectors.toList());
        }
    }

    private static FileLock tryLock(FileChannel channel) throws IOException {
        try {
            return channel.tryLock();
        } catch (OverlappingFileLockException e) {
            return null; // another daemon in this JVM holds it
        }
    }

    /**
     * Under the daemon lock: a socket file nobody accepts on is left over from a daemon that died
     * and is removed; {@code option} is the option that chose the path, for the error message.
     */
    static void clearStaleSocket(Path socket, String option) throws IOException, StartupException {
        int mode;
        try {
            mode = (Integer) Files.getAttribute(socket, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return;
        }
        if ((mode & TYPE_MASK) != TYPE_SOCKET) {
            throw new StartupException(socket + " exists and is not a socket; remove it or choose another " + option);
        }
        SocketChannel probe;
        try {
            probe = SocketChannel.open(UnixDomainSocketAddress.of(socket));
        } catch (ConnectException stale) {
            LOG.debug("replacing stale socket {} (nobody accepts on it)", socket);
            Files.delete(socket);
            return;
        }
        probe.close();
        throw alreadyRunning(socket);
    }

    private static StartupException alreadyRunning(Path socket) {
        return new StartupException("dmd is already running on " + socket);
    }

    static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> out = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] bits = PosixFilePermission.values(); // OWNER_READ .. OTHERS_EXECUTE, high bit first
        for (int i = 0; i < bits.length; i++) {
            if ((mode & (0400 >> i)) != 0) {
                out.add(bits[i]);
            }
        }
        return out;
    }
}

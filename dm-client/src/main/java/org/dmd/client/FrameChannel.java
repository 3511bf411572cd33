package org.dmd.client;

import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;

/**
 * One connection to dmd speaking the wire protocol's framing: a 4-byte big-endian length, then
 * that many bytes of one JSON object. Blocking I/O; not thread-safe (its owner serialises use).
 */
final class FrameChannel implements AutoCloseable {

    /** Replies larger than this are refused: a listing of every device stays far below it. */
    static final int MAX_REPLY_BYTES = 64 << 20;

    private final Path path;
    private final SocketChannel channel;
    private final ByteBuffer header = ByteBuffer.allocate(4);

    private FrameChannel(Path path, SocketChannel channel) {
        this.path = path;
        this.channel = channel;
    }

    /** Connects, or fails with the one sentence a user needs when dmd is not running. */
    static FrameChannel open(Path path) throws DmException {
        SocketChannel channel;
        try {
            channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        } catch (IOException e) {
            throw new ConnectionException(Errno.EIO, "cannot create a Unix socket: %s", e.getMessage());
        }
        try {
            channel.connect(UnixDomainSocketAddress.of(path));
            return new FrameChannel(path, channel);
        } catch (IOException | RuntimeException e) {
            closeQuietly(channel);
            throw notRunning(path, e);
        }
    }

    private static DmException notRunning(Path path, Exception cause) {
        if (!Files.exists(path)) {
            return new ConnectionException(Errno.ENOENT, "dmd is not running (no socket at %s)", path);
        }
        String reason = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        if (reason.contains("Permission denied")) {
            return new ConnectionException(Errno.EACCES, "cannot connect to dmd at %s: Permission denied", path);
        }
        if (reason.contains("Connection refused")) {
            return new ConnectionException(Errno.ECONNREFUSED, "dmd is not running (stale socket at %s)", path);
        }
        return new ConnectionException(Errno.EIO, "cannot connect to dmd at %s: %s", path, reason);
    }

    Path path() {
        return path;
    }

    void write(byte[] frame) throws DmException {
        ByteBuffer buffer = ByteBuffer.allocate(4 + frame.length);
        buffer.putInt(frame.length).put(frame).flip();
        try {
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
        } catch (IOException e) {
            throw lost(e);
        }
    }

    byte[] read() throws DmException {
        try {
            header.clear();
            fill(header);
            int length = header.getInt(0);
            if (length <= 0 || length > MAX_REPLY_BYTES) {
                throw new ConnectionException(Errno.EPROTO, "dmd sent a frame of %d bytes (allowed: 1..%d)",
                        Integer.toUnsignedLong(length), MAX_REPLY_BYTES);
            }
            ByteBuffer body = ByteBuffer.allocate(length);
            fill(body);
            return body.array();
        } catch (IOException e) {
            throw lost(e);
        }
    }

    private void fill(ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            if (channel.read(buffer) < 0) {
                throw new EOFException("dmd closed the connection");
            }
        }
    }

    private DmException lost(IOException e) {
        String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return new ConnectionException(Errno.EPIPE, "connection to dmd at %s lost: %s", path, reason);
    }

    /** Closing from another thread wakes a blocked read, which then fails. */
    @Override
    public void close() {
        closeQuietly(channel);
    }

    private static void closeQuietly(SocketChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // Nothing useful to do: the connection is gone either way.
        }
    }
}

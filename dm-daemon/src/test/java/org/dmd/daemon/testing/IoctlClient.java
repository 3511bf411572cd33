package org.dmd.daemon.testing;

import java.io.EOFException;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A blocking client of dmd's binary dm-ioctl transport, as the preload shim speaks it: one request
 * frame ({@code DMIO}, command, length, the caller's buffer), then one reply frame ({@code DMIO},
 * status, length, the bytes to copy back). Also builds {@code struct dm_ioctl} buffers the way
 * libdm 1.02.185 does. One thread at a time.
 */
public final class IoctlClient implements AutoCloseable {

    public static final int MAGIC = 0x4F49_4D44;
    public static final int HEADER_SIZE = 312;
    /** libdm's smallest buffer. */
    public static final int LIBDM_BUFFER = 16384;
    /** libdm's private "exists" flag, set on every ioctl. */
    public static final int EXISTS_FLAG = 0x4;

    /** One reply: status 0 or a positive errno, and the bytes to copy back. */
    public record Reply(int status, byte[] payload) {
        /** A little-endian view of the payload. */
        public ByteBuffer view() {
            return ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN);
        }

        public int flags() {
            return view().getInt(28);
        }

        public int dataSize() {
            return view().getInt(12);
        }

        /** The NUL-terminated string at {@code offset}. */
        public String string(int offset) {
            int end = offset;
            while (payload[end] != 0) {
                end++;
            }
            return new String(payload, offset, end - offset, StandardCharsets.UTF_8);
        }
    }

    private final SocketChannel channel;

    private IoctlClient(SocketChannel channel) {
        this.channel = channel;
    }

    public static IoctlClient connect(Path socket) throws IOException {
        return new IoctlClient(SocketChannel.open(UnixDomainSocketAddress.of(socket)));
    }

    /** Sends one frame of {@code command} carrying {@code buffer} and waits for its reply. */
    public Reply call(int command, byte[] buffer) throws IOException {
        send(command, buffer);
        return receive();
    }

    /** Sends one frame without waiting. */
    public void send(int command, byte[] buffer) throws IOException {
        ByteBuffer frame = ByteBuffer.allocate(12 + buffer.length).order(ByteOrder.LITTLE_ENDIAN);
        frame.putInt(MAGIC).putInt(command).putInt(buffer.length).put(buffer).flip();
        writeFully(frame);
    }

    /** Writes raw bytes: a broken frame, a JSON frame. */
    public void writeFully(ByteBuffer bytes) throws IOException {
        while (bytes.hasRemaining()) {
            channel.write(bytes);
        }
    }

    /** Reads one reply frame. */
    public Reply receive() throws IOException {
        ByteBuffer header = read(12);
        int magic = header.getInt();
        if (magic != MAGIC) {
            throw new IOException(String.format("reply frame starts with 0x%08x, not DMIO", magic));
        }
        int status = header.getInt();
        int length = header.getInt();
        return new Reply(status, read(length).array());
    }

    /** Reads exactly {@code n} bytes. */
    public ByteBuffer read(int n) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer) < 0) {
                throw new EOFException("dmd closed the connection");
            }
        }
        return buffer.flip();
    }

    /** True once the daemon has closed the connection (reads until the end of the stream). */
    public boolean closedByPeer() throws IOException {
        ByteBuffer sink = ByteBuffer.allocate(4096);
        while (true) {
            int n = channel.read(sink.clear());
            if (n < 0) {
                return true;
            }
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    /** A struct dm_ioctl buffer as libdm fills it: zeroed, version, data_size, data_start 312, flags with 0x4. */
    public static Buffer buffer(int dataSize) {
        return new Buffer(dataSize);
    }

    /** A caller's buffer under construction. */
    public static final class Buffer {
        private final ByteBuffer bytes;

        private Buffer(int dataSize) {
            bytes = ByteBuffer.allocate(dataSize).order(ByteOrder.LITTLE_ENDIAN);
            version(4, 0, 0).dataSize(dataSize).dataStart(HEADER_SIZE).flags(EXISTS_FLAG);
        }

        public Buffer version(int major, int minor, int patch) {
            bytes.putInt(0, major).putInt(4, minor).putInt(8, patch);
            return this;
        }

        public Buffer dataSize(int size) {
            bytes.putInt(12, size);
            return this;
        }

        public Buffer dataStart(int start) {
            bytes.putInt(16, start);
            return this;
        }

        public Buffer targetCount(int count) {
            bytes.putInt(20, count);
            return this;
        }

        public Buffer flags(int flags) {
            bytes.putInt(28, flags);
            return this;
        }

        public Buffer eventNr(int eventNr) {
            bytes.putInt(32, eventNr);
            return this;
        }

        public Buffer dev(long dev) {
            bytes.putLong(40, dev);
            return this;
        }

        public Buffer name(String name) {
            return string(48, name);
        }

        public Buffer uuid(String uuid) {
            return string(176, uuid);
        }

        /** Raw bytes at {@code offset}, with no NUL added. */
        public Buffer bytes(int offset, byte[] raw) {
            bytes.put(offset, raw);
            return this;
        }

        /** A NUL-terminated string at {@code offset}. */
        public Buffer string(int offset, String text) {
            byte[] raw = text.getBytes(StandardCharsets.UTF_8);
            bytes.put(offset, raw).put(offset + raw.length, (byte) 0);
            return this;
        }

        public Buffer putLong(int offset, long value) {
            bytes.putLong(offset, value);
            return this;
        }

        public Buffer putInt(int offset, int value) {
            bytes.putInt(offset, value);
            return this;
        }

        /**
         * Target specs the way libdm's _add_target lays them out from data_start: spec, parameter
         * string, NUL, zero padding to 8 bytes; {@code next} is the distance to the next spec.
         * Each target is {start, length, type, params}.
         */
        public Buffer targets(Object[]... targets) {
            int at = bytes.getInt(16);
            for (Object[] t : targets) {
                byte[] params = ((String) t[3]).getBytes(StandardCharsets.UTF_8);
                int next = (40 + params.length + 1 + 7) & ~7;
                bytes.putLong(at, ((Number) t[0]).longValue()).putLong(at + 8, ((Number) t[1]).longValue())
                        .putInt(at + 16, 0).putInt(at + 20, next);
                string(at + 24, (String) t[2]);
                bytes.put(at + 40, params).put(at + 40 + params.length, (byte) 0);
                at += next;
            }
            return targetCount(targets.length);
        }

        public byte[] build() {
            return bytes.array().clone();
        }
    }
}

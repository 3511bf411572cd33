package org.dmd.daemon.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A raw client of dmd's wire protocol over the JDK's Unix-domain {@link SocketChannel}, for tests:
 * it writes exactly the bytes it is told to (well-formed frames or garbage) and collects what the
 * daemon sends on a reader thread, so a test can wait for the next frame, or for the end of the
 * stream, with a bound instead of a sleep.
 *
 * <p>Thread-safety: sending is for one test thread; {@link #frames} is a concurrent queue the
 * reader thread fills.
 */
public final class WireClient implements AutoCloseable {

    /** How long a test waits for a frame before failing. */
    public static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Put on {@link #frames} when the daemon closes the stream. */
    private static final Object END = new Object();

    private final SocketChannel channel;
    private final BlockingQueue<Object> frames = new LinkedBlockingQueue<>();
    private final AtomicLong ids = new AtomicLong();
    private Thread reader;

    private WireClient(SocketChannel channel) {
        this.channel = channel;
    }

    /** Connects and starts reading. */
    public static WireClient connect(Path socket) throws IOException {
        WireClient client = connectPaused(socket);
        client.startReading();
        return client;
    }

    /** Connects without reading anything until {@link #startReading()}: a subscriber that falls behind. */
    public static WireClient connectPaused(Path socket) throws IOException {
        return new WireClient(SocketChannel.open(UnixDomainSocketAddress.of(socket)));
    }

    public synchronized void startReading() {
        if (reader == null) {
            reader = new Thread(this::readFrames, "wire-client-reader");
            reader.setDaemon(true);
            reader.start();
        }
    }

    private void readFrames() {
        try {
            ByteBuffer length = ByteBuffer.allocate(4);
            while (readFully(length)) {
                ByteBuffer payload = ByteBuffer.allocate(length.flip().getInt());
                length.clear();
                if (!readFully(payload)) {
                    break;
                }
                frames.add(JSON.readTree(payload.array()));
            }
        } catch (IOException e) {
            // A reset or a close from this side: the stream has ended either way.
        } finally {
            frames.add(END);
        }
    }

    private boolean readFully(ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            if (channel.read(buffer) < 0) {
                return false;
            }
        }
        return true;
    }

    // ------------------------------------------------------------------ sending

    /** Sends raw bytes, framed or not. */
    public void sendRaw(byte[] bytes) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    /** Sends one frame with this payload. */
    public void sendFrame(byte[] payload) throws IOException {
        sendRaw(ByteBuffer.allocate(4 + payload.length).putInt(payload.length).put(payload).array());
    }

    /** Sends one frame holding this text (JSON or not). */
    public void sendJson(String json) throws IOException {
        sendFrame(json.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Sends a request with the next id and returns that id; {@code fields} alternate names and
     * values (strings, numbers, booleans, lists, maps).
     */
    public long send(String command, Object... fields) throws IOException {
        long id = ids.incrementAndGet();
        ObjectNode request = JSON.createObjectNode();
        request.put("id", id);
        request.put("command", command);
        for (int i = 0; i < fields.length; i += 2) {
            request.set((String) fields[i], JSON.valueToTree(fields[i + 1]));
        }
        sendJson(request.toString());
        return id;
    }

    /** Sends a request and returns its reply, checking it answers that request. */
    public JsonNode call(String command, Object... fields) throws IOException {
        long id = send(command, fields);
        JsonNode reply = next();
        if (!reply.path("id").isIntegralNumber() || reply.get("id").longValue() != id) {
            throw new AssertionError("expected the reply to request " + id + ", got " + reply);
        }
        return reply;
    }

    /** Like {@link #call} but fails unless the reply is a success. */
    public JsonNode ok(String command, Object... fields) throws IOException {
        JsonNode reply = call(command, fields);
        if (reply.path("errno").asInt(-1) != 0) {
            throw new AssertionError(command + " failed: " + reply);
        }
        return reply;
    }

    // ------------------------------------------------------------------ receiving

    /** The next frame; fails if none comes within {@link #TIMEOUT} or the stream ends. */
    public JsonNode next() {
        Object frame = poll(TIMEOUT);
        if (frame == END) {
            frames.add(END);
            throw new AssertionError("the daemon closed the connection");
        }
        if (frame == null) {
            throw new AssertionError("no frame within " + TIMEOUT);
        }
        return (JsonNode) frame;
    }

    /** Waits until the daemon closes the stream; fails if a frame comes first or nothing happens. */
    public void awaitClosed() {
        Object frame = poll(TIMEOUT);
        if (frame == null) {
            throw new AssertionError("the connection is still open after " + TIMEOUT);
        }
        if (frame != END) {
            throw new AssertionError("expected the end of the stream, got " + frame);
        }
        frames.add(END);
    }

    /** True if a frame (or the end) has arrived and not been taken: a snapshot, for "nothing yet" checks. */
    public boolean hasPending() {
        return !frames.isEmpty();
    }

    private Object poll(Duration timeout) {
        try {
            return frames.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for a frame", e);
        }
    }

    /** A map for a nested object field, keeping order. */
    public static Map<String, Object> object(Object... keyValues) {
        Map<String, Object> map = new java.util.LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            map.put((String) keyValues[i], keyValues[i + 1]);
        }
        return map;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}

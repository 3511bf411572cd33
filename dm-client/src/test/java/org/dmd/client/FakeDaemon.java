package org.dmd.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.dmd.core.errno.Errno;

/**
 * A stand-in for dmd in tests: a Unix socket speaking the wire protocol's framing, answering each
 * request with what the test's handler returns, recording every request, and pushing events to
 * connections that sent MONITOR. One thread per connection, as the real daemon serves them.
 */
public final class FakeDaemon implements AutoCloseable {

    /** Answers one request: the reply object without its id (use {@link #ok} and {@link #error}). */
    @FunctionalInterface
    public interface Handler {
        ObjectNode handle(JsonNode request) throws Exception;
    }

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final Path socket;
    private final ServerSocketChannel server;
    private final Handler handler;
    private final List<JsonNode> requests = new CopyOnWriteArrayList<>();
    private final List<SocketChannel> monitors = new CopyOnWriteArrayList<>();
    private final List<SocketChannel> connections = new CopyOnWriteArrayList<>();

    private FakeDaemon(Path socket, ServerSocketChannel server, Handler handler) {
        this.socket = socket;
        this.server = server;
        this.handler = handler;
    }

    public static FakeDaemon start(Path directory, Handler handler) throws IOException {
        Path socket = directory.resolve("dmd.sock");
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        FakeDaemon daemon = new FakeDaemon(socket, server, handler);
        Thread acceptor = new Thread(daemon::accept, "fake-dmd-accept");
        acceptor.setDaemon(true);
        acceptor.start();
        return daemon;
    }

    public Path socket() {
        return socket;
    }

    /** Every request received so far, in arrival order. */
    public List<JsonNode> requests() {
        return requests;
    }

    /** The command names received so far. */
    public List<String> commands() {
        return requests.stream().map(r -> r.path("command").asText()).toList();
    }

    public int monitorCount() {
        return monitors.size();
    }

    /** Connections accepted so far. */
    public int connectionCount() {
        return connections.size();
    }

    /** A success reply carrying a reply record's fields. */
    public static ObjectNode ok(Object record) {
        ObjectNode reply = MAPPER.createObjectNode();
        reply.put("errno", 0);
        reply.put("message", "");
        if (record != null) {
            JsonNode fields = WireCodec.mapper().valueToTree(record);
            fields.properties().forEach(e -> reply.set(e.getKey(), e.getValue()));
        }
        return reply;
    }

    public static ObjectNode error(Errno errno, String message) {
        ObjectNode reply = MAPPER.createObjectNode();
        reply.put("errno", errno.number());
        reply.put("error", errno.name());
        reply.put("message", message);
        return reply;
    }

    /** Sends an event to every monitoring connection. */
    public void push(ObjectNode event) throws IOException {
        for (SocketChannel channel : monitors) {
            send(channel, event);
        }
    }

    private void accept() {
        try {
            while (true) {
                SocketChannel channel = server.accept();
                connections.add(channel);
                Thread serve = new Thread(() -> serve(channel), "fake-dmd-connection");
                serve.setDaemon(true);
                serve.start();
            }
        } catch (IOException closed) {
            // The test is over.
        }
    }

    private void serve(SocketChannel channel) {
        try {
            while (true) {
                JsonNode request = MAPPER.readTree(read(channel));
                requests.add(request);
                ObjectNode reply;
                try {
                    reply = handler.handle(request);
                } catch (Exception e) {
                    reply = error(Errno.EINVAL, "fake daemon: " + e);
                }
                ObjectNode framed = MAPPER.createObjectNode();
                framed.set("id", request.get("id"));
                framed.setAll(reply);
                send(channel, framed);
                if ("MONITOR".equals(request.path("command").asText()) && reply.path("errno").asInt() == 0) {
                    monitors.add(channel);
                }
            }
        } catch (IOException e) {
            monitors.remove(channel);
        }
    }

    private static byte[] read(SocketChannel channel) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(4);
        fill(channel, header);
        ByteBuffer body = ByteBuffer.allocate(header.getInt(0));
        fill(channel, body);
        return body.array();
    }

    private static void fill(SocketChannel channel, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            if (channel.read(buffer) < 0) {
                throw new IOException("closed");
            }
        }
    }

    private static void send(SocketChannel channel, ObjectNode node) throws IOException {
        byte[] body = MAPPER.writeValueAsBytes(node);
        ByteBuffer frame = ByteBuffer.allocate(4 + body.length).putInt(body.length).put(body).flip();
        synchronized (channel) {
            while (frame.hasRemaining()) {
                channel.write(frame);
            }
        }
    }

    /** Closes the listening socket and every connection (monitors see the daemon go away). */
    @Override
    public void close() throws IOException {
        server.close();
        for (SocketChannel channel : connections) {
            channel.close();
        }
    }
}

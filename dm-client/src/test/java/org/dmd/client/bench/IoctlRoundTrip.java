package org.dmd.client.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * scripts/bench's binary-ABI row: DEV_STATUS (libdm's info) round trips over dmd's binary
 * dm-ioctl transport on one connection, closed loop, as the preload shim sends them: the whole
 * caller's buffer (libdm's 16 KiB by default), the 305-byte reply copied back. Prints a
 * {@link BenchResult} as JSON, the shape {@code dmctl bench --json} prints, so that the report
 * reads both alike.
 *
 * <pre>IoctlRoundTrip SOCKET DEVICE SECONDS WARMUP_SECONDS BUFFER_BYTES</pre>
 */
public final class IoctlRoundTrip {

    private static final int MAGIC = 0x4F49_4D44;
    private static final int DEV_STATUS = 7;

    private IoctlRoundTrip() {
    }

    public static void main(String[] args) throws IOException {
        Path socket = Path.of(args[0]);
        String device = args[1];
        double seconds = Double.parseDouble(args[2]);
        double warmup = Double.parseDouble(args[3]);
        int bufferBytes = Integer.parseInt(args[4]);
        ByteBuffer request = ByteBuffer.allocate(12 + bufferBytes).order(ByteOrder.LITTLE_ENDIAN);
        request.putInt(MAGIC).putInt(DEV_STATUS).putInt(bufferBytes);
        request.putInt(12, 4).putInt(12 + 12, bufferBytes).putInt(12 + 16, 312).putInt(12 + 28, 0x4);
        request.put(12 + 48, device.getBytes(StandardCharsets.UTF_8));
        ByteBuffer header = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer reply = ByteBuffer.allocate(bufferBytes);
        Latencies latencies = new Latencies();
        long failures = 0;
        try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            long warmEnd = System.nanoTime() + (long) (warmup * 1e9);
            while (System.nanoTime() < warmEnd) {
                roundTrip(channel, request, header, reply);
            }
            long begin = System.nanoTime();
            long end = begin + (long) (seconds * 1e9);
            long now = begin;
            while (now < end) {
                int status = roundTrip(channel, request, header, reply);
                long after = System.nanoTime();
                if (status == 0) {
                    latencies.add(after - now);
                } else {
                    failures++;
                }
                now = after;
            }
            double measured = (now - begin) / 1e9;
            BenchResult.OperationStats stats = new BenchResult.OperationStats("all", latencies.count(),
                    latencies.count() / measured, latencies.mean() / 1e3, latencies.percentile(50) / 1e3,
                    latencies.percentile(90) / 1e3, latencies.percentile(99) / 1e3, latencies.percentile(99.9) / 1e3,
                    latencies.max() / 1e3);
            BenchResult result = new BenchResult(1, "info (binary DEV_STATUS, " + bufferBytes + "-byte buffer)",
                    measured, warmup, List.of(stats), failures == 0 ? Map.of() : Map.of("ioctl", failures),
                    failures == 0 ? null : failures + " DEV_STATUS ioctl(s) failed");
            System.out.println(new ObjectMapper().writeValueAsString(result));
        }
    }

    /** One request and its reply; the reply's status. */
    private static int roundTrip(SocketChannel channel, ByteBuffer request, ByteBuffer header, ByteBuffer reply)
            throws IOException {
        request.clear();
        while (request.hasRemaining()) {
            channel.write(request);
        }
        readFully(channel, header.clear());
        if (header.getInt(0) != MAGIC) {
            throw new IOException("not a DMIO reply: refused?");
        }
        readFully(channel, reply.clear().limit(header.getInt(8)));
        return header.getInt(4);
    }

    private static void readFully(SocketChannel channel, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            if (channel.read(buffer) < 0) {
                throw new IOException("dmd closed the connection");
            }
        }
    }
}

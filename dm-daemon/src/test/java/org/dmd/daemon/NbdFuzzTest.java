package org.dmd.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The NBD server's codec ({@link NbdDecoder}) and session ({@link NbdSession}: handshake, option
 * haggling, transmission) against an arbitrary client byte stream, on an EmbeddedChannel over
 * in-memory exports: {@code disk} (writable) and {@code ro} (read-only), 64 KiB each. The stream
 * is written in two reads, cut where its first byte says. For any stream:
 * <ul>
 * <li>no exception reaches the end of the pipeline (EmbeddedChannel rethrows one);</li>
 * <li>{@code ro} is never changed, whatever was asked of it;</li>
 * <li>once the connection is closed every open of a device has been closed again, and the
 * session has reported itself released exactly once;</li>
 * <li>the session consumes what the decoder gives it: nothing is passed on down the pipeline;</li>
 * <li>every reply is a buffer, and all are released (a leak would show under Netty's leak detector).</li>
 * </ul>
 * The corpus ({@code NbdFuzzTestInputs}) holds handshakes with every option and transmissions
 * with every command, well-formed and not.
 */
class NbdFuzzTest {

    private static final int SIZE = 64 * 1024;
    private static final long INFLIGHT_LIMIT = 1 << 20;

    @FuzzTest(maxDuration = "10s")
    void session(byte[] stream) {
        FakeExports exports = new FakeExports();
        FakeExports.Device disk = exports.add("disk", SIZE, false);
        FakeExports.Device ro = exports.add("ro", SIZE, true);
        exports.addTableless("empty");
        byte[] pattern = new byte[SIZE];
        for (int i = 0; i < SIZE; i++) {
            pattern[i] = (byte) (i * 31 + 7);
        }
        System.arraycopy(pattern, 0, ro.memory, 0, SIZE);
        AtomicInteger released = new AtomicInteger();
        NbdDecoder decoder = new NbdDecoder();
        NbdSession.Shared shared = new NbdSession.Shared(exports, Runnable::run, Runnable::run, INFLIGHT_LIMIT,
                new AccessPolicy(0, Set.of(), pid -> Set.of()));
        EmbeddedChannel channel = new EmbeddedChannel(decoder,
                new NbdSession(shared, decoder, null, released::incrementAndGet));
        int cut = stream.length == 0 ? 0 : (stream[0] & 0xFF) % (stream.length + 1);
        write(channel, stream, 0, cut);
        write(channel, stream, cut, stream.length);
        assertNull(channel.readInbound(), "the session passed something on");
        channel.close();
        channel.runPendingTasks();
        drainOutbound(channel);
        channel.finishAndReleaseAll();
        assertArrayEquals(pattern, ro.bytes(0, SIZE), "the read-only export was changed");
        assertEquals(0, disk.opens.get(), "disk is still open after the connection closed");
        assertEquals(0, ro.opens.get(), "ro is still open after the connection closed");
        assertEquals(1, released.get(), "the session was not released exactly once");
    }

    private static void write(EmbeddedChannel channel, byte[] stream, int from, int to) {
        if (!channel.isOpen()) {
            return;
        }
        channel.writeInbound(Unpooled.wrappedBuffer(stream, from, to - from));
        channel.runPendingTasks();
        drainOutbound(channel);
    }

    /** The server's replies, released as a client that reads everything would consume them. */
    private static void drainOutbound(EmbeddedChannel channel) {
        for (Object reply = channel.readOutbound(); reply != null; reply = channel.readOutbound()) {
            Object written = reply;
            assertTrue(written instanceof ByteBuf, () -> "the session wrote " + written);
            ReferenceCountUtil.release(written);
        }
    }
}

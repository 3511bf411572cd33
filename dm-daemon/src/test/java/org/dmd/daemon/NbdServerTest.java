package org.dmd.daemon;

import static org.awaitility.Awaitility.await;
import static org.dmd.daemon.NbdProtocol.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.security.auth.module.UnixSystem;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollEventLoopGroup;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.dmd.core.errno.Errno;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The NBD server's protocol (proto.md), byte by byte, in front of in-memory devices. */
@Timeout(60)
class NbdServerTest {

    private static final int SIZE = 1 << 20;

    @TempDir
    Path dir;

    private final FakeExports exports = new FakeExports();
    private final List<NbdWire> clients = new ArrayList<>();
    private EventLoopGroup loops;
    private IdleCloser idle;
    private NbdServer server;

    private void start(Duration idleTimeout, long inflight) throws StartupException {
        exports.add("a", SIZE, false);
        exports.add("b", SIZE, false);
        exports.add("ro", SIZE, true);
        exports.addTableless("empty");
        loops = new EpollEventLoopGroup(2);
        idle = new IdleCloser(idleTimeout);
        DaemonConfig config = DaemonConfig.builder(dir.resolve("control.sock")).nbdInflight(inflight).nbdThreads(2)
                .build();
        server = NbdServer.start(config, loops, exports,
                AccessPolicy.forDaemon((int) new UnixSystem().getUid(), Set.of()), idle);
    }

    private void start() throws StartupException {
        start(Duration.ofMinutes(5), DaemonConfig.DEFAULT_NBD_INFLIGHT);
    }

    private NbdWire client() throws IOException {
        NbdWire client = NbdWire.connect(server.socket());
        clients.add(client);
        return client;
    }

    @AfterEach
    void stop() throws IOException {
        for (NbdWire client : clients) {
            client.close();
        }
        if (server != null) {
            server.stopAccepting();
            server.closeConnections(Duration.ofSeconds(5));
            server.release();
            idle.close();
            loops.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    private static byte[] pattern(int length, int seed) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) (i * 31 + seed);
        }
        return bytes;
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    // ------------------------------------------------------------------ handshake

    @Test
    void greetingOffersFixedNewstyleAndNoZeroes() throws Exception {
        start();
        assertEquals(NBD_FLAG_FIXED_NEWSTYLE | NBD_FLAG_NO_ZEROES, client().greeting());
        assertEquals(DaemonConfig.NBD_SOCKET_NAME, server.socket().getFileName().toString());
    }

    @Test
    void unknownClientFlagsDisconnect() throws Exception {
        start();
        NbdWire c = client();
        c.greeting();
        c.out.writeInt(1 << 2);
        c.out.flush();
        assertTrue(c.closedByServer());
    }

    @Test
    void badOptionMagicDisconnects() throws Exception {
        start();
        NbdWire c = client().newstyle();
        c.out.writeLong(0x1122334455667788L);
        c.out.writeInt(NBD_OPT_LIST);
        c.out.writeInt(0);
        c.out.flush();
        assertTrue(c.closedByServer());
    }

    @Test
    void unknownOptionsAreUnsupportedAndHagglingGoesOn() throws Exception {
        start();
        NbdWire c = client().newstyle();
        for (int option : new int[] {42, NBD_OPT_STARTTLS, 9}) {
            c.option(option, new byte[] {1, 2, 3});
            NbdWire.OptionReply reply = c.optionReply();
            assertEquals(option, reply.option());
            assertEquals(NBD_REP_ERR_UNSUP, reply.type());
        }
        c.option(NBD_OPT_LIST, new byte[0]);
        assertEquals(NBD_REP_SERVER, c.optionReply().type());
    }

    @Test
    void anOptionOfFourGigabytesIsRefusedWithoutReadingIt() throws Exception {
        start();
        NbdWire c = client().newstyle();
        c.out.writeLong(IHAVEOPT);
        c.out.writeInt(NBD_OPT_GO);
        c.out.writeInt(0xFFFFFFFF);
        c.out.write(new byte[4096]);
        c.out.flush();
        NbdWire.OptionReply reply = c.optionReply();
        assertEquals(NBD_REP_ERR_TOO_BIG, reply.type());
        assertTrue(text(reply.data()).contains("4294967295 bytes"), text(reply.data()));
        assertTrue(c.closedByServer());
    }

    @Test
    void listNamesTheDevicesWithALiveTable() throws Exception {
        start();
        NbdWire c = client().newstyle();
        c.option(NBD_OPT_LIST, new byte[0]);
        List<String> names = new ArrayList<>();
        NbdWire.OptionReply reply;
        while ((reply = c.optionReply()).type() == NBD_REP_SERVER) {
            ByteBuffer data = ByteBuffer.wrap(reply.data());
            byte[] name = new byte[data.getInt()];
            data.get(name);
            names.add(text(name));
        }
        assertEquals(NBD_REP_ACK, reply.type());
        assertEquals(List.of("a", "b", "ro"), names);
        c.option(NBD_OPT_LIST, new byte[] {0});
        assertEquals(NBD_REP_ERR_INVALID, c.optionReply().type());
    }

    @Test
    void infoDescribesTheExportAndLetsGoOfIt() throws Exception {
        start();
        NbdWire c = client().newstyle();
        List<NbdWire.OptionReply> replies = c.info(NBD_OPT_INFO, "a", NBD_INFO_NAME, NBD_INFO_DESCRIPTION,
                NBD_INFO_BLOCK_SIZE);
        assertEquals(NBD_REP_ACK, replies.get(replies.size() - 1).type());
        ByteBuffer export = null;
        ByteBuffer blockSize = null;
        String name = null;
        String description = null;
        for (NbdWire.OptionReply reply : replies.subList(0, replies.size() - 1)) {
            assertEquals(NBD_REP_INFO, reply.type());
            ByteBuffer data = ByteBuffer.wrap(reply.data());
            switch (data.getShort()) {
                case NBD_INFO_EXPORT -> export = data;
                case NBD_INFO_NAME -> name = text(Arrays.copyOfRange(reply.data(), 2, reply.data().length));
                case NBD_INFO_DESCRIPTION -> description = text(Arrays.copyOfRange(reply.data(), 2, reply.data().length));
                case NBD_INFO_BLOCK_SIZE -> blockSize = data;
                default -> throw new AssertionError("unexpected information " + Arrays.toString(reply.data()));
            }
        }
        assertEquals(SIZE, export.getLong());
        assertEquals(NBD_FLAG_HAS_FLAGS | NBD_FLAG_SEND_FLUSH | NBD_FLAG_SEND_FUA | NBD_FLAG_SEND_TRIM
                | NBD_FLAG_SEND_WRITE_ZEROES | NBD_FLAG_CAN_MULTI_CONN, export.getShort());
        assertEquals(List.of(512, 4096, 32 << 20), List.of(blockSize.getInt(), blockSize.getInt(), blockSize.getInt()));
        assertEquals("a", name);
        assertEquals("fake device a", description);
        await().until(() -> exports.device("a").opens.get() == 0);
        // Haggling goes on: GO after INFO.
        replies = c.info(NBD_OPT_GO, "a");
        assertEquals(NBD_REP_ACK, replies.get(replies.size() - 1).type());
        assertEquals(1, exports.device("a").opens.get());
    }

    @Test
    void unknownRemovedAndTablelessExportsAreUnknown() throws Exception {
        start();
        exports.device("b").remove();
        NbdWire c = client().newstyle();
        for (String name : List.of("nosuch", "empty", "b", "")) {
            List<NbdWire.OptionReply> replies = c.info(NBD_OPT_GO, name);
            assertEquals(1, replies.size(), name);
            assertEquals(NBD_REP_ERR_UNKNOWN, replies.get(0).type(), name);
        }
        assertEquals(NBD_REP_ACK, c.info(NBD_OPT_GO, "a").get(0).type() == NBD_REP_INFO ? NBD_REP_ACK : -1);
    }

    @Test
    void malformedGoIsInvalid() throws Exception {
        start();
        NbdWire c = client().newstyle();
        ByteBuffer data = ByteBuffer.allocate(10).putInt(100).putShort((short) 0).putInt(0);
        c.option(NBD_OPT_GO, data.array());
        assertEquals(NBD_REP_ERR_INVALID, c.optionReply().type());
        c.option(NBD_OPT_GO, Arrays.copyOf(NbdWire.goData("a", 3), 7)); // claims one request, holds none
        assertEquals(NBD_REP_ERR_INVALID, c.optionReply().type());
        c.option(NBD_OPT_STRUCTURED_REPLY, new byte[1]);
        assertEquals(NBD_REP_ERR_INVALID, c.optionReply().type());
        assertEquals(0, exports.device("a").opens.get());
    }

    @Test
    void abortIsAcknowledgedThenTheConnectionCloses() throws Exception {
        start();
        NbdWire c = client().newstyle();
        c.option(NBD_OPT_ABORT, new byte[0]);
        assertEquals(NBD_REP_ACK, c.optionReply().type());
        assertTrue(c.closedByServer());
    }

    @Test
    void exportNameSendsSizeAndFlagsWithOrWithoutZeroes() throws Exception {
        start();
        NbdWire quiet = client().newstyle();
        quiet.option(NBD_OPT_EXPORT_NAME, "a".getBytes(StandardCharsets.UTF_8));
        assertEquals(SIZE, quiet.in.readLong());
        assertEquals(NBD_FLAG_HAS_FLAGS, quiet.in.readUnsignedShort() & NBD_FLAG_HAS_FLAGS);
        quiet.request(0, NBD_CMD_READ, 7, 0, 512, null);
        assertEquals(7, quiet.simpleReply(512).cookie());

        NbdWire padded = client();
        padded.greeting();
        padded.out.writeInt(NBD_FLAG_C_FIXED_NEWSTYLE);
        padded.option(NBD_OPT_EXPORT_NAME, "ro".getBytes(StandardCharsets.UTF_8));
        assertEquals(SIZE, padded.in.readLong());
        assertEquals(NBD_FLAG_READ_ONLY, padded.in.readUnsignedShort() & NBD_FLAG_READ_ONLY);
        byte[] zeroes = new byte[124];
        padded.in.readFully(zeroes);
        assertArrayEquals(new byte[124], zeroes);

        NbdWire unknown = client().newstyle();
        unknown.option(NBD_OPT_EXPORT_NAME, "nosuch".getBytes(StandardCharsets.UTF_8));
        assertTrue(unknown.closedByServer());
    }

    // ------------------------------------------------------------------ transmission

    @Test
    void writeThenReadBackWithSimpleReplies() throws Exception {
        start();
        NbdWire c = client().go("a", false);
        byte[] data = pattern(8192, 1);
        c.request(0, NBD_CMD_WRITE, 1, 4096, data.length, data);
        assertEquals(new NbdWire.SimpleReply(0, 1, new byte[0]).error(), c.simpleReply(0).error());
        assertArrayEquals(data, exports.device("a").bytes(4096, 8192));
        c.request(0, NBD_CMD_READ, 2, 4096, data.length, null);
        NbdWire.SimpleReply read = c.simpleReply(data.length);
        assertEquals(2, read.cookie());
        assertArrayEquals(data, read.data());
    }

    @Test
    void structuredReadIsOneDataChunkFlaggedDone() throws Exception {
        start();
        NbdWire c = client().go("a", true);
        byte[] data = pattern(4096, 2);
        c.request(NBD_CMD_FLAG_FUA, NBD_CMD_WRITE, 1, 0, data.length, data);
        assertEquals(0, c.simpleReply(0).error());
        assertEquals(1, exports.device("a").fuaWrites.get());
        c.request(NBD_CMD_FLAG_DF, NBD_CMD_READ, 0xFEEDFACECAFEL, 0, data.length, null);
        NbdWire.Chunk chunk = c.chunk();
        assertEquals(NBD_REPLY_FLAG_DONE, chunk.flags());
        assertEquals(NBD_REPLY_TYPE_OFFSET_DATA, chunk.type());
        assertEquals(0xFEEDFACECAFEL, chunk.cookie());
        assertEquals(0, ByteBuffer.wrap(chunk.payload()).getLong());
        assertArrayEquals(data, Arrays.copyOfRange(chunk.payload(), 8, chunk.payload().length));
        c.request(0, NBD_CMD_READ, 3, 512, 0, null);
        NbdWire.Chunk empty = c.chunk();
        assertEquals(List.of(NBD_REPLY_FLAG_DONE, NBD_REPLY_TYPE_NONE, 3L, 0), List.of(empty.flags(), empty.type(),
                empty.cookie(), empty.payload().length));
    }

    @Test
    void flushTrimAndWriteZeroes() throws Exception {
        start();
        NbdWire c = client().go("a", false);
        byte[] data = pattern(4096, 3);
        c.request(0, NBD_CMD_WRITE, 1, 0, data.length, data);
        c.request(0, NBD_CMD_WRITE, 2, 8192, data.length, data);
        assertEquals(0, c.simpleReply(0).error());
        assertEquals(0, c.simpleReply(0).error());
        c.request(NBD_CMD_FLAG_NO_HOLE | NBD_CMD_FLAG_FUA, NBD_CMD_WRITE_ZEROES, 3, 0, 4096, null);
        assertEquals(0, c.simpleReply(0).error());
        assertArrayEquals(new byte[4096], exports.device("a").bytes(0, 4096));
        assertEquals(1, exports.device("a").flushes.get(), "FUA on write-zeroes flushes");
        c.request(0, NBD_CMD_TRIM, 4, 8192, 4096, null);
        assertEquals(0, c.simpleReply(0).error());
        c.request(0, NBD_CMD_FLUSH, 5, 0, 0, null);
        assertEquals(new NbdWire.SimpleReply(0, 5, new byte[0]).cookie(), c.simpleReply(0).cookie());
        assertEquals(2, exports.device("a").flushes.get());
    }

    @Test
    void badRequestsGetTheProtocolsErrorsAndChangeNothing() throws Exception {
        start();
        NbdWire c = client().go("a", false);
        byte[] data = pattern(4096, 4);
        record Case(int flags, int type, long offset, long length, byte[] payload, int error) {
        }
        List<Case> cases = List.of(
                new Case(0, NBD_CMD_READ, SIZE - 512, 1024, null, NBD_EINVAL),          // past the end
                new Case(0, NBD_CMD_READ, -512, 512, null, NBD_EINVAL),                  // offset 2^64 - 512
                new Case(0, NBD_CMD_WRITE, SIZE, 4096, data, NBD_ENOSPC),                // write past the end
                new Case(0, NBD_CMD_WRITE_ZEROES, SIZE - 512, 4096, null, NBD_ENOSPC),
                new Case(0, NBD_CMD_TRIM, SIZE, 512, null, NBD_EINVAL),
                new Case(0, NBD_CMD_WRITE, 100, 4096, data, NBD_EINVAL),                 // unaligned
                new Case(0, NBD_CMD_READ, 0, 100, null, NBD_EINVAL),
                new Case(0, 5, 0, 4096, null, NBD_EINVAL),                               // CACHE: not offered
                new Case(0, 99, 0, 0, null, NBD_EINVAL),
                new Case(NBD_CMD_FLAG_NO_HOLE, NBD_CMD_WRITE, 0, 4096, data, NBD_EINVAL), // flag of another command
                new Case(1 << 4, NBD_CMD_WRITE_ZEROES, 0, 4096, null, NBD_EINVAL),       // FAST_ZERO: not offered
                new Case(NBD_CMD_FLAG_DF, NBD_CMD_READ, 0, 4096, null, NBD_EINVAL),      // DF without structured replies
                new Case(0, NBD_CMD_FLUSH, 0, 512, null, NBD_EINVAL),
                new Case(0, NBD_CMD_READ, 0, (32 << 20) + 512, null, NBD_EINVAL));       // beyond the maximum payload
        long cookie = 100;
        for (Case bad : cases) {
            c.request(bad.flags(), bad.type(), cookie, bad.offset(), bad.length(), bad.payload());
            NbdWire.SimpleReply reply = c.simpleReply(0);
            assertEquals(cookie, reply.cookie());
            assertEquals(bad.error(), reply.error(), bad.toString());
            cookie++;
        }
        assertArrayEquals(new byte[SIZE], exports.device("a").bytes(0, SIZE));
        assertEquals(0, exports.device("a").submitted.get(), "nothing reached the device");
    }

    @Test
    void anOversizedWriteIsRefusedAndItsPayloadSkipped() throws Exception {
        start();
        NbdWire c = client().go("a", false);
        int length = (32 << 20) + 4096;
        c.request(0, NBD_CMD_WRITE, 1, 0, length, new byte[length]);
        assertEquals(NBD_EINVAL, c.simpleReply(0).error());
        c.request(0, NBD_CMD_READ, 2, 0, 512, null);
        assertEquals(2, c.simpleReply(512).cookie(), "the stream is still in step");
    }

    @Test
    void aReadOnlyExportRefusesWritesWithEperm() throws Exception {
        start();
        NbdWire c = client().go("ro", true);
        c.request(0, NBD_CMD_WRITE, 1, 0, 512, new byte[512]);
        NbdWire.Chunk chunk = c.chunk();
        assertEquals(NBD_REPLY_TYPE_ERROR, chunk.type());
        assertEquals(NBD_EPERM, ByteBuffer.wrap(chunk.payload()).getInt());
        c.request(0, NBD_CMD_TRIM, 2, 0, 512, null);
        assertEquals(NBD_EPERM, ByteBuffer.wrap(c.chunk().payload()).getInt());
        c.request(0, NBD_CMD_READ, 3, 0, 512, null);
        assertEquals(NBD_REPLY_TYPE_OFFSET_DATA, c.chunk().type());
    }

    @Test
    void aDeviceErrorIsAnErrorChunkWithTheMessage() throws Exception {
        start();
        exports.device("a").failure = Errno.EIO;
        NbdWire c = client().go("a", true);
        c.request(0, NBD_CMD_READ, 9, 0, 4096, null);
        NbdWire.Chunk chunk = c.chunk();
        assertEquals(NBD_REPLY_TYPE_ERROR, chunk.type());
        assertEquals(NBD_REPLY_FLAG_DONE, chunk.flags());
        ByteBuffer payload = ByteBuffer.wrap(chunk.payload());
        assertEquals(NBD_EIO, payload.getInt());
        byte[] message = new byte[payload.getShort()];
        payload.get(message);
        assertEquals("injected EIO", text(message));
        exports.device("a").failure = Errno.ENOSPC;
        NbdWire simple = client().go("a", false);
        simple.request(0, NBD_CMD_WRITE, 10, 0, 512, new byte[512]);
        assertEquals(NBD_ENOSPC, simple.simpleReply(0).error());
    }

    @Test
    void repliesComeAsRequestsCompleteNotInOrder() throws Exception {
        start();
        NbdWire held = client().go("a", false);
        CompletableFuture<Void> gate = exports.device("a").hold();
        held.request(0, NBD_CMD_READ, 1, 0, 512, null);
        await().until(() -> exports.device("a").submitted.get() == 512);
        exports.device("a").gate = CompletableFuture.completedFuture(null);
        held.request(0, NBD_CMD_READ, 2, 512, 512, null);
        assertEquals(2, held.simpleReply(512).cookie());
        gate.complete(null);
        assertEquals(1, held.simpleReply(512).cookie());
    }

    @Test
    void disconnectAnswersWhatIsInFlightThenCloses() throws Exception {
        start();
        NbdWire c = client().go("a", false);
        CompletableFuture<Void> gate = exports.device("a").hold();
        c.request(0, NBD_CMD_WRITE, 1, 0, 512, pattern(512, 5));
        c.request(0, NBD_CMD_DISC, 2, 0, 0, null);
        await().until(() -> exports.device("a").submitted.get() == 512);
        gate.complete(null);
        assertEquals(1, c.simpleReply(0).cookie());
        assertTrue(c.closedByServer());
        await().until(() -> exports.device("a").opens.get() == 0);
        assertArrayEquals(pattern(512, 5), exports.device("a").bytes(0, 512));
    }

    @Test
    void theExportStaysOpenWhileConnectedAndUntilItsRequestsComplete() throws Exception {
        start();
        NbdWire c = client().go("a", false);
        NbdWire d = client().go("a", false);
        assertEquals(2, exports.device("a").opens.get());
        d.close();
        await().until(() -> exports.device("a").opens.get() == 1);
        CompletableFuture<Void> gate = exports.device("a").hold();
        c.request(0, NBD_CMD_READ, 1, 0, 512, null);
        await().until(() -> exports.device("a").submitted.get() == 512);
        c.close();
        // The connection is gone, but its read still holds the device (and the read's buffer).
        assertEquals(1, exports.device("a").opens.get());
        gate.complete(null);
        await().until(() -> exports.device("a").opens.get() == 0);
    }

    @Test
    void removingTheDeviceFailsWaitingRequestsThenCloses() throws Exception {
        start();
        NbdWire c = client().go("a", true);
        exports.device("a").hold();
        c.request(0, NBD_CMD_WRITE, 1, 0, 512, new byte[512]);
        await().until(() -> exports.device("a").submitted.get() == 512);
        exports.device("a").remove();
        NbdWire.Chunk chunk = c.chunk();
        assertEquals(NBD_REPLY_TYPE_ERROR, chunk.type());
        assertEquals(NBD_EIO, ByteBuffer.wrap(chunk.payload()).getInt());
        assertTrue(c.closedByServer());
    }

    // ------------------------------------------------------------------ hostile peers

    @Test
    void aClientThatSendsAndNeverReadsIsHeldToItsLimitAndNobodyElseNotices() throws Exception {
        long limit = 32 << 20;
        start(Duration.ofMinutes(5), limit);
        NbdWire hostile = client().go("a", false);
        exports.device("a").hold();
        int request = 64 << 10;
        int requests = 2048; // 128 MiB: four times the limit
        ExecutorService sender = Executors.newSingleThreadExecutor();
        try {
            Future<?> sent = sender.submit(() -> {
                byte[] data = new byte[request];
                for (int i = 0; i < requests; i++) {
                    hostile.request(0, NBD_CMD_WRITE, i, (long) (i % 16) * request, request, data);
                }
                return null;
            });
            // Each request is charged its payload and NbdSession.REQUEST_CHARGE: reading stops just short of the limit.
            long nearLimit = limit / (request + NbdSession.REQUEST_CHARGE) * request;
            await().until(() -> exports.device("a").submitted.get() >= nearLimit);
            // The server stopped reading: what reached the device is the limit, one read round and one request.
            NbdWire other = client().go("b", false);
            other.request(0, NBD_CMD_READ, 1, 0, 4096, null);
            assertEquals(1, other.simpleReply(4096).cookie());
            long submitted = exports.device("a").submitted.get();
            assertTrue(submitted <= limit + (2 << 20), "submitted " + submitted + " bytes beyond the limit " + limit);
            assertTrue(!sent.isDone(), "the sender is blocked");
            exports.device("a").gate.complete(null);
            exports.device("a").gate = CompletableFuture.completedFuture(null);
            for (int i = 0; i < requests; i++) {
                assertEquals(0, hostile.simpleReply(0).error());
            }
            sent.get();
        } finally {
            sender.shutdownNow();
        }
    }

    @Test
    void aQuietHandshakeAndAnUnfinishedWriteAreClosedButAQuietExportIsNot() throws Exception {
        start(Duration.ofMillis(300), DaemonConfig.DEFAULT_NBD_INFLIGHT);
        NbdWire quietExport = client().go("a", false);
        List<NbdWire> idle = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            idle.add(client());
        }
        NbdWire unfinished = client().go("b", false);
        unfinished.request(0, NBD_CMD_WRITE, 1, 0, 4096, new byte[100]);
        assertTrue(unfinished.closedByServer());
        for (NbdWire c : idle) {
            c.greeting();
            assertTrue(c.closedByServer());
        }
        quietExport.request(0, NBD_CMD_READ, 1, 0, 512, null);
        assertEquals(1, quietExport.simpleReply(512).cookie());
        await().until(() -> exports.device("b").opens.get() == 0);
    }
}

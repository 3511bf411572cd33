package org.dmd.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.LengthFieldPrepender;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.dmd.core.control.Command;
import org.junit.jupiter.api.Test;

/**
 * Refusal before parsing, on an EmbeddedChannel with synthetic credentials: a refused peer's bytes
 * never reach the frame or request decoder (spies stand in front of each and count what they see),
 * an allowed peer's connection runs without the authoriser.
 */
class AuthoriserTest {

    private static final int DAEMON_UID = 1000;
    private static final AccessPolicy POLICY = new AccessPolicy(DAEMON_UID, Set.of(), pid -> Set.of());

    /** Counts what passes it, then passes it on. */
    private static final class Spy extends ChannelInboundHandlerAdapter {
        int reads;
        boolean active;

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            active = true;
            ctx.fireChannelActive();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            reads++;
            ctx.fireChannelRead(msg);
        }
    }

    private final Spy beforeFrameDecoder = new Spy();
    private final Spy beforeRequestDecoder = new Spy();
    private final List<Object> decoded = new ArrayList<>();

    /** The control pipeline up to the dispatcher, which a collector replaces. */
    private EmbeddedChannel connect(CredentialSource credentials) {
        WireFormat wire = new WireFormat();
        return new EmbeddedChannel(
                new LengthFieldPrepender(FrameDecoder.LENGTH_BYTES),
                new MessageEncoder(wire, 1 << 20),
                new Authoriser(POLICY, credentials),
                beforeFrameDecoder,
                new FrameDecoder(1 << 20),
                beforeRequestDecoder,
                new RequestDecoder(wire),
                new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        decoded.add(msg);
                    }
                });
    }

    private static ByteBuf frame(String json) {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        return Unpooled.buffer().writeInt(bytes.length).writeBytes(bytes);
    }

    /** Everything written, length prefixes stripped, as JSON text per frame. */
    private static List<String> written(EmbeddedChannel channel) {
        ByteBuf all = Unpooled.buffer();
        for (ByteBuf part; (part = channel.readOutbound()) != null; ) {
            all.writeBytes(part);
            part.release();
        }
        List<String> frames = new ArrayList<>();
        while (all.isReadable()) {
            frames.add(all.readCharSequence(all.readInt(), StandardCharsets.UTF_8).toString());
        }
        return frames;
    }

    @Test
    void aRefusedPeersBytesReachNoDecoder() {
        EmbeddedChannel channel = connect(peer -> new PeerIdentity(42, 65534, 65534));
        assertEquals(List.of("{\"id\":null,\"errno\":13,\"error\":\"EACCES\",\"message\":\"uid 65534 may not use dmd: "
                + "it serves uid 0 and uid 1000\"}"), written(channel), "EACCES at once, before any request");
        assertFalse(beforeFrameDecoder.active, "the connection is not active past the authoriser: no session");

        ByteBuf request = frame("{\"id\":1,\"command\":\"DEV_CREATE\",\"name\":\"intruder\"}");
        channel.writeInbound(request);
        assertEquals(0, request.refCnt(), "released unread");
        assertEquals(0, beforeFrameDecoder.reads, "nothing reached the frame decoder");
        assertEquals(0, beforeRequestDecoder.reads, "nothing reached the request decoder");
        assertEquals(List.of(), decoded);
        assertFalse(channel.isOpen(), "the first bytes close the connection");
        assertEquals(List.of(), written(channel), "and nothing more is answered");
    }

    @Test
    void aPeerOfUnknownIdentityIsRefused() {
        EmbeddedChannel channel = connect(peer -> {
            throw new IOException("SO_PEERCRED failed");
        });
        List<String> replies = written(channel);
        assertEquals(1, replies.size());
        assertTrue(replies.get(0).contains("a peer of unknown identity may not use dmd"), replies::toString);
        channel.writeInbound(frame("{\"id\":1,\"command\":\"VERSION\"}"));
        assertEquals(0, beforeFrameDecoder.reads);
    }

    @Test
    void theDaemonsCredentialSourceRefusesAChannelWithoutPeerCredentials() {
        EmbeddedChannel channel = connect(CredentialSource.SO_PEERCRED);
        assertTrue(written(channel).get(0).contains("\"errno\":13"));
        assertEquals(0, beforeFrameDecoder.reads);
    }

    @Test
    void anAllowedPeerIsDecodedWithoutTheAuthoriser() {
        EmbeddedChannel channel = connect(peer -> new PeerIdentity(43, DAEMON_UID, 100));
        assertNull(channel.pipeline().get(Authoriser.class), "removed once it has judged");
        assertTrue(beforeFrameDecoder.active);
        assertEquals(List.of(), written(channel));
        channel.writeInbound(frame("{\"id\":1,\"command\":\"VERSION\"}"));
        assertEquals(1, beforeFrameDecoder.reads);
        assertEquals(1, beforeRequestDecoder.reads);
        Inbound.Call call = assertInstanceOf(Inbound.Call.class, decoded.get(0));
        assertEquals(Command.VERSION, call.command());
        assertTrue(channel.isOpen());
    }
}

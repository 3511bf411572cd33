package org.dmd.daemon;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;
import java.io.IOException;
import java.util.List;
import org.dmd.core.errno.Errno;

/**
 * Writes each {@link Outbound} as one JSON object (the length prefix is added after). A reply that
 * would exceed the frame limit is replaced by an EMSGSIZE error for the same request, so a peer
 * never receives a frame larger than the limit. Stateless.
 */
@ChannelHandler.Sharable
final class MessageEncoder extends MessageToMessageEncoder<Outbound> {

    private final WireFormat wire;
    private final int maxFrame;

    MessageEncoder(WireFormat wire, int maxFrame) {
        this.wire = wire;
        this.maxFrame = maxFrame;
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, Outbound message, List<Object> out) throws IOException {
        ByteBuf json = json(ctx, message);
        if (json.readableBytes() > maxFrame && message instanceof Outbound.Answer answer) {
            int size = json.readableBytes();
            json.release();
            json = json(ctx, new Outbound.Failure(answer.id(), Errno.EMSGSIZE, String.format(
                    "the reply is %d bytes, over the frame limit of %d bytes (dmd --max-frame)", size, maxFrame)));
        }
        out.add(json);
    }

    private ByteBuf json(ChannelHandlerContext ctx, Outbound message) throws IOException {
        ByteBuf buffer = ctx.alloc().buffer();
        boolean written = false;
        try (ByteBufOutputStream stream = new ByteBufOutputStream(buffer)) {
            wire.write(message, stream);
            written = true;
        } finally {
            if (!written) {
                buffer.release();
            }
        }
        return buffer;
    }
}

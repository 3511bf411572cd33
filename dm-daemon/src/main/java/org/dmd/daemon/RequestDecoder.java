package org.dmd.daemon;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageDecoder;
import java.util.List;

/** Turns each frame into an {@link Inbound}: a call, or the error its frame deserves. Stateless. */
@ChannelHandler.Sharable
final class RequestDecoder extends MessageToMessageDecoder<ByteBuf> {

    private final WireFormat wire;

    RequestDecoder(WireFormat wire) {
        this.wire = wire;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf frame, List<Object> out) {
        out.add(wire.readRequest(new ByteBufInputStream(frame)));
    }
}

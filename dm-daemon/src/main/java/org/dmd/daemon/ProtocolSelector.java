package org.dmd.daemon;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;
import java.util.function.Consumer;

/**
 * Tells the two protocols of the control socket apart by a connection's first 4 bytes, after the
 * {@link Authoriser} admitted it: a JSON frame starts with its big-endian length (never 2^30 or
 * more, so never the bytes "DMIO"), a binary frame with the magic {@code DMIO}. For a binary
 * connection the pipeline's JSON handlers are replaced by the binary ones; either way this handler
 * then leaves the pipeline, passing on the bytes it held. Per connection; confined to its event loop.
 */
final class ProtocolSelector extends ByteToMessageDecoder {

    private final Consumer<ChannelPipeline> binary;

    /** {@code binary} turns a JSON pipeline into a binary one. */
    ProtocolSelector(Consumer<ChannelPipeline> binary) {
        this.binary = binary;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (in.readableBytes() < Integer.BYTES) {
            return;
        }
        if (in.getIntLE(in.readerIndex()) == IoctlFrameDecoder.MAGIC) {
            binary.accept(ctx.pipeline());
        }
        ctx.pipeline().remove(this);
    }
}

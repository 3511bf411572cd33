package org.dmd.daemon;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler: whatever went wrong on a connection (a reset by the peer, a bug in a handler)
 * ends that connection and nothing else. Logged at debug: a client's misbehaviour is not the
 * daemon's news. Stateless.
 */
@ChannelHandler.Sharable
final class PipelineEnd extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = LoggerFactory.getLogger(PipelineEnd.class);

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("closing {} after an error", ctx.channel(), cause);
        ctx.close();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ReferenceCountUtil.release(msg);
    }
}

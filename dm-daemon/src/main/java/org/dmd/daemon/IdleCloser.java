package org.dmd.daemon;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleStateEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes a connection that has sent nothing for the idle timeout (the {@code IdleStateHandler}
 * in front says when), unless it is waiting for a reply or monitoring events. A half-sent frame
 * does not count as waiting. Stateless.
 */
@ChannelHandler.Sharable
final class IdleCloser extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = LoggerFactory.getLogger(IdleCloser.class);

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (!(event instanceof IdleStateEvent)) {
            ctx.fireUserEventTriggered(event);
            return;
        }
        Dispatcher dispatcher = ctx.pipeline().get(Dispatcher.class);
        if (dispatcher == null || dispatcher.isIdle()) {
            LOG.debug("closing idle connection {}", ctx.channel());
            ctx.close();
        } else {
            LOG.debug("connection {} is quiet but waits for a reply or monitors events: kept open", ctx.channel());
        }
    }
}

package org.dmd.daemon;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import org.dmd.core.errno.Errno;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides once, when the connection opens, whether its peer may talk, before any of its bytes is
 * decoded: as {@code dm-ioctl.c: ctl_ioctl} checks CAP_SYS_ADMIN before {@code copy_params} reads
 * anything from user space. It sits in front of the frame and request decoders.
 *
 * <p>An allowed peer: the authoriser removes itself from the pipeline and the connection goes on
 * as if it had never been there. A refused peer (or one whose credentials cannot be read) is sent
 * one EACCES reply with {@code id} null at once and its connection never becomes active past this
 * handler: no session is opened, and whatever it sends is released unread; its first bytes close
 * the connection (they were the request the EACCES answers), and a peer that sends nothing is
 * closed by the idle timeout like any idle connection.
 *
 * <p>Per connection; confined to its event loop.
 */
final class Authoriser extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = LoggerFactory.getLogger(Authoriser.class);

    private final AccessPolicy policy;
    private final CredentialSource credentials;

    Authoriser(AccessPolicy policy, CredentialSource credentials) {
        this.policy = policy;
        this.credentials = credentials;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        PeerIdentity peer = identify(credentials, ctx.channel());
        if (peer != null && policy.permits(peer)) {
            ctx.pipeline().remove(this);
            ctx.fireChannelActive();
            return;
        }
        LOG.debug("refusing {} on {}: not authorised", peer, ctx.channel());
        ctx.writeAndFlush(new Outbound.Failure(null, Errno.EACCES, String.format("%s may not use dmd: it serves %s",
                peer == null ? "a peer of unknown identity" : "uid " + peer.uid(), policy.describe())));
    }

    /** The peer of {@code channel} as {@code source} reads it, or null if it cannot be read. */
    static PeerIdentity identify(CredentialSource source, Channel channel) {
        try {
            return source.identify(channel);
        } catch (IOException e) {
            LOG.debug("cannot read the peer credentials of {}", channel, e);
            return null;
        }
    }

    /** Only a refused peer's bytes get here (an allowed peer's go past a removed handler): dropped unread. */
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ReferenceCountUtil.release(msg);
        ctx.close();
    }
}

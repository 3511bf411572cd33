package org.dmd.daemon;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.unix.PeerCredentials;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import java.io.IOException;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides once, when the connection opens, whether its peer may talk (peer credentials are those
 * of connect time); an unauthorised peer's every request is answered EACCES, as the kernel's
 * ioctl is, and never reaches the session. Frames refused for their form pass unchanged.
 *
 * <p>Per connection; confined to its event loop.
 */
final class Authoriser extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = LoggerFactory.getLogger(Authoriser.class);

    private final AccessPolicy policy;
    /** Null until the connection is active; then the reason requests are refused, or none if allowed. */
    private DmException refusal;

    Authoriser(AccessPolicy policy) {
        this.policy = policy;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        PeerIdentity peer = identify((EpollDomainSocketChannel) ctx.channel());
        if (peer == null || !policy.permits(peer)) {
            refusal = new DmException(Errno.EACCES, "%s may not use dmd: it serves %s",
                    peer == null ? "a peer of unknown identity" : "uid " + peer.uid(), policy.describe());
            LOG.debug("refusing {}: not authorised", peer);
        }
        super.channelActive(ctx);
    }

    /** The peer's credentials at connect time, or null if they cannot be read. */
    static PeerIdentity identify(EpollDomainSocketChannel channel) {
        try {
            PeerCredentials credentials = channel.peerCredentials();
            int[] gids = credentials.gids();
            return new PeerIdentity(credentials.pid(), credentials.uid(), gids.length > 0 ? gids[0] : -1);
        } catch (IOException e) {
            LOG.debug("cannot read the peer credentials of {}", channel, e);
            return null;
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (refusal != null && msg instanceof Inbound.Call call) {
            ctx.fireChannelRead(new Inbound.Refused(call.id(), refusal, false));
        } else {
            ctx.fireChannelRead(msg);
        }
    }
}

package org.dmd.daemon;

import io.netty.channel.Channel;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.unix.PeerCredentials;
import java.io.IOException;

/**
 * Where a connection's peer identity comes from, read once when the connection opens. The daemon's
 * is {@link #SO_PEERCRED}; tests give their own, so that {@link Authoriser} is exercised on any
 * channel class (an {@code EmbeddedChannel} included). Implementations are thread-safe.
 */
@FunctionalInterface
interface CredentialSource {

    /**
     * The peer of {@code channel}, as it was at connect time.
     *
     * @throws IOException if the identity cannot be read (the peer is then refused)
     */
    PeerIdentity identify(Channel channel) throws IOException;

    /** SO_PEERCRED of an epoll Unix domain socket: pid, uid and primary gid at connect time. */
    CredentialSource SO_PEERCRED = channel -> {
        if (!(channel instanceof EpollDomainSocketChannel socket)) {
            throw new IOException("no peer credentials on a " + channel.getClass().getSimpleName());
        }
        PeerCredentials credentials = socket.peerCredentials();
        int[] gids = credentials.gids();
        return new PeerIdentity(credentials.pid(), credentials.uid(), gids.length > 0 ? gids[0] : -1);
    };
}

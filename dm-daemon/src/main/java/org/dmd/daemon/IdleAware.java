package org.dmd.daemon;

import io.netty.channel.ChannelHandler;

/**
 * A connection's handler that knows whether the connection waits for anything; {@link IdleCloser}
 * asks it (on the connection's event loop) before closing a quiet connection.
 */
interface IdleAware extends ChannelHandler {

    /** True if the connection may be closed for being quiet: it waits for no reply, no event, no device. */
    boolean isIdle();

    /**
     * How long, in nanoseconds up to {@code now}, replies have been pending without the peer taking
     * any of their bytes; 0 when none is pending or the connection bounds its backlog otherwise.
     */
    default long replyStalledFor(long now) {
        return 0;
    }
}

package org.dmd.daemon;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import java.util.HashMap;
import java.util.Map;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.dmd.daemon.ioctl.IoctlCall;
import org.dmd.daemon.ioctl.IoctlExtensions;
import org.dmd.daemon.ioctl.IoctlReplies;
import org.dmd.daemon.ioctl.IoctlRequests;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The binary protocol's codec, where the JSON pipeline has its request decoder: inbound, each
 * {@link IoctlFrame} becomes the {@link Inbound} the {@link Dispatcher} executes (or the error the
 * kernel would answer, or an extension command's answer); outbound, each reply becomes a frame:
 * {@code DMIO}, a little-endian u32 status (0 or a positive errno), a u32 length M, then the M
 * bytes ctl_ioctl would copy back over the caller's buffer (none on error).
 *
 * <p>Each request gets an id, under which its decoded call waits for its reply. Per connection;
 * confined to its event loop (the dispatcher writes replies from it).
 */
final class IoctlConnection extends ChannelDuplexHandler {

    private static final Logger LOG = LoggerFactory.getLogger(IoctlConnection.class);

    private final IoctlExtensions extensions;
    private final int maxFrame;
    /** Decoded calls waiting for their reply, by request id. */
    private final Map<Long, IoctlCall> pending = new HashMap<>();
    private long nextId;

    IoctlConnection(IoctlExtensions extensions, int maxFrame) {
        this.extensions = extensions;
        this.maxFrame = maxFrame;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof IoctlFrame frame)) {
            ctx.fireChannelRead(msg);
            return;
        }
        long id = nextId++;
        if (IoctlExtensions.isExtension(frame.command())) {
            IoctlExtensions.Handler handler = extensions.handler(frame.command());
            ctx.fireChannelRead(handler == null
                    ? new Inbound.Refused(id, new DmException(Errno.ENOTTY, "0x%08x is not a dmd extension command",
                            frame.command()), false)
                    : new Inbound.Local(() -> answer(handler, frame.payload())));
            return;
        }
        try {
            IoctlCall call = IoctlRequests.decode(frame.command(), frame.payload());
            pending.put(id, call);
            ctx.fireChannelRead(new Inbound.Call(id, call.command(), call.request()));
        } catch (DmException e) {
            ctx.fireChannelRead(new Inbound.Refused(id, e, false));
        }
    }

    private static IoctlReply answer(IoctlExtensions.Handler handler, byte[] request) {
        try {
            return new IoctlReply(0, java.nio.ByteBuffer.wrap(handler.answer(request)));
        } catch (DmException e) {
            return IoctlReply.failure(e.errno().number());
        }
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        IoctlReply reply;
        if (msg instanceof Outbound.Answer answer) {
            reply = encode(pending.remove(answer.id()), answer);
        } else if (msg instanceof Outbound.Failure failure) {
            if (failure.id() != null) {
                pending.remove(failure.id());
            }
            LOG.debug("{}: {} {}", ctx.channel(), failure.errno(), failure.message());
            reply = IoctlReply.failure(failure.errno().number());
        } else if (msg instanceof IoctlReply ready) {
            reply = ready;
        } else {
            ctx.write(msg, promise);
            return;
        }
        if (reply.payload().remaining() > maxFrame) {
            LOG.debug("{}: a reply of {} bytes exceeds the frame limit", ctx.channel(), reply.payload().remaining());
            reply = IoctlReply.failure(Errno.EMSGSIZE.number());
        }
        ByteBuf frame = ctx.alloc().buffer(IoctlFrameDecoder.HEADER_BYTES + reply.payload().remaining());
        frame.writeIntLE(IoctlFrameDecoder.MAGIC).writeIntLE(reply.status()).writeIntLE(reply.payload().remaining())
                .writeBytes(reply.payload().duplicate());
        ctx.write(frame, promise);
    }

    private static IoctlReply encode(IoctlCall call, Outbound.Answer answer) {
        try {
            return new IoctlReply(0, IoctlReplies.encode(call, answer.reply()));
        } catch (DmException e) {
            LOG.warn("cannot encode the {} reply: {}", call.command(), e.toString());
            return IoctlReply.failure(Errno.EIO.number());
        }
    }
}

package org.dmd.daemon;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;

/**
 * Cuts the byte stream into frames: a 4-byte big-endian unsigned length N, then N bytes. A length
 * over the limit (a "negative" signed length included) cannot be skipped safely, so it yields one
 * EMSGSIZE refusal that closes the connection, and everything after it is discarded unread.
 *
 * <p>Per connection; confined to its event loop.
 */
final class FrameDecoder extends ByteToMessageDecoder {

    static final int LENGTH_BYTES = 4;

    private final int maxFrame;
    /** Set once an oversized length was seen: the rest of the stream is garbage. */
    private boolean discarding;

    FrameDecoder(int maxFrame) {
        this.maxFrame = maxFrame;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (discarding) {
            in.skipBytes(in.readableBytes());
            return;
        }
        if (in.readableBytes() < LENGTH_BYTES) {
            return;
        }
        long length = in.getUnsignedInt(in.readerIndex());
        if (length > maxFrame) {
            discarding = true;
            in.skipBytes(in.readableBytes());
            out.add(new Inbound.Refused(null, new DmException(Errno.EMSGSIZE,
                    "a frame of %d bytes exceeds the limit of %d bytes; closing the connection", length, maxFrame),
                    true));
            return;
        }
        if (in.readableBytes() < LENGTH_BYTES + length) {
            return;
        }
        in.skipBytes(LENGTH_BYTES);
        out.add(in.readRetainedSlice((int) length));
    }
}

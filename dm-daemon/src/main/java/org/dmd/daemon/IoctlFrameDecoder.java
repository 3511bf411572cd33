package org.dmd.daemon;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;

/**
 * Cuts a binary connection's byte stream into {@link IoctlFrame}s: the magic {@code DMIO}, a
 * little-endian u32 command, a little-endian u32 length N, then N bytes. A length over the frame
 * limit, or a frame that does not start with the magic, cannot be skipped safely: it yields one
 * refusal (EMSGSIZE, EINVAL) that closes the connection, and the rest of the stream is discarded
 * unread. A frame cut short by the peer's close is never decoded.
 *
 * <p>Per connection; confined to its event loop.
 */
final class IoctlFrameDecoder extends ByteToMessageDecoder {

    /** "DMIO" read as a little-endian u32. */
    static final int MAGIC = 0x4F49_4D44;
    static final int HEADER_BYTES = 12;

    private final int maxFrame;
    /** Set once the stream could not be resynchronised: the rest is garbage. */
    private boolean discarding;

    IoctlFrameDecoder(int maxFrame) {
        this.maxFrame = maxFrame;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (discarding) {
            in.skipBytes(in.readableBytes());
            return;
        }
        if (in.readableBytes() < HEADER_BYTES) {
            return;
        }
        int start = in.readerIndex();
        if (in.getIntLE(start) != MAGIC) {
            out.add(discard(in, new DmException(Errno.EINVAL, "a binary frame must start with DMIO, not 0x%08x; "
                    + "closing the connection", in.getInt(start))));
            return;
        }
        long length = in.getUnsignedIntLE(start + 8);
        if (length > maxFrame) {
            out.add(discard(in, new DmException(Errno.EMSGSIZE, "a frame of %d bytes exceeds the limit of %d bytes "
                    + "(dmd --max-frame); closing the connection", length, maxFrame)));
            return;
        }
        if (in.readableBytes() < HEADER_BYTES + length) {
            return;
        }
        int command = in.getIntLE(start + 4);
        in.skipBytes(HEADER_BYTES);
        byte[] payload = new byte[(int) length];
        in.readBytes(payload);
        out.add(new IoctlFrame(command, payload));
    }

    private Inbound.Refused discard(ByteBuf in, DmException error) {
        discarding = true;
        in.skipBytes(in.readableBytes());
        return new Inbound.Refused(null, error, true);
    }
}

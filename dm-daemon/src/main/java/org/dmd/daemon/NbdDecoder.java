package org.dmd.daemon;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * Frames an NBD client's bytes (the NBD project's {@code doc/proto.md}): the client flags, then
 * options ({@code IHAVEOPT}, option, length, data), then, once the session has entered the
 * transmission phase, requests (magic, flags, type, cookie, offset, length, and a write's payload).
 *
 * <p>After each option the decoder pauses: the client may not send another option before the
 * final reply to this one, and what follows depends on that reply (more options, or requests
 * after a successful GO). {@link NbdSession} resumes it with {@link #expectOptions} or
 * {@link #expectRequests}. A client that sends more than an option's worth while paused breaks
 * that rule and is disconnected, so a paused connection holds at most {@value #PAUSED_LIMIT} bytes.
 *
 * <p>Nothing is allocated from a length the client chose before the length is checked: an option
 * longer than {@link NbdProtocol#MAX_OPTION} is reported as {@link Oversized} without reading its
 * data; a write payload longer than {@link NbdProtocol#MAX_PAYLOAD} is discarded as it arrives.
 * A write's payload is a retained slice of the pooled buffer the bytes arrived in (no copy).
 *
 * <p>Per connection; confined to its event loop.
 */
final class NbdDecoder extends ByteToMessageDecoder {

    /** The bytes a paused connection may hold: a whole further option, which proto.md forbids already. */
    static final int PAUSED_LIMIT = 16 + NbdProtocol.MAX_OPTION;

    /** What the client sent: its flags word. */
    record ClientFlags(int flags) {
    }

    /** An option and its data (a retained buffer the receiver releases). */
    record Option(int option, ByteBuf data) {
    }

    /** An option whose length is beyond {@link NbdProtocol#MAX_OPTION}; its data is not read. */
    record Oversized(int option, long length) {
    }

    /**
     * A transmission request. {@code length} is unsigned (0 .. 2^32-1); {@code payload} is a write's
     * data (retained, released by the receiver), or null: for other commands, and for a write whose
     * payload was too long to hold and was discarded.
     */
    record Request(int flags, int type, long cookie, long offset, long length, ByteBuf payload) {
    }

    /** A breach of the protocol that ends the connection (bad magic, bytes sent out of turn). */
    record Violation(String what) {
    }

    private enum State { CLIENT_FLAGS, OPTION, PAUSED, REQUEST, PAYLOAD, DISCARD, BROKEN }

    private State state = State.CLIENT_FLAGS;
    /** The header of the request whose payload is awaited (PAYLOAD, DISCARD). */
    private int flags;
    private long cookie;
    private long offset;
    private long length;
    /** Payload bytes still to discard (DISCARD). */
    private long discard;

    /** The session has answered an option and more options may follow. */
    void expectOptions() {
        resume(State.OPTION);
    }

    /** The session has entered the transmission phase. */
    void expectRequests() {
        resume(State.REQUEST);
    }

    /** True when the decoder holds part of a request: a header or a payload not yet complete. */
    boolean midRequest() {
        return state == State.PAYLOAD || state == State.DISCARD
                || (state == State.REQUEST && internalBuffer().isReadable());
    }

    private void resume(State next) {
        if (state != State.PAUSED) {
            throw new IllegalStateException("the decoder is not paused but " + state);
        }
        state = next;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        switch (state) {
            case CLIENT_FLAGS -> {
                if (in.readableBytes() >= 4) {
                    state = State.PAUSED;
                    out.add(new ClientFlags(in.readInt()));
                }
            }
            case OPTION -> decodeOption(in, out);
            case PAUSED -> {
                if (in.readableBytes() > PAUSED_LIMIT) {
                    broken(in, out, "the client sent " + in.readableBytes() + " bytes before the reply to its option");
                }
            }
            case REQUEST -> decodeRequest(in, out);
            case PAYLOAD -> {
                if (in.readableBytes() >= length) {
                    state = State.REQUEST;
                    out.add(new Request(flags, NbdProtocol.NBD_CMD_WRITE, cookie, offset, length,
                            in.readRetainedSlice((int) length)));
                }
            }
            case DISCARD -> {
                int n = (int) Math.min(discard, in.readableBytes());
                in.skipBytes(n);
                discard -= n;
                if (discard == 0) {
                    state = State.REQUEST;
                }
            }
            case BROKEN -> in.skipBytes(in.readableBytes());
        }
    }

    private void decodeOption(ByteBuf in, List<Object> out) {
        if (in.readableBytes() < 16) {
            return;
        }
        int start = in.readerIndex();
        long magic = in.getLong(start);
        if (magic != NbdProtocol.IHAVEOPT) {
            broken(in, out, String.format("bad option magic 0x%016x (IHAVEOPT is 0x%016x)", magic, NbdProtocol.IHAVEOPT));
            return;
        }
        int option = in.getInt(start + 8);
        long optionLength = in.getUnsignedInt(start + 12);
        if (optionLength > NbdProtocol.MAX_OPTION) {
            in.skipBytes(16);
            state = State.BROKEN;
            out.add(new Oversized(option, optionLength));
            return;
        }
        if (in.readableBytes() < 16 + optionLength) {
            return;
        }
        in.skipBytes(16);
        state = State.PAUSED;
        out.add(new Option(option, in.readRetainedSlice((int) optionLength)));
    }

    private void decodeRequest(ByteBuf in, List<Object> out) {
        if (in.readableBytes() < NbdProtocol.REQUEST_HEADER_BYTES) {
            return;
        }
        int magic = in.readInt();
        if (magic != NbdProtocol.NBD_REQUEST_MAGIC) {
            broken(in, out, String.format("bad request magic 0x%08x (NBD_REQUEST_MAGIC is 0x%08x)", magic,
                    NbdProtocol.NBD_REQUEST_MAGIC));
            return;
        }
        int requestFlags = in.readUnsignedShort();
        int type = in.readUnsignedShort();
        long requestCookie = in.readLong();
        long requestOffset = in.readLong();
        long requestLength = in.readUnsignedInt();
        if (type != NbdProtocol.NBD_CMD_WRITE) {
            out.add(new Request(requestFlags, type, requestCookie, requestOffset, requestLength, null));
            if (type == NbdProtocol.NBD_CMD_DISC) {
                state = State.BROKEN; // proto.md: nothing may follow NBD_CMD_DISC
            }
            return;
        }
        if (requestLength > NbdProtocol.MAX_PAYLOAD) {
            discard = requestLength;
            state = State.DISCARD;
            out.add(new Request(requestFlags, type, requestCookie, requestOffset, requestLength, null));
            return;
        }
        if (requestLength == 0) {
            out.add(new Request(requestFlags, type, requestCookie, requestOffset, 0, Unpooled.EMPTY_BUFFER));
            return;
        }
        flags = requestFlags;
        cookie = requestCookie;
        offset = requestOffset;
        length = requestLength;
        state = State.PAYLOAD;
    }

    private void broken(ByteBuf in, List<Object> out, String what) {
        in.skipBytes(in.readableBytes());
        state = State.BROKEN;
        out.add(new Violation(what));
    }
}

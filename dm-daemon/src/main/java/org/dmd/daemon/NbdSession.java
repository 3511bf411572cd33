package org.dmd.daemon;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.dmd.core.io.DeviceIo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One NBD connection (the NBD project's {@code doc/proto.md}): the fixed newstyle handshake, option
 * haggling, and the transmission phase in front of one open of one device.
 *
 * <p>Handshake: the server's greeting goes out when the connection opens; the client's flags
 * (FIXED_NEWSTYLE, NO_ZEROES and nothing else) follow. Options EXPORT_NAME, ABORT, LIST, INFO,
 * GO and STRUCTURED_REPLY are understood; every other option gets NBD_REP_ERR_UNSUP. A peer the
 * access policy refuses gets NBD_REP_ERR_POLICY for every option but ABORT. GO, INFO and
 * EXPORT_NAME open the device named by the export name ({@code dm_blk_open}): the device's open
 * count rises, and {@code remove} gives EBUSY while the connection lasts. INFO closes its open
 * again at once; GO and EXPORT_NAME keep it until the connection ends and every request it sent
 * has completed. A device that is unknown, being removed or without a live table is
 * NBD_REP_ERR_UNKNOWN (EXPORT_NAME, which cannot carry an error, disconnects).
 *
 * <p>Transmission: every request is checked (command, flags, alignment to 512 bytes, the device's
 * size, the read-only flag) before it reaches {@link DeviceIo}; a request that fails a check is
 * answered at once and changes nothing. Requests run concurrently and are answered as they
 * complete, so replies may be out of order (each carries its cookie). A READ is read straight
 * into its reply buffer (a pooled direct buffer with room for the reply header in front); a
 * WRITE is written from the buffer its payload arrived in. With structured replies a READ is
 * answered with one NBD_REPLY_TYPE_OFFSET_DATA chunk (flagged DONE) or one NBD_REPLY_TYPE_ERROR
 * chunk, other commands with a simple reply on success and an error chunk (with a message) on
 * failure. NBD_CMD_DISC: the requests in flight complete and are answered, then the connection closes.
 *
 * <p>Back-pressure: the bytes of requests in flight (payloads and reply buffers, plus
 * {@value #REQUEST_CHARGE} bytes per request) are counted; above the limit, or while the
 * channel's outbound buffer is above its high-water mark (a client that sends and does not read),
 * the connection stops reading, and reads again once the requests in flight are down to half the
 * limit and the outbound buffer has drained.
 *
 * <p>When the device is removed ({@link NbdExports.Export#gone()}), the requests waiting on it have
 * failed and been answered; then the connection closes.
 *
 * <p>Thread-safety: everything but {@link #completions}, {@link #drainScheduled},
 * {@link #submissions} and {@link #submitScheduled} is confined to the connection's event loop.
 * Checked requests are queued on {@link #submissions} and one submit task at a time
 * ({@link #submitScheduled}) hands them to the device on the I/O executor. Requests complete on any thread: a completion is queued on
 * {@link #completions} and one drain task at a time ({@link #drainScheduled}) answers the queued
 * completions on the event loop, with one flush for all of them.
 */
final class NbdSession extends ChannelInboundHandlerAdapter implements IdleAware {

    private static final Logger LOG = LoggerFactory.getLogger(NbdSession.class);
    /** What a request costs in flight besides its payload: the bookkeeping, so that empty requests are bounded too. */
    static final int REQUEST_CHARGE = 4096;
    private static final int CLIENT_FLAGS = NbdProtocol.NBD_FLAG_C_FIXED_NEWSTYLE | NbdProtocol.NBD_FLAG_C_NO_ZEROES;
    /** Room for a reply header in front of the data read: a simple reply, or a chunk header and its offset. */
    private static final int SIMPLE_HEADER = NbdProtocol.SIMPLE_REPLY_BYTES;
    private static final int STRUCTURED_HEADER = NbdProtocol.CHUNK_HEADER_BYTES + 8;

    /** What every NBD connection shares. */
    record Shared(NbdExports exports, Executor io, Executor opens, long inflightLimit, AccessPolicy policy) {
    }

    private enum Phase { HANDSHAKE, OPTIONS, OPENING, TRANSMISSION, CLOSED }

    private final Shared shared;
    private final NbdDecoder decoder;
    private final Runnable released;
    private final Queue<Pending> completions = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    private final Runnable drainTask = this::drain;
    /** Requests read and checked, waiting for the I/O executor; one submit task at a time takes them all. */
    private final Queue<Pending> submissions = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean submitScheduled = new AtomicBoolean();
    private final Runnable submitTask = this::submitQueued;

    private ChannelHandlerContext ctx;
    private Phase phase = Phase.HANDSHAKE;
    private boolean noZeroes;
    private boolean structured;
    /** Why this peer may not use dmd, or null if it may. */
    private final String refusal;
    /** The device of the transmission phase; null before GO and once released. */
    private NbdExports.Export export;
    private DeviceIo io;
    private int transmissionFlags;
    private long inflightBytes;
    private int inflightCount;
    /** NBD_CMD_DISC received, or the device gone: answer what is in flight, then close. */
    private boolean ending;
    private boolean readingPaused;
    /** An open, close or listing runs on the open executor for this connection. */
    private boolean opening;
    private boolean releasedOnce;

    /**
     * @param refusal  why the peer may not use dmd, or null
     * @param released called once, on any thread, when the connection has closed and let go of its device
     */
    NbdSession(Shared shared, NbdDecoder decoder, String refusal, Runnable released) {
        this.shared = shared;
        this.decoder = decoder;
        this.refusal = refusal;
        this.released = released;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.writeAndFlush(NbdReplies.greeting(ctx.alloc()));
        ctx.fireChannelActive();
    }

    @Override
    public boolean isIdle() {
        return switch (phase) {
            case HANDSHAKE, OPTIONS, CLOSED -> true;
            case OPENING -> false;
            // An exported device is held open like /dev/dm-N by a process: quiet is not idle, unless
            // the client stopped halfway through a request or stopped reading its replies.
            case TRANSMISSION -> inflightCount == 0 && (decoder.midRequest() || !ctx.channel().isWritable());
        };
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof NbdDecoder.Request request) {
            request(request);
        } else if (msg instanceof NbdDecoder.Option option) {
            try {
                option(option.option(), option.data());
            } finally {
                option.data().release();
            }
        } else if (msg instanceof NbdDecoder.ClientFlags flags) {
            clientFlags(flags.flags());
        } else if (msg instanceof NbdDecoder.Oversized oversized) {
            ctx.writeAndFlush(NbdReplies.optionError(ctx.alloc(), oversized.option(), NbdProtocol.NBD_REP_ERR_TOO_BIG,
                    "option " + oversized.option() + " of " + oversized.length() + " bytes: dmd reads options of at most "
                            + NbdProtocol.MAX_OPTION + " bytes")).addListener(ChannelFutureListener.CLOSE);
        } else if (msg instanceof NbdDecoder.Violation violation) {
            LOG.debug("closing NBD connection {}: {}", ctx.channel(), violation.what());
            ctx.close();
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        ctx.flush();
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        updateReading();
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        phase = Phase.CLOSED;
        drain();
        releaseIfDone();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("closing NBD connection {}: {}", ctx.channel(), cause.toString());
        ctx.close();
    }

    // ------------------------------------------------------------------ handshake and options

    private void clientFlags(int flags) {
        if ((flags & ~CLIENT_FLAGS) != 0) {
            LOG.debug("closing NBD connection {}: unknown client flags 0x{}", ctx.channel(), Integer.toHexString(flags));
            ctx.close();
            return;
        }
        noZeroes = (flags & NbdProtocol.NBD_FLAG_C_NO_ZEROES) != 0;
        phase = Phase.OPTIONS;
        decoder.expectOptions();
    }

    private void option(int option, ByteBuf data) {
        ByteBufAllocator alloc = ctx.alloc();
        if (refusal != null && option != NbdProtocol.NBD_OPT_ABORT) {
            if (option == NbdProtocol.NBD_OPT_EXPORT_NAME) {
                ctx.close();
            } else {
                replyAndContinue(NbdReplies.optionError(alloc, option, NbdProtocol.NBD_REP_ERR_POLICY, refusal));
            }
            return;
        }
        switch (option) {
            case NbdProtocol.NBD_OPT_ABORT ->
                    ctx.writeAndFlush(NbdReplies.ack(alloc, option)).addListener(ChannelFutureListener.CLOSE);
            case NbdProtocol.NBD_OPT_STRUCTURED_REPLY -> {
                if (data.isReadable()) {
                    replyAndContinue(invalid(option, "NBD_OPT_STRUCTURED_REPLY carries no data"));
                } else {
                    structured = true;
                    replyAndContinue(NbdReplies.ack(alloc, option));
                }
            }
            case NbdProtocol.NBD_OPT_LIST -> {
                if (data.isReadable()) {
                    replyAndContinue(invalid(option, "NBD_OPT_LIST carries no data"));
                } else {
                    offLoop(shared.exports()::list, this::listed);
                }
            }
            case NbdProtocol.NBD_OPT_INFO, NbdProtocol.NBD_OPT_GO -> infoOrGo(option, data);
            case NbdProtocol.NBD_OPT_EXPORT_NAME -> {
                String name = exportName(data, data.readableBytes());
                if (name == null) {
                    ctx.close();
                } else {
                    open(option, name, List.of());
                }
            }
            default -> replyAndContinue(NbdReplies.optionError(alloc, option, NbdProtocol.NBD_REP_ERR_UNSUP,
                    "dmd does not support option " + option));
        }
    }

    /** GO and INFO data: name length, name, number of information requests, the requests (16 bits each). */
    private void infoOrGo(int option, ByteBuf data) {
        int length = data.readableBytes();
        long nameLength = length >= 4 ? data.readUnsignedInt() : -1;
        if (nameLength < 0 || nameLength > length - 6) {
            replyAndContinue(invalid(option, "the export name's length does not fit the option's " + length + " bytes"));
            return;
        }
        String name = exportName(data, (int) nameLength);
        int count = data.readUnsignedShort();
        if (name == null || data.readableBytes() != 2 * count) {
            replyAndContinue(invalid(option, name == null ? "the export name is not a valid string"
                    : count + " information requests do not fit the option's " + length + " bytes"));
            return;
        }
        Integer[] requested = new Integer[count];
        for (int i = 0; i < count; i++) {
            requested[i] = data.readUnsignedShort();
        }
        open(option, name, List.of(requested));
    }

    /** A string of proto.md: UTF-8 without NUL, at most 4096 bytes; null if it is not one. */
    private static String exportName(ByteBuf data, int length) {
        if (length > NbdProtocol.MAX_STRING || data.indexOf(data.readerIndex(), data.readerIndex() + length, (byte) 0) >= 0) {
            data.skipBytes(length);
            return null;
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(data.readSlice(length).nioBuffer()).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    private ByteBuf invalid(int option, String message) {
        return NbdReplies.optionError(ctx.alloc(), option, NbdProtocol.NBD_REP_ERR_INVALID, message);
    }

    private void replyAndContinue(ByteBuf reply) {
        ctx.writeAndFlush(reply);
        decoder.expectOptions();
    }

    private void listed(List<String> names, Throwable failure) {
        if (failure != null) {
            replyAndContinue(NbdReplies.optionError(ctx.alloc(), NbdProtocol.NBD_OPT_LIST, NbdProtocol.NBD_REP_ERR_SHUTDOWN,
                    "cannot list the devices: " + failure));
            return;
        }
        for (String name : names) {
            ctx.write(NbdReplies.server(ctx.alloc(), name));
        }
        replyAndContinue(NbdReplies.ack(ctx.alloc(), NbdProtocol.NBD_OPT_LIST));
    }

    private void open(int option, String name, List<Integer> requested) {
        offLoop(() -> shared.exports().open(name), (opened, failure) -> opened(option, name, requested, opened, failure));
    }

    private void opened(int option, String name, List<Integer> requested, NbdExports.Export opened, Throwable failure) {
        ByteBufAllocator alloc = ctx.alloc();
        if (failure != null) {
            if (option == NbdProtocol.NBD_OPT_EXPORT_NAME) {
                LOG.debug("closing NBD connection {}: no export '{}': {}", ctx.channel(), name, failure.getMessage());
                ctx.close();
            } else {
                replyAndContinue(NbdReplies.optionError(alloc, option, NbdProtocol.NBD_REP_ERR_UNKNOWN,
                        "no export '" + name + "': " + failure.getMessage()));
            }
            return;
        }
        if (phase == Phase.CLOSED) {
            export = opened;
            releaseIfDone();
            return;
        }
        DeviceIo deviceIo = opened.io();
        long size = deviceIo.size();
        int flags = NbdProtocol.NBD_FLAG_HAS_FLAGS | NbdProtocol.NBD_FLAG_SEND_FLUSH | NbdProtocol.NBD_FLAG_SEND_FUA
                | NbdProtocol.NBD_FLAG_SEND_TRIM | NbdProtocol.NBD_FLAG_SEND_WRITE_ZEROES
                // Every connection reaches the same files through the same bio path, with no cache of its own.
                | NbdProtocol.NBD_FLAG_CAN_MULTI_CONN
                | (structured ? NbdProtocol.NBD_FLAG_SEND_DF : 0)
                | (deviceIo.readOnly() ? NbdProtocol.NBD_FLAG_READ_ONLY : 0);
        if (option == NbdProtocol.NBD_OPT_EXPORT_NAME) {
            ctx.writeAndFlush(NbdReplies.exportName(alloc, size, flags, noZeroes));
        } else {
            ctx.write(NbdReplies.infoExport(alloc, option, size, flags));
            if (requested.contains(NbdProtocol.NBD_INFO_NAME)) {
                ctx.write(NbdReplies.infoText(alloc, option, NbdProtocol.NBD_INFO_NAME, name));
            }
            if (requested.contains(NbdProtocol.NBD_INFO_DESCRIPTION)) {
                ctx.write(NbdReplies.infoText(alloc, option, NbdProtocol.NBD_INFO_DESCRIPTION, opened.description()));
            }
            ctx.write(NbdReplies.infoBlockSize(alloc, option));
            ctx.writeAndFlush(NbdReplies.ack(alloc, option));
        }
        if (option == NbdProtocol.NBD_OPT_INFO) {
            closeLater(opened);
            phase = Phase.OPTIONS;
            decoder.expectOptions();
            return;
        }
        export = opened;
        io = deviceIo;
        transmissionFlags = flags;
        phase = Phase.TRANSMISSION;
        decoder.expectRequests();
        opened.gone().whenComplete((ignored, cause) -> ctx.executor().execute(this::deviceGone));
        // Bytes that arrived while the open was made have waited in the decoder.
        ctx.pipeline().fireChannelRead(Unpooled.EMPTY_BUFFER);
    }

    /** Runs {@code call} on the open executor and hands its outcome to {@code then} on the event loop. */
    private <T> void offLoop(DmCall<T> call, BiConsumer<T, Throwable> then) {
        Phase before = phase;
        phase = Phase.OPENING;
        opening = true;
        try {
            shared.opens().execute(() -> {
                T value = null;
                Throwable failure = null;
                try {
                    value = call.call();
                } catch (DmException | RuntimeException e) {
                    failure = e;
                }
                T result = value;
                Throwable cause = failure;
                ctx.executor().execute(() -> {
                    opening = false;
                    if (phase == Phase.OPENING) {
                        phase = before;
                    }
                    then.accept(result, cause);
                    releaseIfDone();
                });
            });
        } catch (RejectedExecutionException e) {
            opening = false;
            phase = before;
            then.accept(null, new DmException(Errno.EAGAIN, "dmd is stopping"));
        }
    }

    @FunctionalInterface
    private interface DmCall<T> {
        T call() throws DmException;
    }

    // ------------------------------------------------------------------ transmission

    /** One request in flight. Written by the submitting thread before submission and by the completing thread before queueing. */
    private static final class Pending {
        final int type;
        final int flags;
        final long cookie;
        final long offset;
        final long length;
        final long charge;
        /** A READ's reply buffer, or a WRITE's payload. */
        final ByteBuf buffer;
        Throwable failure;

        Pending(NbdDecoder.Request request, long charge, ByteBuf buffer) {
            this.type = request.type();
            this.flags = request.flags();
            this.cookie = request.cookie();
            this.offset = request.offset();
            this.length = request.length();
            this.charge = charge;
            this.buffer = buffer;
        }
    }

    private void request(NbdDecoder.Request request) {
        if (phase != Phase.TRANSMISSION || ending) {
            ReferenceCountUtil.release(request.payload());
            return;
        }
        if (request.type() == NbdProtocol.NBD_CMD_DISC) {
            ending = true;
            updateReading();
            closeIfDone();
            return;
        }
        Refusal refused = check(request);
        if (refused != null) {
            ReferenceCountUtil.release(request.payload());
            reply(ctx.alloc().buffer(replyBytes(refused.message())), request.cookie(), refused.error(), refused.message());
            return;
        }
        ByteBuf buffer = request.payload();
        long payload = 0;
        if (request.type() == NbdProtocol.NBD_CMD_READ) {
            int header = structured ? STRUCTURED_HEADER : SIMPLE_HEADER;
            buffer = ctx.alloc().directBuffer(header + (int) request.length());
            buffer.writerIndex(header);
            payload = request.length();
        } else if (request.type() == NbdProtocol.NBD_CMD_WRITE) {
            payload = request.length();
        }
        Pending pending = new Pending(request, payload + REQUEST_CHARGE, buffer);
        inflightBytes += pending.charge;
        inflightCount++;
        updateReading();
        Executor executor = shared.io();
        if (executor == null) {
            submit(pending);
            return;
        }
        submissions.add(pending);
        if (submitScheduled.compareAndSet(false, true)) {
            try {
                executor.execute(submitTask);
            } catch (RejectedExecutionException e) {
                for (Pending p; (p = submissions.poll()) != null; ) {
                    complete(p, new DmException(Errno.EIO, "dmd is stopping"));
                }
            }
        }
    }

    /**
     * On the I/O executor: submits every request queued, in order. One task per connection at a
     * time, so that a burst of requests (a client at queue depth 32) costs one hand-off, not one each.
     */
    private void submitQueued() {
        submitScheduled.set(false);
        for (Pending p; (p = submissions.poll()) != null; ) {
            submit(p);
        }
    }

    /** A request refused before it reaches the device: the NBD error and a message for a human. */
    private record Refusal(int error, String message) {
    }

    /**
     * Why the request is refused before it reaches the device, or null. proto.md: EINVAL for an
     * unknown command or flag, an unaligned request, a read or trim beyond the end; ENOSPC for a
     * write or write-zeroes beyond the end; EPERM for a write of any kind to a read-only export.
     */
    private Refusal check(NbdDecoder.Request r) {
        int allowed = switch (r.type()) {
            case NbdProtocol.NBD_CMD_READ -> NbdProtocol.NBD_CMD_FLAG_FUA | (structured ? NbdProtocol.NBD_CMD_FLAG_DF : 0);
            case NbdProtocol.NBD_CMD_WRITE, NbdProtocol.NBD_CMD_FLUSH, NbdProtocol.NBD_CMD_TRIM -> NbdProtocol.NBD_CMD_FLAG_FUA;
            case NbdProtocol.NBD_CMD_WRITE_ZEROES -> NbdProtocol.NBD_CMD_FLAG_FUA | NbdProtocol.NBD_CMD_FLAG_NO_HOLE;
            default -> -1;
        };
        if (allowed < 0) {
            return new Refusal(NbdProtocol.NBD_EINVAL, "dmd does not support command " + r.type());
        }
        if ((r.flags() & ~allowed) != 0) {
            return new Refusal(NbdProtocol.NBD_EINVAL, String.format("flags 0x%x are not valid for command %d",
                    r.flags() & ~allowed, r.type()));
        }
        if (r.type() == NbdProtocol.NBD_CMD_FLUSH) {
            return r.offset() != 0 || r.length() != 0
                    ? new Refusal(NbdProtocol.NBD_EINVAL, "NBD_CMD_FLUSH has offset and length 0") : null;
        }
        if (r.type() == NbdProtocol.NBD_CMD_WRITE && r.payload() == null) {
            return new Refusal(NbdProtocol.NBD_EINVAL, "a write of " + r.length()
                    + " bytes is beyond the maximum payload of " + NbdProtocol.MAX_PAYLOAD);
        }
        if (r.type() == NbdProtocol.NBD_CMD_READ && r.length() > NbdProtocol.MAX_PAYLOAD) {
            return new Refusal(structured ? NbdProtocol.NBD_EOVERFLOW : NbdProtocol.NBD_EINVAL, "a read of "
                    + r.length() + " bytes is beyond the maximum payload of " + NbdProtocol.MAX_PAYLOAD);
        }
        if (r.offset() % NbdProtocol.MIN_BLOCK != 0 || r.length() % NbdProtocol.MIN_BLOCK != 0) {
            return new Refusal(NbdProtocol.NBD_EINVAL, "offset " + Long.toUnsignedString(r.offset()) + " and length "
                    + r.length() + " must be multiples of the block size " + NbdProtocol.MIN_BLOCK);
        }
        boolean writes = r.type() != NbdProtocol.NBD_CMD_READ;
        long size = io.size();
        if (r.offset() < 0 || r.offset() > size || r.length() > size - r.offset()) {
            boolean data = r.type() == NbdProtocol.NBD_CMD_WRITE || r.type() == NbdProtocol.NBD_CMD_WRITE_ZEROES;
            return new Refusal(data ? NbdProtocol.NBD_ENOSPC : NbdProtocol.NBD_EINVAL, Long.toUnsignedString(r.offset())
                    + " + " + r.length() + " is beyond the end of the device (" + size + " bytes)");
        }
        if (writes && (transmissionFlags & NbdProtocol.NBD_FLAG_READ_ONLY) != 0) {
            return new Refusal(NbdProtocol.NBD_EPERM, "the device's table is read-only");
        }
        return null;
    }

    private int replyBytes(String message) {
        return structured ? NbdReplies.errorBytes(message) : NbdProtocol.SIMPLE_REPLY_BYTES;
    }

    /** On the submitting thread: hands the request to the device. */
    private void submit(Pending p) {
        CompletableFuture<Void> done;
        try {
            done = switch (p.type) {
                case NbdProtocol.NBD_CMD_READ -> p.length == 0 ? CompletableFuture.completedFuture(null)
                        : io.read(p.offset, p.buffer.nioBuffer(p.buffer.writerIndex(), (int) p.length));
                case NbdProtocol.NBD_CMD_WRITE -> p.length == 0 ? CompletableFuture.completedFuture(null)
                        : io.write(p.offset, p.buffer.nioBuffer(), fua(p));
                case NbdProtocol.NBD_CMD_FLUSH -> io.flush();
                case NbdProtocol.NBD_CMD_TRIM -> thenFua(p, p.length == 0 ? null : io.discard(p.offset, p.length));
                case NbdProtocol.NBD_CMD_WRITE_ZEROES -> thenFua(p, p.length == 0 ? null : io.writeZeroes(p.offset, p.length));
                default -> throw new IllegalStateException("unchecked command " + p.type);
            };
        } catch (RuntimeException e) {
            complete(p, e);
            return;
        }
        done.whenComplete((ignored, failure) -> complete(p, failure));
    }

    private static boolean fua(Pending p) {
        return (p.flags & NbdProtocol.NBD_CMD_FLAG_FUA) != 0;
    }

    /** TRIM and WRITE_ZEROES with FUA: the bio's REQ_FUA is a flush once it has completed. */
    private CompletableFuture<Void> thenFua(Pending p, CompletableFuture<Void> done) {
        CompletableFuture<Void> first = done == null ? CompletableFuture.completedFuture(null) : done;
        return fua(p) && done != null ? first.thenCompose(ignored -> io.flush()) : first;
    }

    /** On any thread: the request completed; it is answered on the event loop. */
    private void complete(Pending p, Throwable failure) {
        p.failure = failure;
        completions.add(p);
        if (drainScheduled.compareAndSet(false, true)) {
            try {
                ctx.executor().execute(drainTask);
            } catch (RejectedExecutionException e) {
                // The event loop has stopped: the connection is gone, and its buffers with the pool.
            }
        }
    }

    /** On the event loop: answers every completion queued, with one flush. */
    private void drain() {
        drainScheduled.set(false);
        boolean wrote = false;
        for (Pending p; (p = completions.poll()) != null; ) {
            inflightBytes -= p.charge;
            inflightCount--;
            wrote |= answer(p);
        }
        if (wrote) {
            ctx.flush();
        }
        updateReading();
        closeIfDone();
        releaseIfDone();
    }

    /** Writes the reply to a completed request (unless the connection is gone); true if one was written. */
    private boolean answer(Pending p) {
        boolean read = p.type == NbdProtocol.NBD_CMD_READ;
        if (!ctx.channel().isActive()) {
            ReferenceCountUtil.release(p.buffer);
            return false;
        }
        if (p.failure == null) {
            if (read && structured && p.length == 0) {
                ByteBuf out = p.buffer.clear();
                NbdReplies.none(out, p.cookie); // an OFFSET_DATA chunk carries at least one byte
                ctx.write(out, ctx.voidPromise());
            } else if (read) {
                ByteBuf out = p.buffer;
                int end = out.writerIndex() + (int) p.length;
                out.writerIndex(0);
                if (structured) {
                    NbdReplies.offsetData(out, p.cookie, p.offset, (int) p.length);
                } else {
                    NbdReplies.simple(out, 0, p.cookie);
                }
                out.writerIndex(end);
                ctx.write(out, ctx.voidPromise());
            } else {
                ReferenceCountUtil.release(p.buffer);
                ByteBuf out = ctx.alloc().buffer(NbdProtocol.SIMPLE_REPLY_BYTES);
                NbdReplies.simple(out, 0, p.cookie);
                ctx.write(out, ctx.voidPromise());
            }
            return true;
        }
        ReferenceCountUtil.release(p.buffer);
        Throwable cause = p.failure instanceof CompletionException && p.failure.getCause() != null
                ? p.failure.getCause() : p.failure;
        int error;
        String message;
        if (cause instanceof DmException e) {
            error = NbdProtocol.error(e.errno());
            message = e.getMessage();
        } else {
            error = NbdProtocol.NBD_EIO;
            message = "I/O failed: " + cause;
            LOG.warn("NBD request on {} failed unexpectedly", export == null ? "a closed export" : export.name(), cause);
        }
        reply(ctx.alloc().buffer(replyBytes(message)), p.cookie, error, message);
        return true;
    }

    /** An error reply: a chunk with the message when structured replies are on, else a simple reply. */
    private void reply(ByteBuf out, long cookie, int error, String message) {
        if (structured) {
            NbdReplies.error(out, cookie, error, message);
        } else {
            NbdReplies.simple(out, error, cookie);
        }
        ctx.write(out, ctx.voidPromise());
    }

    /** Reads while the requests in flight and the replies not yet sent are within bounds. */
    private void updateReading() {
        if (phase != Phase.TRANSMISSION) {
            return;
        }
        boolean pause = ending || inflightBytes > shared.inflightLimit() || !ctx.channel().isWritable();
        boolean resume = !ending && inflightBytes <= shared.inflightLimit() / 2 && ctx.channel().isWritable();
        if (pause && !readingPaused) {
            readingPaused = true;
            ctx.channel().config().setAutoRead(false);
        } else if (resume && readingPaused) {
            readingPaused = false;
            ctx.channel().config().setAutoRead(true);
        }
    }

    private void deviceGone() {
        if (phase == Phase.TRANSMISSION && !ending) {
            LOG.debug("closing NBD connection {}: device {} was removed", ctx.channel(), export.name());
            ending = true;
            updateReading();
        }
        drain();
    }

    /** After DISC or removal: closes once every request in flight is answered. */
    private void closeIfDone() {
        if (ending && inflightCount == 0 && ctx.channel().isActive()) {
            ctx.flush();
            ctx.close();
        }
    }

    /** Once the connection is closed and nothing is in flight, lets go of the device. */
    private void releaseIfDone() {
        if (phase == Phase.CLOSED && inflightCount == 0 && !opening && !releasedOnce) {
            release();
        }
    }

    /** Closes the device off the event loop, then reports the connection released. */
    private void release() {
        releasedOnce = true;
        NbdExports.Export last = export;
        export = null;
        if (last == null) {
            released.run();
            return;
        }
        Runnable close = () -> {
            try {
                last.close();
            } finally {
                released.run();
            }
        };
        try {
            shared.opens().execute(close);
        } catch (RejectedExecutionException e) {
            close.run();
        }
    }

    /**
     * At a stop, for a closed connection still waiting for requests (on a suspended device, say):
     * lets go of the device now, in the event loop, and completes once it has; the requests'
     * buffers go back to the pool as they complete.
     */
    CompletableFuture<Void> releaseNowLater() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        try {
            ctx.executor().execute(() -> {
                if (phase == Phase.CLOSED && !releasedOnce) {
                    releasedOnce = true;
                    NbdExports.Export last = export;
                    export = null;
                    if (last != null) {
                        last.close();
                    }
                    released.run();
                }
                done.complete(null);
            });
        } catch (RejectedExecutionException e) {
            done.complete(null);
        }
        return done;
    }

    /** Closes an open off the event loop: the last close of a device marked for deferred removal removes it. */
    private void closeLater(NbdExports.Export opened) {
        try {
            shared.opens().execute(opened::close);
        } catch (RejectedExecutionException e) {
            opened.close();
        }
    }
}

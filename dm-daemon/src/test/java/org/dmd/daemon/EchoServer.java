package org.dmd.daemon;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.handler.codec.LengthFieldPrepender;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.dmd.core.control.DeviceMapper;
import org.dmd.core.control.Replies;
import org.dmd.core.control.Requests;
import org.dmd.core.errno.DmException;

/**
 * The baseline of the info round-trip benchmark (scripts/bench, figure 5): a server on a Unix
 * domain socket with dmd's transport — Netty's epoll, the same number of event loops, dmd's
 * {@link FrameDecoder} and length prepender — that answers every request at once, on the event
 * loop, with the DEV_STATUS reply dmd would send for {@code DEVICE} (rendered once, at start,
 * by dmd's own {@link WireFormat}), carrying the request's id. No JSON is parsed and no command
 * runs: what is left is the transport and the framing.
 *
 * <p>{@code java -cp ... org.dmd.daemon.EchoServer SOCKET DEVICE}; runs until killed. Benchmark
 * code, never part of the daemon.
 */
public final class EchoServer {

    private static final byte[] ID_KEY = "\"id\":".getBytes(StandardCharsets.US_ASCII);

    private EchoServer() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: EchoServer SOCKET DEVICE");
            System.exit(2);
        }
        Path socket = Path.of(args[0]);
        byte[] reply = reply(args[1]);
        int digits = idDigits(Unpooled.wrappedBuffer(reply));
        ByteBuf prefix = Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(reply, 0, digits).asReadOnly());
        // The template's id is 0: one digit to leave out.
        ByteBuf suffix = Unpooled.unreleasableBuffer(
                Unpooled.wrappedBuffer(reply, digits + 1, reply.length - digits - 1).asReadOnly());
        Files.deleteIfExists(socket);
        EventLoopGroup loops = new EpollEventLoopGroup(Math.min(2, Runtime.getRuntime().availableProcessors()),
                new DefaultThreadFactory("echo-io", true));
        Answer answer = new Answer(prefix, suffix);
        new ServerBootstrap()
                .group(loops)
                .channel(EpollServerDomainSocketChannel.class)
                .childHandler(new ChannelInitializer<EpollDomainSocketChannel>() {
                    @Override
                    protected void initChannel(EpollDomainSocketChannel channel) {
                        channel.pipeline()
                                .addLast(new LengthFieldPrepender(FrameDecoder.LENGTH_BYTES))
                                .addLast(new FrameDecoder(DaemonConfig.DEFAULT_MAX_FRAME))
                                .addLast(answer);
                    }
                })
                .bind(new DomainSocketAddress(socket.toFile())).syncUninterruptibly();
        System.err.println("echo server listening on " + socket + " (reply of " + reply.length + " bytes)");
        Thread.currentThread().join();
    }

    /** dmd's DEV_STATUS reply for a table-less device named {@code name}, minor 0, with id 0. */
    private static byte[] reply(String name) throws DmException, IOException {
        Replies.DeviceInfo info;
        try (DeviceMapper mapper = DeviceMapper.builder().build()) {
            mapper.devCreate(new Requests.DevCreate(name, null, null, Set.of(), 0));
            info = mapper.devStatus(new Requests.DevStatus(name, null, null, Set.of()));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new WireFormat().write(new Outbound.Answer(0, info), out);
        return out.toByteArray();
    }

    /** Where the digits of the first {@code "id":} member start in {@code json}; -1 if there is none. */
    private static int idDigits(ByteBuf json) {
        outer:
        for (int i = json.readerIndex(); i <= json.writerIndex() - ID_KEY.length; i++) {
            for (int j = 0; j < ID_KEY.length; j++) {
                if (json.getByte(i + j) != ID_KEY[j]) {
                    continue outer;
                }
            }
            return i + ID_KEY.length;
        }
        return -1;
    }

    /** Answers each frame with prefix, the request's id digits, suffix. Stateless. */
    @ChannelHandler.Sharable
    private static final class Answer extends ChannelInboundHandlerAdapter {
        private final ByteBuf prefix;
        private final ByteBuf suffix;

        Answer(ByteBuf prefix, ByteBuf suffix) {
            this.prefix = prefix;
            this.suffix = suffix;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof ByteBuf frame)) {
                ReferenceCountUtil.release(msg);
                ctx.close();
                return;
            }
            try {
                int digits = idDigits(frame);
                int end = digits;
                while (end >= 0 && end < frame.writerIndex() && Character.isDigit(frame.getByte(end))) {
                    end++;
                }
                ByteBuf out = ctx.alloc().buffer(prefix.readableBytes() + (end - digits) + suffix.readableBytes());
                out.writeBytes(prefix, prefix.readerIndex(), prefix.readableBytes());
                if (digits >= 0) {
                    out.writeBytes(frame, digits, end - digits);
                }
                out.writeBytes(suffix, suffix.readerIndex(), suffix.readableBytes());
                ctx.writeAndFlush(out);
            } finally {
                frame.release();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}

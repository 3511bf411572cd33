package org.dmd.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A hand-driven NBD client for the protocol tests: every byte it sends is the test's choice. */
final class NbdWire implements AutoCloseable {

    record OptionReply(int option, int type, byte[] data) {
    }

    record SimpleReply(int error, long cookie, byte[] data) {
    }

    record Chunk(int flags, int type, long cookie, byte[] payload) {
    }

    final SocketChannel channel;
    final DataInputStream in;
    final DataOutputStream out;

    private NbdWire(SocketChannel channel) {
        this.channel = channel;
        // Not Channels.newInputStream/newOutputStream: their reads and writes share one lock, so a
        // thread blocked reading would keep another from writing.
        this.in = new DataInputStream(new BufferedInputStream(new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return channel.read(ByteBuffer.wrap(b, off, len));
            }
        }, 1 << 16));
        this.out = new DataOutputStream(new BufferedOutputStream(new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                ByteBuffer buffer = ByteBuffer.wrap(b, off, len);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
            }
        }, 1 << 16));
    }

    static NbdWire connect(Path socket) throws IOException {
        return new NbdWire(SocketChannel.open(UnixDomainSocketAddress.of(socket)));
    }

    /** Reads the greeting (checking its magics) and returns the handshake flags. */
    int greeting() throws IOException {
        assertEquals(NbdProtocol.NBDMAGIC, in.readLong());
        assertEquals(NbdProtocol.IHAVEOPT, in.readLong());
        return in.readUnsignedShort();
    }

    /** The greeting, then the client flags FIXED_NEWSTYLE and NO_ZEROES. */
    NbdWire newstyle() throws IOException {
        greeting();
        out.writeInt(NbdProtocol.NBD_FLAG_C_FIXED_NEWSTYLE | NbdProtocol.NBD_FLAG_C_NO_ZEROES);
        return this;
    }

    void option(int option, byte[] data) throws IOException {
        out.writeLong(NbdProtocol.IHAVEOPT);
        out.writeInt(option);
        out.writeInt(data.length);
        out.write(data);
        out.flush();
    }

    OptionReply optionReply() throws IOException {
        assertEquals(NbdProtocol.OPTION_REPLY_MAGIC, in.readLong());
        int option = in.readInt();
        int type = in.readInt();
        byte[] data = new byte[in.readInt()];
        in.readFully(data);
        return new OptionReply(option, type, data);
    }

    /** GO or INFO data: the name and the information requests. */
    static byte[] goData(String name, int... infos) {
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        ByteBuffer data = ByteBuffer.allocate(4 + bytes.length + 2 + 2 * infos.length);
        data.putInt(bytes.length).put(bytes).putShort((short) infos.length);
        for (int info : infos) {
            data.putShort((short) info);
        }
        return data.array();
    }

    /** Sends GO or INFO and returns every reply up to and including the final one. */
    List<OptionReply> info(int option, String name, int... infos) throws IOException {
        option(option, goData(name, infos));
        List<OptionReply> replies = new ArrayList<>();
        OptionReply reply;
        do {
            reply = optionReply();
            replies.add(reply);
        } while (reply.type() == NbdProtocol.NBD_REP_INFO);
        return replies;
    }

    /** Newstyle, structured replies if asked, GO with a block size request: in the transmission phase. */
    NbdWire go(String name, boolean structured) throws IOException {
        newstyle();
        if (structured) {
            option(NbdProtocol.NBD_OPT_STRUCTURED_REPLY, new byte[0]);
            assertEquals(NbdProtocol.NBD_REP_ACK, optionReply().type());
        }
        List<OptionReply> replies = info(NbdProtocol.NBD_OPT_GO, name, NbdProtocol.NBD_INFO_BLOCK_SIZE);
        assertEquals(NbdProtocol.NBD_REP_ACK, replies.get(replies.size() - 1).type(), "GO " + name);
        return this;
    }

    void request(int flags, int type, long cookie, long offset, long length, byte[] payload) throws IOException {
        out.writeInt(NbdProtocol.NBD_REQUEST_MAGIC);
        out.writeShort(flags);
        out.writeShort(type);
        out.writeLong(cookie);
        out.writeLong(offset);
        out.writeInt((int) length);
        if (payload != null) {
            out.write(payload);
        }
        out.flush();
    }

    /** A simple reply, with {@code dataLength} bytes of data if it reports no error. */
    SimpleReply simpleReply(int dataLength) throws IOException {
        assertEquals(NbdProtocol.NBD_SIMPLE_REPLY_MAGIC, in.readInt());
        int error = in.readInt();
        long cookie = in.readLong();
        byte[] data = new byte[error == 0 ? dataLength : 0];
        in.readFully(data);
        return new SimpleReply(error, cookie, data);
    }

    Chunk chunk() throws IOException {
        assertEquals(NbdProtocol.NBD_STRUCTURED_REPLY_MAGIC, in.readInt());
        int flags = in.readUnsignedShort();
        int type = in.readUnsignedShort();
        long cookie = in.readLong();
        byte[] payload = new byte[in.readInt()];
        in.readFully(payload);
        return new Chunk(flags, type, cookie, payload);
    }

    /** True once the server has closed the connection (blocks until it does or sends a byte). */
    boolean closedByServer() throws IOException {
        try {
            return in.read() < 0;
        } catch (EOFException e) {
            return true;
        } catch (IOException e) {
            return e.getMessage() != null && e.getMessage().contains("reset");
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}

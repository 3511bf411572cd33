package org.dmd.daemon;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import java.nio.charset.StandardCharsets;

/** The server's side of the NBD wire (proto.md): option replies and transmission replies. Stateless. */
final class NbdReplies {

    private NbdReplies() {
    }

    /** NBDMAGIC, IHAVEOPT and the handshake flags: the first bytes of every connection. */
    static ByteBuf greeting(ByteBufAllocator alloc) {
        ByteBuf out = alloc.buffer(18);
        out.writeLong(NbdProtocol.NBDMAGIC).writeLong(NbdProtocol.IHAVEOPT)
                .writeShort(NbdProtocol.NBD_FLAG_FIXED_NEWSTYLE | NbdProtocol.NBD_FLAG_NO_ZEROES);
        return out;
    }

    /** An option reply header followed by {@code length} bytes the caller writes. */
    static ByteBuf option(ByteBufAllocator alloc, int option, int type, int length) {
        ByteBuf out = alloc.buffer(20 + length);
        out.writeLong(NbdProtocol.OPTION_REPLY_MAGIC).writeInt(option).writeInt(type).writeInt(length);
        return out;
    }

    static ByteBuf ack(ByteBufAllocator alloc, int option) {
        return option(alloc, option, NbdProtocol.NBD_REP_ACK, 0);
    }

    /** An error reply (bit 31 set) whose data is a message for a human. */
    static ByteBuf optionError(ByteBufAllocator alloc, int option, int type, String message) {
        byte[] text = truncated(message);
        return option(alloc, option, type, text.length).writeBytes(text);
    }

    /** NBD_REP_SERVER: one export of a listing. */
    static ByteBuf server(ByteBufAllocator alloc, String name) {
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        return option(alloc, NbdProtocol.NBD_OPT_LIST, NbdProtocol.NBD_REP_SERVER, 4 + bytes.length)
                .writeInt(bytes.length).writeBytes(bytes);
    }

    static ByteBuf infoExport(ByteBufAllocator alloc, int option, long size, int transmissionFlags) {
        return option(alloc, option, NbdProtocol.NBD_REP_INFO, 12).writeShort(NbdProtocol.NBD_INFO_EXPORT)
                .writeLong(size).writeShort(transmissionFlags);
    }

    /** NBD_INFO_NAME or NBD_INFO_DESCRIPTION. */
    static ByteBuf infoText(ByteBufAllocator alloc, int option, int info, String text) {
        byte[] bytes = truncated(text);
        return option(alloc, option, NbdProtocol.NBD_REP_INFO, 2 + bytes.length).writeShort(info).writeBytes(bytes);
    }

    static ByteBuf infoBlockSize(ByteBufAllocator alloc, int option) {
        return option(alloc, option, NbdProtocol.NBD_REP_INFO, 14).writeShort(NbdProtocol.NBD_INFO_BLOCK_SIZE)
                .writeInt(NbdProtocol.MIN_BLOCK).writeInt(NbdProtocol.PREFERRED_BLOCK).writeInt(NbdProtocol.MAX_PAYLOAD);
    }

    /** The reply to NBD_OPT_EXPORT_NAME: size, transmission flags and, unless NO_ZEROES, 124 zeroes. */
    static ByteBuf exportName(ByteBufAllocator alloc, long size, int transmissionFlags, boolean noZeroes) {
        ByteBuf out = alloc.buffer(noZeroes ? 10 : 134);
        out.writeLong(size).writeShort(transmissionFlags);
        if (!noZeroes) {
            out.writeZero(124);
        }
        return out;
    }

    // ------------------------------------------------------------------ transmission

    /** A simple reply without data, at the buffer's writer index. */
    static void simple(ByteBuf out, int error, long cookie) {
        out.writeInt(NbdProtocol.NBD_SIMPLE_REPLY_MAGIC).writeInt(error).writeLong(cookie);
    }

    /** The header of a final NBD_REPLY_TYPE_OFFSET_DATA chunk carrying {@code length} bytes read at {@code offset}. */
    static void offsetData(ByteBuf out, long cookie, long offset, int length) {
        out.writeInt(NbdProtocol.NBD_STRUCTURED_REPLY_MAGIC).writeShort(NbdProtocol.NBD_REPLY_FLAG_DONE)
                .writeShort(NbdProtocol.NBD_REPLY_TYPE_OFFSET_DATA).writeLong(cookie).writeInt(8 + length)
                .writeLong(offset);
    }

    /** A final NBD_REPLY_TYPE_NONE chunk: success without data. */
    static void none(ByteBuf out, long cookie) {
        out.writeInt(NbdProtocol.NBD_STRUCTURED_REPLY_MAGIC).writeShort(NbdProtocol.NBD_REPLY_FLAG_DONE)
                .writeShort(NbdProtocol.NBD_REPLY_TYPE_NONE).writeLong(cookie).writeInt(0);
    }

    /** A final NBD_REPLY_TYPE_ERROR chunk with a message. */
    static void error(ByteBuf out, long cookie, int error, String message) {
        byte[] text = truncated(message);
        out.writeInt(NbdProtocol.NBD_STRUCTURED_REPLY_MAGIC).writeShort(NbdProtocol.NBD_REPLY_FLAG_DONE)
                .writeShort(NbdProtocol.NBD_REPLY_TYPE_ERROR).writeLong(cookie).writeInt(6 + text.length)
                .writeInt(error).writeShort(text.length).writeBytes(text);
    }

    /** The bytes an error chunk with this message takes. */
    static int errorBytes(String message) {
        return NbdProtocol.CHUNK_HEADER_BYTES + 6 + Math.min(ByteBufUtil.utf8Bytes(message), NbdProtocol.MAX_STRING);
    }

    /** UTF-8, cut to proto.md's string limit of 4096 bytes at a character boundary. */
    static byte[] truncated(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        if (bytes.length <= NbdProtocol.MAX_STRING) {
            return bytes;
        }
        int end = NbdProtocol.MAX_STRING;
        while ((bytes[end] & 0xC0) == 0x80) {
            end--;
        }
        byte[] cut = new byte[end];
        System.arraycopy(bytes, 0, cut, 0, end);
        return cut;
    }
}

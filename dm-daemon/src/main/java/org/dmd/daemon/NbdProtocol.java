package org.dmd.daemon;

import org.dmd.core.errno.Errno;

/**
 * The numbers of the NBD protocol (the NBD project's {@code doc/proto.md}): magics, flags,
 * option and reply types, commands and errors, with the names proto.md gives them.
 */
final class NbdProtocol {

    private NbdProtocol() {
    }

    // ------------------------------------------------------------------ handshake

    /** {@code NBDMAGIC}, the first eight bytes the server sends. */
    static final long NBDMAGIC = 0x4e42444d41474943L;
    /** {@code IHAVEOPT}: the newstyle magic, and the start of every option. */
    static final long IHAVEOPT = 0x49484156454F5054L;
    /** The magic of every option reply. */
    static final long OPTION_REPLY_MAGIC = 0x3e889045565a9L;

    static final int NBD_FLAG_FIXED_NEWSTYLE = 1;
    static final int NBD_FLAG_NO_ZEROES = 1 << 1;
    static final int NBD_FLAG_C_FIXED_NEWSTYLE = 1;
    static final int NBD_FLAG_C_NO_ZEROES = 1 << 1;

    static final int NBD_OPT_EXPORT_NAME = 1;
    static final int NBD_OPT_ABORT = 2;
    static final int NBD_OPT_LIST = 3;
    static final int NBD_OPT_STARTTLS = 5;
    static final int NBD_OPT_INFO = 6;
    static final int NBD_OPT_GO = 7;
    static final int NBD_OPT_STRUCTURED_REPLY = 8;

    static final int NBD_REP_ACK = 1;
    static final int NBD_REP_SERVER = 2;
    static final int NBD_REP_INFO = 3;
    static final int NBD_REP_ERR_UNSUP = 0x80000001;
    static final int NBD_REP_ERR_POLICY = 0x80000002;
    static final int NBD_REP_ERR_INVALID = 0x80000003;
    static final int NBD_REP_ERR_PLATFORM = 0x80000004;
    static final int NBD_REP_ERR_UNKNOWN = 0x80000006;
    static final int NBD_REP_ERR_SHUTDOWN = 0x80000007;
    static final int NBD_REP_ERR_TOO_BIG = 0x80000009;

    static final int NBD_INFO_EXPORT = 0;
    static final int NBD_INFO_NAME = 1;
    static final int NBD_INFO_DESCRIPTION = 2;
    static final int NBD_INFO_BLOCK_SIZE = 3;

    // ------------------------------------------------------------------ transmission flags

    static final int NBD_FLAG_HAS_FLAGS = 1;
    static final int NBD_FLAG_READ_ONLY = 1 << 1;
    static final int NBD_FLAG_SEND_FLUSH = 1 << 2;
    static final int NBD_FLAG_SEND_FUA = 1 << 3;
    static final int NBD_FLAG_SEND_TRIM = 1 << 5;
    static final int NBD_FLAG_SEND_WRITE_ZEROES = 1 << 6;
    static final int NBD_FLAG_SEND_DF = 1 << 7;
    static final int NBD_FLAG_CAN_MULTI_CONN = 1 << 8;

    // ------------------------------------------------------------------ transmission

    static final int NBD_REQUEST_MAGIC = 0x25609513;
    static final int NBD_SIMPLE_REPLY_MAGIC = 0x67446698;
    static final int NBD_STRUCTURED_REPLY_MAGIC = 0x668e33ef;
    /** A request header: magic, flags, type, cookie, offset, length. */
    static final int REQUEST_HEADER_BYTES = 28;
    /** A simple reply header: magic, error, cookie. */
    static final int SIMPLE_REPLY_BYTES = 16;
    /** A structured reply chunk header: magic, flags, type, cookie, length. */
    static final int CHUNK_HEADER_BYTES = 20;

    static final int NBD_CMD_READ = 0;
    static final int NBD_CMD_WRITE = 1;
    static final int NBD_CMD_DISC = 2;
    static final int NBD_CMD_FLUSH = 3;
    static final int NBD_CMD_TRIM = 4;
    static final int NBD_CMD_WRITE_ZEROES = 6;

    static final int NBD_CMD_FLAG_FUA = 1;
    static final int NBD_CMD_FLAG_NO_HOLE = 1 << 1;
    static final int NBD_CMD_FLAG_DF = 1 << 2;

    static final int NBD_REPLY_FLAG_DONE = 1;
    static final int NBD_REPLY_TYPE_NONE = 0;
    static final int NBD_REPLY_TYPE_OFFSET_DATA = 1;
    static final int NBD_REPLY_TYPE_ERROR = 0x8001;

    static final int NBD_EPERM = 1;
    static final int NBD_EIO = 5;
    static final int NBD_ENOMEM = 12;
    static final int NBD_EINVAL = 22;
    static final int NBD_ENOSPC = 28;
    static final int NBD_EOVERFLOW = 75;
    static final int NBD_ENOTSUP = 95;
    static final int NBD_ESHUTDOWN = 108;

    /**
     * The NBD error for a request that failed with {@code errno}: proto.md defines only eight, and
     * asks for EPERM on a read-only export and ENOSPC for EDQUOT and EFBIG. Everything else that
     * a bio ends with (EIO, and ENXIO for a device gone or without a table) is an I/O error.
     */
    static int error(Errno errno) {
        return switch (errno) {
            case EPERM, EROFS, EACCES -> NBD_EPERM;
            case ENOMEM -> NBD_ENOMEM;
            case EINVAL -> NBD_EINVAL;
            case ENOSPC -> NBD_ENOSPC;
            case EOVERFLOW -> NBD_EOVERFLOW;
            default -> NBD_EIO;
        };
    }

    // ------------------------------------------------------------------ dmd's constraints

    /** The minimum block size dmd advertises: the logical block size of every mapped device. */
    static final int MIN_BLOCK = 512;
    /** The preferred block size: a page, the unit of the loop files' I/O. */
    static final int PREFERRED_BLOCK = 4096;
    /** The maximum payload: proto.md's 2^25, which every client honours. */
    static final int MAX_PAYLOAD = 32 << 20;
    /** Strings (export names, messages) are at most 4096 bytes. */
    static final int MAX_STRING = 4096;
    /** The largest option dmd reads: GO/INFO with a name of the largest size and a few information requests. */
    static final int MAX_OPTION = 4 + MAX_STRING + 2 + 2 * 64;
}

package org.dmd.core.journal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The on-disk framing of journal segments and snapshots.
 *
 * <pre>
 *   header (24 bytes): magic (8: "DMD-JRNL" or "DMD-SNAP"), format version (u32),
 *                      generation (u64), CRC32C of the 20 bytes before it (u32)
 *   record:            payload length (u32, &gt; 0), CRC32C of the length's 4 bytes and the payload (u32),
 *                      payload ({@link EntryCodec})
 * </pre>
 *
 * A journal segment is preallocated with zeros, so its records end at a zero length. A record cut
 * short or whose CRC does not match ends the readable part: it is a torn tail (a write the crash
 * interrupted, never acknowledged) and is dropped whole. A header of a newer format version is
 * refused with {@link StateDirException}, so that no dmd half-understands a newer journal.
 *
 * <p>Stateless and thread-safe.
 */
final class RecordFile {

    /** The format this dmd writes, and the newest it reads. */
    static final int FORMAT_VERSION = 1;
    static final int HEADER_BYTES = 24;
    static final int FRAME_BYTES = 8;
    /** A record longer than this is not one: its length field is torn. */
    static final int MAX_RECORD = 256 << 20;

    /** The two kinds of file, told apart by their magic. */
    enum Kind {
        JOURNAL("DMD-JRNL"), SNAPSHOT("DMD-SNAP");

        private final byte[] magic;

        Kind(String magic) {
            this.magic = magic.getBytes(StandardCharsets.US_ASCII);
        }
    }

    /** What a scan found: the generation in the header, the whole records, and whether a torn one ended them. */
    record Scan(long generation, List<Entry> entries, long end, boolean torn) {
    }

    private RecordFile() {
    }

    static ByteBuffer header(Kind kind, long generation) {
        ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES);
        header.put(kind.magic).putInt(FORMAT_VERSION).putLong(generation);
        header.putInt(crc(header.array(), 0, HEADER_BYTES - 4));
        return header.flip();
    }

    /** The record framing {@code payload}. */
    static byte[] frame(byte[] payload) {
        ByteBuffer record = ByteBuffer.allocate(FRAME_BYTES + payload.length);
        record.putInt(payload.length);
        record.putInt(0);
        record.put(payload);
        byte[] bytes = record.array();
        ByteBuffer.wrap(bytes, 4, 4).putInt(crcOfRecord(bytes, 0, payload.length));
        return bytes;
    }

    /**
     * Reads {@code bytes} (the whole file {@code file}): its header, then records until the end,
     * a zero length, or a torn record. StateDirException if the header is not this kind's, is
     * damaged, or is of a newer format; IOException if a whole record does not decode.
     */
    static Scan scan(Path file, byte[] bytes, Kind kind) throws StateDirException, IOException {
        ByteBuffer in = ByteBuffer.wrap(bytes);
        if (bytes.length < HEADER_BYTES) {
            throw new StateDirException(file + ": " + bytes.length + " bytes, too short for a header");
        }
        byte[] magic = new byte[8];
        in.get(magic);
        int version = in.getInt();
        long generation = in.getLong();
        int crc = in.getInt();
        if (!java.util.Arrays.equals(magic, kind.magic)) {
            throw new StateDirException(file + " is not a dmd " + kind.name().toLowerCase() + " file");
        }
        if (crc != crc(bytes, 0, HEADER_BYTES - 4)) {
            throw new StateDirException(file + ": the header is damaged (CRC mismatch)");
        }
        if (version > FORMAT_VERSION || version < 1) {
            throw new StateDirException(file + " was written in state format " + Integer.toUnsignedString(version)
                    + "; this dmd reads format " + FORMAT_VERSION + " and older. Start a dmd that knows format "
                    + Integer.toUnsignedString(version) + ", or move the state directory away");
        }
        List<Entry> entries = new ArrayList<>();
        int position = HEADER_BYTES;
        boolean torn = false;
        while (bytes.length - position >= FRAME_BYTES) {
            int length = ByteBuffer.wrap(bytes, position, 4).getInt();
            if (length == 0) {
                torn = !zeros(bytes, position);
                break;
            }
            if (length < 0 || length > MAX_RECORD || length > bytes.length - position - FRAME_BYTES) {
                torn = true;
                break;
            }
            int stored = ByteBuffer.wrap(bytes, position + 4, 4).getInt();
            if (stored != crcOfRecord(bytes, position, length)) {
                torn = true;
                break;
            }
            byte[] payload = java.util.Arrays.copyOfRange(bytes, position + FRAME_BYTES, position + FRAME_BYTES + length);
            entries.add(EntryCodec.decode(payload));
            position += FRAME_BYTES + length;
        }
        if (bytes.length - position < FRAME_BYTES && !zeros(bytes, position)) {
            torn = true;
        }
        return new Scan(generation, entries, position, torn);
    }

    /**
     * True if everything from {@code from} on is zero: the preallocated rest of a segment, not a
     * record. Anything else there is what a torn write left.
     */
    private static boolean zeros(byte[] bytes, int from) {
        for (int i = from; i < bytes.length; i++) {
            if (bytes[i] != 0) {
                return false;
            }
        }
        return true;
    }

    private static int crcOfRecord(byte[] bytes, int start, int payloadLength) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, start, 4);
        crc.update(bytes, start + FRAME_BYTES, payloadLength);
        return (int) crc.getValue();
    }

    private static int crc(byte[] bytes, int start, int length) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, start, length);
        return (int) crc.getValue();
    }
}

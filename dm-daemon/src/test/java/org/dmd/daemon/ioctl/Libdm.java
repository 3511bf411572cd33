package org.dmd.daemon.ioctl;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Buffers the real dmsetup 1.02.185 sent, captured by the preload interceptor in
 * {@code libdm-1.02.185/capture.c.txt} against a dmd with block major 252 (so devices are
 * {@code 0xFC00 + minor}). Each fixture holds the header and payload up to its last non-zero byte;
 * the rest of data_size is libdm's zero fill, restored here.
 */
final class Libdm {

    private static final Pattern HEADER = Pattern.compile("# request 0x(\\p{XDigit}+) data_size (\\d+);.*");

    /** One captured ioctl. */
    record Captured(int number, byte[] buffer) {
    }

    private Libdm() {
    }

    /** The fixture {@code name} (e.g. {@code create-01-cmd3}). */
    static Captured fixture(String name) {
        try (InputStream in = Libdm.class.getResourceAsStream("libdm-1.02.185/" + name + ".hex")) {
            if (in == null) {
                throw new IllegalArgumentException("no fixture " + name);
            }
            String[] lines = new String(in.readAllBytes(), StandardCharsets.US_ASCII).split("\n", 2);
            Matcher header = HEADER.matcher(lines[0]);
            if (!header.matches()) {
                throw new IllegalArgumentException(name + ": no request line");
            }
            byte[] buffer = new byte[Integer.parseInt(header.group(2))];
            int at = 0;
            for (String hex : lines[1].trim().split("\\s+")) {
                if (!hex.isEmpty()) {
                    buffer[at++] = (byte) Integer.parseInt(hex, 16);
                }
            }
            return new Captured((int) (Long.parseLong(header.group(1), 16) & 0xFF), buffer);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

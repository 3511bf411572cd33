package org.dmd.client.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.dmd.core.control.Requests.TargetSpec;
import org.dmd.core.errno.DmException;
import org.dmd.core.table.TableText;

/**
 * Where dmsetup takes a table from — {@code --table}, a file argument, or standard input — parsed
 * line by line with dmd's table-text parser and failing with dmsetup's messages.
 */
final class TableInput {

    /** A table that could not be read; the message is dmsetup's. */
    static final class BadTable extends Exception {
        BadTable(String message) {
            super(message, null, false, false);
        }
    }

    private TableInput() {
    }

    /** The table of a create or load: {@code --table TEXT} wins, then FILE, then standard input. */
    static List<TargetSpec> read(String tableOption, String file, InputStream stdin) throws BadTable {
        if (tableOption != null) {
            return parse(tableOption, "");
        }
        String text;
        if (file != null) {
            try {
                text = Files.readString(Path.of(file), StandardCharsets.UTF_8);
            } catch (IOException | RuntimeException e) {
                throw new BadTable("Couldn't open '" + file + "' for reading.");
            }
            return parse(text, file);
        }
        try {
            text = new String(stdin.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new BadTable("Read from stdin aborted: " + e.getMessage());
        }
        return parse(text, "on stdin");
    }

    /** One target per line; blank and {@code #} lines skipped; {@code where} names the source in errors. */
    static List<TargetSpec> parse(String text, String where) throws BadTable {
        List<TargetSpec> specs = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        int count = text.endsWith("\n") ? lines.length - 1 : lines.length;
        for (int i = 0; i < count; i++) {
            try {
                specs.addAll(TableText.parse(lines[i]));
            } catch (DmException e) {
                throw new BadTable("Invalid format on line " + (i + 1) + " of table " + where + ".");
            }
        }
        return specs;
    }

    /** One device of {@code create --concise}: {@code name,uuid,minor,flags,table}. */
    record ConciseDevice(String name, String uuid, String minor, String flags, String table) {
    }

    /**
     * Parses a concise device list ({@code ;} between devices, {@code ,} between the five fields
     * and between table lines, backslash quoting the next character), calling {@code create} for
     * each complete device as dmsetup does; stops at the first failure.
     */
    static boolean parseConcise(String text, ConciseCreate create, java.util.function.Consumer<String> error) {
        String[] fields = new String[5];
        int field = 0;
        StringBuilder current = new StringBuilder();
        int c = 0;
        while (c < text.length()) {
            char ch = text.charAt(c);
            if (ch == '\\') {
                if (++c >= text.length()) {
                    error.accept("Backslash must be followed by another character at end of string.");
                    fields[field] = current.toString();
                    error.accept(parsed(field, fields));
                    return false;
                }
                current.append(text.charAt(c++));
                continue;
            }
            if (ch == ',' && field < 4) {
                fields[field++] = current.toString();
                current.setLength(0);
                c++;
                while (c < text.length() && Character.isWhitespace(text.charAt(c))) {
                    c++;
                }
                continue;
            }
            if (ch == ',') {
                current.append('\n');
                c++;
                continue;
            }
            if (ch == ';' || c + 1 == text.length()) {
                if (ch != ';') {
                    current.append(ch);
                }
                c++;
                fields[field] = current.toString();
                current.setLength(0);
                if (field != 4) {
                    error.accept("Five comma-separated fields are required for each device");
                    error.accept(parsed(field, fields));
                    return false;
                }
                if (!fields[3].isEmpty() && !fields[3].equals("ro") && !fields[3].equals("rw")) {
                    error.accept("Invalid flags parameter '" + fields[3] + "' must be 'ro' or 'rw' or empty.");
                    return false;
                }
                if (!create.create(new ConciseDevice(fields[0], fields[1], fields[2], fields[3], fields[4]))) {
                    return false;
                }
                field = 0;
                java.util.Arrays.fill(fields, null);
                while (c < text.length() && Character.isWhitespace(text.charAt(c))) {
                    c++;
                }
                continue;
            }
            current.append(ch);
            c++;
        }
        if (current.length() > 0 || field > 0) {
            fields[field] = current.toString();
            error.accept("Incomplete entry: five comma-separated fields are required for each device");
            error.accept(parsed(field, fields));
            return false;
        }
        return true;
    }

    @FunctionalInterface
    interface ConciseCreate {
        boolean create(ConciseDevice device);
    }

    /** dmsetup's account of what it parsed; unset fields print as glibc prints a null string. */
    private static String parsed(int field, String[] fields) {
        return "Parsed " + (field + 1) + " fields: name: " + show(fields[0]) + " uuid: " + show(fields[1])
                + " minor: " + show(fields[2]) + " flags: " + show(fields[3]) + " table: " + show(fields[4]);
    }

    private static String show(String s) {
        return s == null ? "(null)" : s;
    }
}

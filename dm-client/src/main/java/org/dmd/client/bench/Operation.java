package org.dmd.client.bench;

import java.util.Locale;
import java.util.StringJoiner;

/**
 * What one step of the load generator sends. Each operation is timed as a whole, so
 * {@link #CREATE_REMOVE} is one lifecycle (two round trips) and {@link #CREATE} with a table is
 * create, load and resume (three), as {@code dmctl create --table} sends them.
 */
public enum Operation {
    /** VERSION: the cheapest round trip, touching no device. */
    VERSION(false),
    /** DEV_STATUS of the connection's device ({@code dmctl info}). */
    INFO(true),
    /** LIST_DEVICES ({@code dmctl ls}). */
    LS(false),
    /** DEV_CREATE then DEV_REMOVE of a new table-less device. */
    CREATE_REMOVE(false),
    /** DEV_CREATE of a new device that stays, plus TABLE_LOAD and resume when a table is given. */
    CREATE(false),
    /** TABLE_LOAD of the table into the connection's device (the inactive slot; nothing is resumed). */
    LOAD(true),
    /** REMOVE_ALL. */
    REMOVE_ALL(false);

    private final boolean needsDevice;

    Operation(boolean needsDevice) {
        this.needsDevice = needsDevice;
    }

    /** True if the operation addresses an existing device. */
    public boolean needsDevice() {
        return needsDevice;
    }

    /** The name on the command line: {@code create-remove}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** Every label, comma-separated, for the usage text. */
    public static String labels() {
        StringJoiner labels = new StringJoiner(", ");
        for (Operation operation : values()) {
            labels.add(operation.label());
        }
        return labels.toString();
    }

    /** The operation with this label, or null. */
    public static Operation labelled(String label) {
        for (Operation operation : values()) {
            if (operation.label().equals(label)) {
                return operation;
            }
        }
        return null;
    }
}

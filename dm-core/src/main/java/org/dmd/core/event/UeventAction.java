package org.dmd.core.event;

import java.util.Locale;

/** The kobject actions dmd emits. */
public enum UeventAction {
    ADD, CHANGE, REMOVE;

    /** As udev prints it: {@code add}, {@code change}, {@code remove}. */
    public String text() {
        return name().toLowerCase(Locale.ROOT);
    }
}

package org.dmd.core.event;

import java.util.Map;

/**
 * A kernel uevent: for a mapped device {@code subsystem} is {@code block} and {@code devpath}
 * {@code /devices/virtual/block/dm-N}; for a module, {@code module} and {@code /module/NAME}.
 * {@code env} holds the remaining properties (DEVNAME, MAJOR, MINOR, DM_COOKIE, DM_NAME, RESIZE, ...).
 */
public record Uevent(long seqnum, UeventAction action, String subsystem, String devpath, Map<String, String> env)
        implements Event {

    public Uevent {
        env = Map.copyOf(env);
    }
}

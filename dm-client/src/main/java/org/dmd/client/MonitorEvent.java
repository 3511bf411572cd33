package org.dmd.client;

import java.util.Map;

/** What a monitoring connection delivers: uevents, kernel messages, and notice of events lost. */
public sealed interface MonitorEvent permits MonitorEvent.Uevent, MonitorEvent.KernelMessage, MonitorEvent.Dropped {

    /**
     * A uevent as the daemon sent it; {@code env} keeps the daemon's order (the kernel's order of
     * the environment), which {@code udevadm monitor --property} output follows.
     */
    record Uevent(long seqnum, String action, String subsystem, String devpath, Map<String, String> env)
            implements MonitorEvent {
    }

    /** A kernel log line (only when subscribed with kernel messages). */
    record KernelMessage(long seqnum, String level, String text) implements MonitorEvent {
    }

    /** The subscriber was too slow and {@code count} events were dropped before this point. */
    record Dropped(long count) implements MonitorEvent {
    }
}

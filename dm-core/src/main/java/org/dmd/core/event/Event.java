package org.dmd.core.event;

/** Something dmd reports to its listeners, in one global order: uevents and kernel messages. */
public sealed interface Event permits Uevent, KernelMessage {

    /** Position in the global order, from 1, as the kernel's SEQNUM. */
    long seqnum();
}

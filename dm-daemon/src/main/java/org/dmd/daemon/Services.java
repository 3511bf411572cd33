package org.dmd.daemon;

import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import org.dmd.core.control.DeviceMapper;

/**
 * What every connection shares.
 *
 * @param mapper        the device-mapper core
 * @param workers       the bounded pool commands execute on
 * @param busyMessage   the EAGAIN message when {@code workers} refuses a command
 * @param closer        where sessions are closed (a close may wait, so not on an event loop)
 * @param monitorBuffer events held per monitoring connection before it drops
 * @param stopRequested called (on an event loop: it must not block) after a successful SHUTDOWN is answered
 */
record Services(DeviceMapper mapper, ExecutorService workers, String busyMessage, Executor closer, int monitorBuffer,
                Runnable stopRequested) {
}

package org.dmd.daemon.ioctl;

import java.nio.ByteBuffer;
import org.dmd.core.control.Command;
import org.dmd.core.control.Requests.Request;

/**
 * One decoded ioctl: the request for {@code DeviceMapper} and what its reply is written over.
 *
 * @param command     the dm-ioctl command
 * @param request     what the command asks of the core
 * @param work        the kernel's working copy of the caller's buffer (dm-ioctl.c: copy_params): the header
 *                    alone for the commands that read nothing else, else the first data_size bytes; owned by
 *                    this call, and the reply is written into it
 * @param inputSize   the param_size the handler is given: data_size, or {@value DmIoctl#MIN_DATA_SIZE} for
 *                    header-only commands; the result area is what lies between 312 and it
 * @param flags       the flags word as sent, unknown bits included (they are echoed)
 * @param coreMessage TARGET_MSG only: the message is for device-mapper core ({@code @...}), which needs no table
 * @param sentSize    the bytes the caller sent: with DM_SECURE_DATA_FLAG the kernel zero-fills the caller's
 *                    buffer after reading it, so a reply covers all of them
 */
public record IoctlCall(Command command, Request request, ByteBuffer work, int inputSize, int flags,
                        boolean coreMessage, int sentSize) {
}

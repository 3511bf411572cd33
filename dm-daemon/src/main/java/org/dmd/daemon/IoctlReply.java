package org.dmd.daemon;

import java.nio.ByteBuffer;

/**
 * One binary reply frame's content.
 *
 * @param status  0, or the positive errno ioctl(2) fails with
 * @param payload what is copied over the start of the caller's buffer (empty on error)
 */
record IoctlReply(int status, ByteBuffer payload) {

    static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    static IoctlReply failure(int errno) {
        return new IoctlReply(errno, EMPTY);
    }
}

package org.dmd.daemon;

/** One binary request frame: the command number and the bytes that followed the frame header. */
record IoctlFrame(int command, byte[] payload) {
}

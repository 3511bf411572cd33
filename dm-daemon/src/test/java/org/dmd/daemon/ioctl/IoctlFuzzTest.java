package org.dmd.daemon.ioctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.dmd.core.control.ControlSession;
import org.dmd.core.control.DeviceMapper;
import org.dmd.core.control.Replies;
import org.dmd.core.control.Requests;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.dmd.core.module.ModuleIndex;
import org.dmd.core.testing.MapperState;
import org.dmd.core.testing.TestRequests;
import org.junit.jupiter.api.AfterEach;

/**
 * The binary dm_ioctl codec ({@link IoctlRequests}, {@link IoctlReplies}) with a real core behind
 * it, against arbitrary buffers. An input is one ioctl: its first byte the command's
 * {@code _IOC_NR}, the rest the caller's buffer. For any input:
 * <ul>
 * <li>decoding either gives a call or fails with a {@link DmException} of the kernel's errnos,
 * with a message; nothing else is thrown, and the buffer sent is not modified;</li>
 * <li>executing it either succeeds, and the reply encodes into at most the bytes the caller
 * offered (its data_size, or what it sent), or fails with such a DmException;</li>
 * <li>a refused or failed ioctl leaves the core as it was ({@link MapperState}).</li>
 * </ul>
 * The core holds devices of every kind: with a live table, with an inactive one, suspended,
 * without a table, and one stacked on another. A DEV_WAIT that would block is cancelled (the
 * core's state unchanged). An ioctl that succeeded rebuilds the core for the next input.
 * The corpus ({@code IoctlFuzzTestInputs}) is the buffers dmsetup 1.02.185 sent ({@link Libdm}).
 */
class IoctlFuzzTest {

    /** What the kernel's dm-ioctl.c answers with, and dmd's core below it. */
    private static final Set<Errno> DOCUMENTED = EnumSet.of(Errno.EINVAL, Errno.ENOTTY, Errno.ENXIO, Errno.EBUSY,
            Errno.EEXIST, Errno.ENOMEM, Errno.EOVERFLOW, Errno.EPERM, Errno.ENOENT, Errno.ENOTBLK, Errno.EFAULT,
            Errno.ENODEV, Errno.EAGAIN, Errno.ENOSPC, Errno.EROFS);

    /** As in the libdm fixtures' device numbers. */
    private static final int MAJOR = 252;

    private DeviceMapper mapper;
    private ControlSession session;

    @FuzzTest(maxDuration = "10s")
    void ioctl(byte[] input) {
        if (input.length == 0) {
            return;
        }
        if (mapper == null) {
            populate();
        }
        int number = input[0] & 0xFF;
        byte[] buffer = Arrays.copyOfRange(input, 1, input.length);
        byte[] sent = buffer.clone();
        List<String> before = MapperState.describe(mapper);
        boolean succeeded = execute(number, buffer);
        assertTrue(Arrays.equals(sent, buffer), "the caller's buffer was modified");
        if (succeeded) {
            tearDown();
        } else {
            assertEquals(before, MapperState.describe(mapper), "a failed ioctl changed the core");
        }
    }

    /** Runs one ioctl; true if it succeeded. */
    private boolean execute(int number, byte[] buffer) {
        IoctlCall call;
        try {
            call = IoctlRequests.decode(number, buffer);
        } catch (DmException e) {
            checkDocumented(e);
            return false;
        }
        CompletableFuture<Replies.Reply> pending = session.execute(call.request());
        if (!pending.isDone()) {
            assertTrue(call.request() instanceof Requests.DevWait, () -> call.command() + " did not complete");
            pending.cancel(false);
            return false;
        }
        Replies.Reply reply;
        try {
            reply = pending.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof DmException dm) {
                checkDocumented(dm);
                return false;
            }
            throw new AssertionError(call.command() + " failed outside DmException", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
        ByteBuffer out;
        try {
            out = IoctlReplies.encode(call, reply);
        } catch (DmException e) {
            throw new AssertionError("the reply to " + call.command() + " could not be encoded", e);
        }
        // A VERSION may send only the version: then there is no data_size.
        long sent = buffer.length < DmIoctl.DATA_SIZE + Integer.BYTES ? buffer.length
                : Math.min(DmIoctl.u32(DmIoctl.view(buffer), DmIoctl.DATA_SIZE), buffer.length);
        long offered = Math.max(sent, DmIoctl.SIZE);
        assertTrue(out.remaining() <= offered, () -> "a reply of " + out.remaining() + " bytes to a caller that "
                + "offered " + offered);
        return true;
    }

    private static void checkDocumented(DmException e) {
        assertTrue(DOCUMENTED.contains(e.errno()), () -> "undocumented errno: " + e);
        assertFalse(e.getMessage() == null || e.getMessage().isBlank(), "an error without a message");
    }

    /**
     * test1 (live zero table, resumed), test2 (inactive table only), sus (suspended, with both),
     * bare (no table), stack (live linear over test1). Names as in the libdm fixtures.
     */
    private void populate() {
        mapper = DeviceMapper.builder().major(MAJOR).build();
        session = mapper.openSession();
        try {
            for (String module : ModuleIndex.shipped().loadableModules()) {
                mapper.modprobe(TestRequests.modprobe(module));
            }
            mapper.devCreate(TestRequests.create("test1", "uuid-test1"));
            mapper.tableLoad(TestRequests.load("test1", "0 2048 zero"));
            mapper.devSuspend(TestRequests.resume("test1"));
            mapper.devCreate(TestRequests.create("test2"));
            mapper.tableLoad(TestRequests.load("test2", "0 1024 error\n1024 1024 zero"));
            mapper.devCreate(TestRequests.create("sus"));
            mapper.tableLoad(TestRequests.load("sus", "0 8 zero"));
            mapper.devSuspend(TestRequests.resume("sus"));
            mapper.tableLoad(TestRequests.load("sus", "0 16 error"));
            mapper.devSuspend(TestRequests.suspend("sus"));
            mapper.devCreate(TestRequests.create("bare"));
            mapper.devCreate(TestRequests.create("stack"));
            String test1 = mapper.devStatus(TestRequests.status("test1")).dev();
            mapper.tableLoad(TestRequests.load("stack", "0 1024 linear " + test1 + " 512"));
            mapper.devSuspend(TestRequests.resume("stack"));
        } catch (DmException e) {
            fail("cannot set up the core", e);
        }
    }

    @AfterEach
    void tearDown() {
        if (mapper != null) {
            session.close();
            mapper.close();
            mapper = null;
        }
    }
}

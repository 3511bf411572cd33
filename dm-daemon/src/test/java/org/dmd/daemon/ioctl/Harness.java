package org.dmd.daemon.ioctl;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.dmd.core.control.ControlSession;
import org.dmd.core.control.DeviceMapper;
import org.dmd.core.control.Replies;
import org.dmd.core.control.Requests;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;

/**
 * The codec around a real core, as the daemon runs it but without a socket: decode, execute on a
 * session, encode. What a request does to the core can then be checked through the core itself.
 */
final class Harness implements AutoCloseable {

    /** ioctl's outcome: errno null on success, and the bytes copied back. */
    record Outcome(Errno errno, byte[] bytes) {
        ByteBuffer view() {
            return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        }

        int flags() {
            return view().getInt(28);
        }

        int dataSize() {
            return view().getInt(12);
        }

        int targetCount() {
            return view().getInt(20);
        }

        long dev() {
            return view().getLong(40);
        }

        String string(int offset) {
            int end = offset;
            while (bytes[end] != 0) {
                end++;
            }
            return new String(bytes, offset, end - offset, StandardCharsets.UTF_8);
        }
    }

    final DeviceMapper mapper;
    private final ControlSession session;

    Harness(int major) {
        mapper = DeviceMapper.builder().major(major).build();
        session = mapper.openSession();
    }

    Outcome ioctl(int number, byte[] buffer) {
        IoctlCall call;
        try {
            call = IoctlRequests.decode(number, buffer);
        } catch (DmException e) {
            return new Outcome(e.errno(), new byte[0]);
        }
        try {
            Replies.Reply reply = session.execute(call.request()).get();
            ByteBuffer out = IoctlReplies.encode(call, reply);
            byte[] bytes = new byte[out.remaining()];
            out.get(bytes);
            return new Outcome(null, bytes);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof DmException dm) {
                return new Outcome(dm.errno(), new byte[0]);
            }
            throw new AssertionError(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        } catch (DmException e) {
            throw new AssertionError("the reply could not be encoded", e);
        }
    }

    Outcome ioctl(Libdm.Captured captured) {
        return ioctl(captured.number(), captured.buffer());
    }

    /** Runs a fixture and requires success. */
    Outcome ok(String fixture) {
        Outcome outcome = ioctl(Libdm.fixture(fixture));
        if (outcome.errno() != null) {
            throw new AssertionError(fixture + " failed with " + outcome.errno());
        }
        return outcome;
    }

    List<Replies.NameEntry> devices() {
        return mapper.listDevices(new Requests.ListDevices(null, null, Set.of())).devices();
    }

    @Override
    public void close() {
        session.close();
        mapper.close();
    }
}

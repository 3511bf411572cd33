package org.dmd.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.dmd.core.errno.Errno;

/**
 * The JSON control protocol's decoders (FrameDecoder, RequestDecoder, WireFormat) against
 * arbitrary bytes, on an EmbeddedChannel. For any stream:
 * <ul>
 * <li>nothing but an {@link Inbound.Call} or an {@link Inbound.Refused} comes out, and nothing is thrown;</li>
 * <li>a refusal is EINVAL (malformed or mistyped), ENOTTY (unknown command) or EMSGSIZE (oversized
 * frame, which ends the stream), with a message;</li>
 * <li>a call's request is of its command's request type;</li>
 * <li>the frames are those of the length prefixes (a reference walk of the stream), however the
 * bytes are split across reads;</li>
 * <li>a frame over the limit is refused as soon as its 4 length bytes have arrived, before its
 * body: nothing is buffered for it.</li>
 * </ul>
 * The corpus ({@code JsonFrameFuzzTestInputs}) holds framed requests of every shape.
 */
class JsonFrameFuzzTest {

    /** Small, so that the fuzzer reaches the limit easily. */
    static final int MAX_FRAME = 4096;
    private static final WireFormat WIRE = new WireFormat();
    private static final Set<Errno> DOCUMENTED = Set.of(Errno.EINVAL, Errno.ENOTTY, Errno.EMSGSIZE);

    @FuzzTest(maxDuration = "10s")
    void decode(byte[] stream) {
        Framing framing = walk(stream);
        List<Object> whole = decode(stream, List.of());
        checkShape(whole, framing.frames());
        // Split at the first oversized header's 4 bytes (so the refusal must come before the body),
        // or somewhere the stream's first byte picks.
        int oversized = framing.oversizedAt();
        int split = oversized >= 0 ? oversized + FrameDecoder.LENGTH_BYTES
                : stream.length == 0 ? 0 : (stream[0] & 0xFF) % (stream.length + 1);
        List<Object> firstPart = new ArrayList<>();
        List<Object> parts = decode(stream, List.of(split), firstPart);
        assertEquals(describe(whole), describe(parts), "the frames depend on how the bytes were split");
        if (oversized >= 0) {
            Object last = firstPart.isEmpty() ? null : firstPart.get(firstPart.size() - 1);
            assertInstanceOf(Inbound.Refused.class, last, "the oversized frame was not refused at its header");
            assertEquals(Errno.EMSGSIZE, ((Inbound.Refused) last).error().errno());
        }
    }

    /** Decodes {@code stream} written in pieces cut at {@code cuts}. */
    private static List<Object> decode(byte[] stream, List<Integer> cuts) {
        return decode(stream, cuts, new ArrayList<>());
    }

    private static List<Object> decode(byte[] stream, List<Integer> cuts, List<Object> afterFirstCut) {
        EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder(MAX_FRAME), new RequestDecoder(WIRE));
        List<Object> out = new ArrayList<>();
        int from = 0;
        List<Integer> bounds = new ArrayList<>(cuts);
        bounds.add(stream.length);
        for (int i = 0; i < bounds.size(); i++) {
            int to = bounds.get(i);
            channel.writeInbound(Unpooled.wrappedBuffer(stream, from, to - from));
            drain(channel, out);
            if (i == 0) {
                afterFirstCut.addAll(out);
            }
            from = to;
        }
        channel.finishAndReleaseAll();
        return out;
    }

    private static void drain(EmbeddedChannel channel, List<Object> out) {
        for (Object message = channel.readInbound(); message != null; message = channel.readInbound()) {
            out.add(message);
        }
    }

    private static void checkShape(List<Object> messages, int frames) {
        for (int i = 0; i < messages.size(); i++) {
            Object message = messages.get(i);
            if (message instanceof Inbound.Call call) {
                assertTrue(call.command().requestType().isInstance(call.request()), () -> call + " has the wrong type");
            } else if (message instanceof Inbound.Refused refused) {
                Errno errno = refused.error().errno();
                assertTrue(DOCUMENTED.contains(errno), () -> "undocumented errno in " + refused);
                assertFalse(refused.error().getMessage().isBlank(), "a refusal without a message");
                assertEquals(errno == Errno.EMSGSIZE, refused.closeAfter(), refused::toString);
                if (errno == Errno.EMSGSIZE) {
                    assertEquals(messages.size() - 1, i, "something was decoded after an oversized frame");
                }
            } else {
                fail("the decoders passed on " + message);
            }
        }
        assertEquals(frames, messages.size(), "one message per frame");
    }

    /** The stream's frames by their length prefixes: how many, and where the first oversized prefix is (or -1). */
    private record Framing(int frames, int oversizedAt) {
    }

    private static Framing walk(byte[] stream) {
        int frames = 0;
        ByteBuffer in = ByteBuffer.wrap(stream);
        while (in.remaining() >= FrameDecoder.LENGTH_BYTES) {
            long length = Integer.toUnsignedLong(in.getInt(in.position()));
            if (length > MAX_FRAME) {
                return new Framing(frames + 1, in.position());
            }
            if (in.remaining() < FrameDecoder.LENGTH_BYTES + length) {
                break;
            }
            in.position(in.position() + FrameDecoder.LENGTH_BYTES + (int) length);
            frames++;
        }
        return new Framing(frames, -1);
    }

    /** Messages compared by what they say (a request's records compare by value). */
    private static List<String> describe(List<Object> messages) {
        List<String> described = new ArrayList<>();
        for (Object message : messages) {
            described.add(message instanceof Inbound.Refused r
                    ? "refused " + r.id() + " " + r.error().errno() + " " + r.error().getMessage() + " " + r.closeAfter()
                    : String.valueOf(message));
        }
        return described;
    }
}

package org.dmd.client;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.dmd.core.control.Command;
import org.dmd.core.control.Replies;
import org.dmd.core.control.Replies.Reply;
import org.dmd.core.control.Requests.Request;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;

/**
 * The wire protocol's JSON: requests out, replies and pushed events in (frames themselves are
 * {@link FrameChannel}'s). The records travel through {@link RecordCodec}; the ObjectMapper,
 * built once and only when asked for, serves JSON meant for people and scripts
 * ({@code dmctl --json}).
 */
public final class WireCodec {

    private static final Map<Command, Class<? extends Reply>> REPLY_TYPES = replyTypes();

    private WireCodec() {
    }

    /** The process's one ObjectMapper (records as objects, null members left out), built on first use. */
    public static ObjectMapper mapper() {
        return Holder.MAPPER;
    }

    private static final class Holder {
        static final ObjectMapper MAPPER = new ObjectMapper()
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .setDefaultPropertyInclusion(JsonInclude.Include.NON_NULL);
    }

    /** The reply record a command answers with. */
    public static Class<? extends Reply> replyType(Command command) {
        return REPLY_TYPES.get(command);
    }

    private static Map<Command, Class<? extends Reply>> replyTypes() {
        Map<Command, Class<? extends Reply>> types = new EnumMap<>(Command.class);
        types.put(Command.VERSION, Replies.DriverVersion.class);
        types.put(Command.REMOVE_ALL, Replies.RemoveAllDone.class);
        types.put(Command.LIST_DEVICES, Replies.Names.class);
        types.put(Command.DEV_CREATE, Replies.DeviceInfo.class);
        types.put(Command.DEV_REMOVE, Replies.Removed.class);
        types.put(Command.DEV_RENAME, Replies.DeviceInfo.class);
        types.put(Command.DEV_SUSPEND, Replies.DeviceInfo.class);
        types.put(Command.DEV_STATUS, Replies.DeviceInfo.class);
        types.put(Command.DEV_WAIT, Replies.TableLines.class);
        types.put(Command.TABLE_LOAD, Replies.DeviceInfo.class);
        types.put(Command.TABLE_CLEAR, Replies.DeviceInfo.class);
        types.put(Command.TABLE_DEPS, Replies.Deps.class);
        types.put(Command.TABLE_STATUS, Replies.TableLines.class);
        types.put(Command.LIST_VERSIONS, Replies.TargetVersions.class);
        types.put(Command.TARGET_MSG, Replies.MessageOutput.class);
        types.put(Command.DEV_SET_GEOMETRY, Replies.Done.class);
        types.put(Command.DEV_ARM_POLL, Replies.PollArmed.class);
        types.put(Command.GET_TARGET_VERSION, Replies.TargetVersions.class);
        types.put(Command.BLOCK_OPEN, Replies.BlockOpened.class);
        types.put(Command.BLOCK_CLOSE, Replies.Done.class);
        types.put(Command.LOOP_ATTACH, Replies.LoopInfo.class);
        types.put(Command.LOOP_DETACH, Replies.Done.class);
        types.put(Command.LOOP_LIST, Replies.Loops.class);
        types.put(Command.MODPROBE, Replies.ModprobeDone.class);
        types.put(Command.LSMOD, Replies.Modules.class);
        types.put(Command.SHUTDOWN, Replies.ShutdownDone.class);
        types.put(Command.UDEV_CREATE_COOKIE, Replies.Cookie.class);
        types.put(Command.UDEV_COMPLETE, Replies.Done.class);
        types.put(Command.UDEV_RELEASE_COOKIE, Replies.Done.class);
        types.put(Command.UDEV_COOKIES, Replies.Cookies.class);
        types.put(Command.UDEV_COMPLETE_ALL, Replies.Done.class);
        types.put(Command.MONITOR, Replies.Subscribed.class);
        return Collections.unmodifiableMap(types);
    }

    /** {@code {"id": id, "command": NAME, ...the request's components}}, null components left out. */
    public static byte[] encode(long id, Request request) {
        return RecordCodec.request(id, Command.of(request).name(), (Record) request);
    }

    /** Parses one frame into its JSON object (members in the frame's order), or fails with EPROTO. */
    static Map<String, Object> parse(byte[] frame) throws DmException {
        Object value;
        try {
            value = RecordCodec.parse(frame);
        } catch (IOException e) {
            throw new ConnectionException(Errno.EPROTO, "dmd sent malformed JSON: %s", e.getMessage());
        }
        if (!(value instanceof Map<?, ?> map)) {
            throw new ConnectionException(Errno.EPROTO, "dmd sent a frame that is not a JSON object");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> object = (Map<String, Object>) map;
        return object;
    }

    /** True for a pushed event (no {@code id}, an {@code event} member). */
    static boolean isEvent(Map<String, Object> frame) {
        return frame.containsKey("event");
    }

    /** The reply of this type, or the daemon's failure as a DmException with its errno and message. */
    static <R extends Reply> R reply(Map<String, Object> frame, Class<R> type) throws DmException {
        if (!(frame.get("errno") instanceof Long errno)) {
            throw new ConnectionException(Errno.EPROTO, "dmd sent a reply without an errno");
        }
        if (errno != 0) {
            throw failure(errno.intValue(), frame);
        }
        try {
            return RecordCodec.bind(frame, type);
        } catch (RuntimeException e) {
            throw new ConnectionException(Errno.EPROTO, "dmd sent a %s reply that does not fit: %s",
                    type.getSimpleName(), e.getMessage());
        }
    }

    private static DmException failure(int number, Map<String, Object> frame) {
        Errno errno = Errno.ofNumber(number);
        String message = frame.get("message") instanceof String s ? s : "";
        if (errno == null) {
            // An errno dmd's table does not name: keep its name in the text rather than lose it.
            String name = frame.get("error") instanceof String s ? s : "errno " + number;
            return new DmException(Errno.EIO, "%s (%s)", message, name);
        }
        return new DmException(errno, message.isEmpty() ? errno.strerror() : message);
    }

    /** A pushed event. */
    static MonitorEvent event(Map<String, Object> frame) throws DmException {
        String kind = String.valueOf(frame.get("event"));
        switch (kind) {
            case "uevent":
                Map<String, String> env = new LinkedHashMap<>();
                if (frame.get("env") instanceof Map<?, ?> map) {
                    map.forEach((k, v) -> env.put(String.valueOf(k), String.valueOf(v)));
                }
                return new MonitorEvent.Uevent(number(frame, "seqnum"), text(frame, "action"), text(frame, "subsystem"),
                        text(frame, "devpath"), Collections.unmodifiableMap(env));
            case "kernel":
                return new MonitorEvent.KernelMessage(number(frame, "seqnum"), text(frame, "level"),
                        text(frame, "text"));
            case "dropped":
                return new MonitorEvent.Dropped(number(frame, "count"));
            default:
                throw new ConnectionException(Errno.EPROTO, "dmd sent an event of unknown kind '%s'", kind);
        }
    }

    private static long number(Map<String, Object> frame, String member) {
        return frame.get(member) instanceof Number n ? n.longValue() : 0;
    }

    private static String text(Map<String, Object> frame, String member) {
        Object value = frame.get(member);
        return value == null ? "" : value.toString();
    }
}

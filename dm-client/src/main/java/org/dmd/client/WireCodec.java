package org.dmd.client;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.dmd.core.control.Command;
import org.dmd.core.control.Replies;
import org.dmd.core.control.Replies.Reply;
import org.dmd.core.control.Requests.Request;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;

/**
 * The JSON side of the wire protocol: requests out, replies and pushed events in. Holds the one
 * ObjectMapper of the process, built on first use (it is the costliest object the client makes).
 */
public final class WireCodec {

    private static final Map<Command, Class<? extends Reply>> REPLY_TYPES = replyTypes();

    private WireCodec() {
    }

    /** The mapper shared by the client and dmctl's {@code --json} output. */
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
        ObjectMapper mapper = mapper();
        ObjectNode frame = mapper.createObjectNode();
        frame.put("id", id);
        frame.put("command", Command.of(request).name());
        JsonNode fields = mapper.valueToTree(request);
        fields.properties().forEach(field -> frame.set(field.getKey(), field.getValue()));
        try {
            return mapper.writeValueAsBytes(frame);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a request record did not serialise", e);
        }
    }

    /** Parses one frame into a JSON object, or fails with EPROTO. */
    static JsonNode parse(byte[] frame) throws DmException {
        try {
            JsonNode node = mapper().readTree(frame);
            if (node == null || !node.isObject()) {
                throw new ConnectionException(Errno.EPROTO, "dmd sent a frame that is not a JSON object");
            }
            return node;
        } catch (IOException e) {
            throw new ConnectionException(Errno.EPROTO, "dmd sent malformed JSON: %s", e.getMessage());
        }
    }

    /** True for a pushed event (no {@code id}, an {@code event} member). */
    static boolean isEvent(JsonNode frame) {
        return frame.has("event");
    }

    /** The reply to {@code command}, or the daemon's failure as a DmException with its errno and message. */
    static <R extends Reply> R reply(JsonNode frame, Class<R> type) throws DmException {
        JsonNode errno = frame.get("errno");
        if (errno == null || !errno.canConvertToInt()) {
            throw new ConnectionException(Errno.EPROTO, "dmd sent a reply without an errno");
        }
        if (errno.intValue() != 0) {
            throw failure(errno.intValue(), frame);
        }
        try {
            return mapper().treeToValue(frame, type);
        } catch (IOException e) {
            throw new ConnectionException(Errno.EPROTO, "dmd sent a %s reply that does not fit: %s", type.getSimpleName(),
                    e.getMessage());
        }
    }

    private static DmException failure(int number, JsonNode frame) {
        Errno errno = Errno.ofNumber(number);
        String message = frame.path("message").asText("");
        if (errno == null) {
            // An errno dmd's table does not name: keep the number in the text rather than lose it.
            String name = frame.path("error").asText("errno " + number);
            return new DmException(Errno.EIO, "%s (%s)", message, name);
        }
        return new DmException(errno, message.isEmpty() ? errno.strerror() : message);
    }

    /** A pushed event. */
    static MonitorEvent event(JsonNode frame) throws DmException {
        String kind = frame.path("event").asText();
        switch (kind) {
            case "uevent":
                Map<String, String> env = new LinkedHashMap<>();
                for (Iterator<Map.Entry<String, JsonNode>> it = frame.path("env").properties().iterator(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    env.put(e.getKey(), e.getValue().asText());
                }
                return new MonitorEvent.Uevent(frame.path("seqnum").asLong(), frame.path("action").asText(),
                        frame.path("subsystem").asText(), frame.path("devpath").asText(),
                        Collections.unmodifiableMap(env));
            case "kernel":
                return new MonitorEvent.KernelMessage(frame.path("seqnum").asLong(), frame.path("level").asText(),
                        frame.path("text").asText());
            case "dropped":
                return new MonitorEvent.Dropped(frame.path("count").asLong());
            default:
                throw new ConnectionException(Errno.EPROTO, "dmd sent an event of unknown kind '%s'", kind);
        }
    }
}

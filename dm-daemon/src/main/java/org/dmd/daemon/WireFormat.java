package org.dmd.daemon;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonSetter;
import com.fasterxml.jackson.annotation.Nulls;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.dmd.core.control.Command;
import org.dmd.core.control.DmFlag;
import org.dmd.core.control.Requests.Request;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.dmd.core.event.KernelMessage;
import org.dmd.core.event.Uevent;

/**
 * The JSON of the wire protocol (dm-daemon/PROTOCOL.md): requests in, replies and events out.
 *
 * <p>Reading is strict: an unknown field, a value of the wrong JSON type (no string-to-number or
 * number-to-string coercion), trailing data or a duplicate key is an error, reported with the
 * field's path and what it should have been. Absent fields read as null, 0, false or empty.
 * Thread-safe: the mapper is configured once and only used afterwards.
 */
final class WireFormat {

    /** Requests are shallow (a table's targets are the deepest part); anything deeper is garbage. */
    private static final int MAX_NESTING = 16;

    private final JsonMapper mapper;

    WireFormat() {
        JsonFactory factory = JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING).build())
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .build();
        mapper = JsonMapper.builder(factory)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
                .enable(MapperFeature.ACCEPT_CASE_INSENSITIVE_ENUMS)
                .withCoercionConfigDefaults(config -> {
                    for (CoercionInputShape shape : CoercionInputShape.values()) {
                        config.setCoercion(shape, CoercionAction.Fail);
                    }
                })
                .withConfigOverride(Set.class, o -> o.setSetterInfo(JsonSetter.Value.forValueNulls(Nulls.AS_EMPTY)))
                .withConfigOverride(List.class, o -> o.setSetterInfo(JsonSetter.Value.forValueNulls(Nulls.AS_EMPTY)))
                .defaultPropertyInclusion(JsonInclude.Value.construct(JsonInclude.Include.NON_NULL,
                        JsonInclude.Include.USE_DEFAULTS))
                .build();
    }

    // ------------------------------------------------------------------ requests

    /** Reads one frame's request; never throws: what cannot be executed comes back {@link Inbound.Refused}. */
    Inbound readRequest(InputStream frame) {
        JsonNode tree;
        try {
            tree = mapper.readTree(frame);
        } catch (JsonProcessingException e) {
            return refused(null, Errno.EINVAL, "malformed JSON" + at(e.getLocation()) + ": " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (tree == null || !tree.isObject()) {
            return refused(null, Errno.EINVAL, "a request is one JSON object, not "
                    + (tree == null || tree.isMissingNode() ? "an empty frame" : "a " + kind(tree)));
        }
        JsonNode idNode = tree.get("id");
        if (idNode == null || !idNode.isIntegralNumber() || !idNode.canConvertToLong()) {
            return refused(null, Errno.EINVAL, "a request needs an integer \"id\""
                    + (idNode == null ? "" : ", not " + kind(idNode)));
        }
        long id = idNode.longValue();
        JsonNode commandNode = tree.get("command");
        if (commandNode == null || !commandNode.isTextual()) {
            return refused(id, Errno.EINVAL, "a request needs a \"command\" string"
                    + (commandNode == null ? "" : ", not " + kind(commandNode)));
        }
        Command command = Command.named(commandNode.textValue());
        if (command == null) {
            return refused(id, Errno.ENOTTY, "unknown command \"" + commandNode.textValue() + "\"");
        }
        ObjectNode fields = ((ObjectNode) tree).deepCopy();
        fields.remove(List.of("id", "command"));
        try {
            Request request = mapper.treeToValue(fields, command.requestType());
            return new Inbound.Call(id, command, request);
        } catch (JsonMappingException e) {
            return refused(id, Errno.EINVAL, command + ": " + describe(e));
        } catch (JsonProcessingException e) {
            return refused(id, Errno.EINVAL, command + ": " + e.getOriginalMessage());
        }
    }

    private static Inbound.Refused refused(Long id, Errno errno, String message) {
        return new Inbound.Refused(id, new DmException(errno, message), false);
    }

    private static String at(JsonLocation location) {
        return location == null || location.getCharOffset() < 0 && location.getByteOffset() < 0 ? ""
                : " at offset " + Math.max(location.getCharOffset(), location.getByteOffset());
    }

    private static String kind(JsonNode node) {
        switch (node.getNodeType()) {
            case ARRAY:
                return "an array";
            case OBJECT:
                return "an object";
            case STRING:
                return "a string";
            case NUMBER:
                return "the number " + node.asText();
            case BOOLEAN:
                return node.asText();
            case NULL:
                return "null";
            default:
                return node.getNodeType().toString().toLowerCase(Locale.ROOT);
        }
    }

    /** A mapping failure as a sentence naming the field ({@code targets[0].length}) and what it should be. */
    private static String describe(JsonMappingException e) {
        if (e instanceof UnrecognizedPropertyException unknown) {
            return "unknown field \"" + path(e.getPath()) + "\"" + knownFields(unknown.getReferringClass(),
                    unknown.getKnownPropertyIds());
        }
        String field = "field \"" + path(e.getPath()) + "\"";
        if (e instanceof InvalidFormatException invalid && invalid.getTargetType() == DmFlag.class
                && invalid.getValue() instanceof String flag) {
            return field + ": unknown flag \"" + flag + "\" (flags: " + Arrays.stream(DmFlag.values())
                    .map(Enum::name).collect(Collectors.joining(", ")) + ")";
        }
        if (e instanceof MismatchedInputException mismatch && mismatch.getTargetType() != null) {
            return field + " must be " + expected(mismatch.getTargetType());
        }
        return field + ": " + e.getOriginalMessage();
    }

    private static String path(List<JsonMappingException.Reference> path) {
        StringBuilder out = new StringBuilder();
        for (JsonMappingException.Reference step : path) {
            if (step.getFieldName() != null) {
                out.append(out.length() == 0 ? "" : ".").append(step.getFieldName());
            } else if (step.getIndex() >= 0) {
                out.append('[').append(step.getIndex()).append(']');
            }
        }
        return out.toString();
    }

    private static String knownFields(Class<?> type, Collection<Object> known) {
        if (type != null && type.isRecord()) {
            RecordComponent[] components = type.getRecordComponents();
            return components.length == 0 ? " (it takes none)" : " (fields: " + Arrays.stream(components)
                    .map(RecordComponent::getName).collect(Collectors.joining(", ")) + ")";
        }
        return known == null ? "" : " (fields: " + known.stream().map(String::valueOf).sorted()
                .collect(Collectors.joining(", ")) + ")";
    }

    private static String expected(Class<?> type) {
        if (type == String.class) {
            return "a string";
        }
        if (type == long.class || type == Long.class || type == int.class || type == Integer.class) {
            return "an integer";
        }
        if (type == boolean.class || type == Boolean.class) {
            return "true or false";
        }
        if (Collection.class.isAssignableFrom(type)) {
            return "an array";
        }
        if (type == DmFlag.class) {
            return "a flag name";
        }
        if (type.isRecord()) {
            return "an object";
        }
        return "a " + type.getSimpleName();
    }

    // ------------------------------------------------------------------ replies and events

    /** Writes one outbound message as a JSON object. */
    void write(Outbound message, OutputStream out) throws IOException {
        mapper.writeValue(out, tree(message));
    }

    private ObjectNode tree(Outbound message) {
        ObjectNode node = mapper.createObjectNode();
        if (message instanceof Outbound.Answer answer) {
            node.put("id", answer.id());
            node.put("errno", 0);
            node.put("message", "");
            node.setAll((ObjectNode) mapper.valueToTree(answer.reply()));
        } else if (message instanceof Outbound.Failure failure) {
            if (failure.id() == null) {
                node.putNull("id");
            } else {
                node.put("id", failure.id());
            }
            node.put("errno", failure.errno().number());
            node.put("error", failure.errno().name());
            node.put("message", failure.message());
        } else if (message instanceof Outbound.Notice notice) {
            eventTree(notice, node);
        } else {
            node.put("event", "dropped");
            node.put("count", ((Outbound.Dropped) message).count());
        }
        return node;
    }

    private void eventTree(Outbound.Notice notice, ObjectNode node) {
        if (notice.event() instanceof Uevent uevent) {
            node.put("event", "uevent");
            node.put("seqnum", uevent.seqnum());
            node.put("action", uevent.action().text());
            node.put("subsystem", uevent.subsystem());
            node.put("devpath", uevent.devpath());
            node.set("env", mapper.valueToTree(new TreeMap<>(uevent.env())));
        } else {
            KernelMessage kernel = (KernelMessage) notice.event();
            node.put("event", "kernel");
            node.put("seqnum", kernel.seqnum());
            node.put("level", kernel.level().name());
            node.put("text", kernel.text());
        }
    }
}

package org.dmd.daemon;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonSetter;
import com.fasterxml.jackson.annotation.JsonUnwrapped;
import com.fasterxml.jackson.annotation.Nulls;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.util.TokenBuffer;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.lang.reflect.RecordComponent;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collection;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.dmd.core.control.Command;
import org.dmd.core.control.DmFlag;
import org.dmd.core.control.Replies.Reply;
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
    /** Binds the fields of each command's request to its record. */
    private final Map<Command, ObjectReader> requestReaders;

    WireFormat() {
        JsonFactory factory = JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING).build())
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .build();
        mapper = JsonMapper.builder(factory)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
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
        requestReaders = new EnumMap<>(Command.class);
        for (Command command : Command.values()) {
            requestReaders.put(command, mapper.readerFor(command.requestType()));
        }
    }

    // ------------------------------------------------------------------ requests

    /**
     * Reads one frame's request; never throws: what cannot be executed comes back {@link Inbound.Refused}.
     * The frame is read through once, its syntax checked to the end before anything else (a
     * malformed frame has no id to answer to); the command's fields are then bound to its record.
     */
    Inbound readRequest(InputStream frame) {
        Envelope envelope;
        try (JsonParser json = mapper.createParser(utf8(frame))) {
            envelope = readEnvelope(json);
        } catch (JsonProcessingException e) {
            return refused(null, Errno.EINVAL, "malformed JSON" + at(e.getLocation()) + ": " + e.getOriginalMessage());
        } catch (CharacterCodingException e) {
            return refused(null, Errno.EINVAL, "malformed JSON: the frame is not UTF-8 (" + e.getMessage() + ")");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (envelope.notAnObject() != null) {
            return refused(null, Errno.EINVAL, "a request is one JSON object, not " + envelope.notAnObject());
        }
        if (envelope.id() == null) {
            return refused(null, Errno.EINVAL, "a request needs an integer \"id\"" + not(envelope.badId()));
        }
        long id = envelope.id();
        if (envelope.command() == null) {
            return refused(id, Errno.EINVAL, "a request needs a \"command\" string" + not(envelope.badCommand()));
        }
        Command command = Command.named(envelope.command());
        if (command == null) {
            return refused(id, Errno.ENOTTY, "unknown command \"" + envelope.command() + "\"");
        }
        try (JsonParser fields = envelope.fields().asParser()) {
            return new Inbound.Call(id, command, requestReaders.get(command).readValue(fields));
        } catch (JsonMappingException e) {
            return refused(id, Errno.EINVAL, command + ": " + describe(e));
        } catch (JsonProcessingException e) {
            return refused(id, Errno.EINVAL, command + ": " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The frame's characters, decoded strictly as UTF-8. Given the bytes, Jackson would guess the
     * encoding from the first four (a NUL among them means UTF-16 or UTF-32), and an invalid
     * UTF-32 unit would then fail outside its JSON errors; the protocol is UTF-8 only.
     */
    private static Reader utf8(InputStream frame) {
        return new InputStreamReader(frame, StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT));
    }

    /**
     * One frame read through: {@code notAnObject} says what it is if it is not an object;
     * otherwise {@code id} and {@code command} are set if they have the right type, else
     * {@code badId} and {@code badCommand} say what they were, and {@code fields} holds the
     * other members, as an object to bind.
     */
    private record Envelope(String notAnObject, Long id, String badId, String command, String badCommand,
                            TokenBuffer fields) {
    }

    private static Envelope readEnvelope(JsonParser json) throws IOException {
        JsonToken first = json.nextToken();
        if (first != JsonToken.START_OBJECT) {
            String kind = first == null ? "an empty frame" : kind(json);
            expectEnd(json);
            return new Envelope(kind, null, null, null, null, null);
        }
        Long id = null;
        String badId = null;
        String command = null;
        String badCommand = null;
        TokenBuffer fields = new TokenBuffer(json);
        fields.writeStartObject();
        for (String name = json.nextFieldName(); name != null; name = json.nextFieldName()) {
            JsonToken value = json.nextToken();
            if (name.equals("id")) {
                if (value == JsonToken.VALUE_NUMBER_INT && json.getNumberType() != JsonParser.NumberType.BIG_INTEGER) {
                    id = json.getLongValue();
                } else {
                    badId = kind(json);
                }
            } else if (name.equals("command")) {
                if (value == JsonToken.VALUE_STRING) {
                    command = json.getText();
                } else {
                    badCommand = kind(json);
                }
            } else {
                fields.writeFieldName(name);
                fields.copyCurrentStructure(json);
            }
        }
        fields.writeEndObject();
        expectEnd(json);
        return new Envelope(null, id, badId, command, badCommand, fields);
    }

    /** After the frame's one value: anything more is malformed. */
    private static void expectEnd(JsonParser json) throws IOException {
        if (json.nextToken() != null) {
            throw new JsonParseException(json, "trailing data after the JSON value");
        }
    }

    private static String not(String kind) {
        return kind == null ? "" : ", not " + kind;
    }

    private static Inbound.Refused refused(Long id, Errno errno, String message) {
        return new Inbound.Refused(id, new DmException(errno, message), false);
    }

    private static String at(JsonLocation location) {
        return location == null || location.getCharOffset() < 0 && location.getByteOffset() < 0 ? ""
                : " at offset " + Math.max(location.getCharOffset(), location.getByteOffset());
    }

    /** What the parser's current value is, for a message; skips the value's contents. */
    private static String kind(JsonParser json) throws IOException {
        switch (json.currentToken()) {
            case START_ARRAY:
                json.skipChildren();
                return "an array";
            case START_OBJECT:
                json.skipChildren();
                return "an object";
            case VALUE_STRING:
                return "a string";
            case VALUE_NUMBER_INT:
            case VALUE_NUMBER_FLOAT:
                return "the number " + json.getText();
            case VALUE_NULL:
                return "null";
            default:
                return json.getText();
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
        mapper.writeValue(out, json(message));
    }

    /** The record whose JSON is the message: its components are the members, in wire order. */
    private static Record json(Outbound message) {
        if (message instanceof Outbound.Answer answer) {
            return new AnswerJson(answer.id(), 0, "", answer.reply());
        }
        if (message instanceof Outbound.Failure failure) {
            return new FailureJson(failure.id(), failure.errno().number(), failure.errno().name(), failure.message());
        }
        if (message instanceof Outbound.Notice notice) {
            if (notice.event() instanceof Uevent uevent) {
                return new UeventJson("uevent", uevent.seqnum(), uevent.action().text(), uevent.subsystem(),
                        uevent.devpath(), new TreeMap<>(uevent.env()));
            }
            KernelMessage kernel = (KernelMessage) notice.event();
            return new KernelJson("kernel", kernel.seqnum(), kernel.level().name(), kernel.text());
        }
        return new DroppedJson("dropped", ((Outbound.Dropped) message).count());
    }

    /** A successful reply: the envelope, then the reply's own members. */
    private record AnswerJson(long id, int errno, String message, @JsonUnwrapped Reply reply) {
    }

    /** An error reply; an id that could not be read is written as null. */
    private record FailureJson(@JsonInclude(JsonInclude.Include.ALWAYS) Long id, int errno, String error,
                               String message) {
    }

    /** A uevent, its environment in key order. */
    private record UeventJson(String event, long seqnum, String action, String subsystem, String devpath,
                              TreeMap<String, String> env) {
    }

    private record KernelJson(String event, long seqnum, String level, String text) {
    }

    private record DroppedJson(String event, long count) {
    }
}

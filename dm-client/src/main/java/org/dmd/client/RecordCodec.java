package org.dmd.client;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The wire's JSON for the request and reply records, with Jackson's streaming API: a record is an
 * object of its components by name (null components left out), enums are their names, sets and
 * lists are arrays — the shape Jackson's ObjectMapper gives records by default. It exists so that
 * a short-lived dmctl does not pay for building an ObjectMapper (the bulk of its JSON start-up
 * cost); replies are read into plain maps and lists, then bound to the records by reflection.
 *
 * <p>Stateless apart from the immutable factory and the per-class constructor cache; thread-safe.
 */
final class RecordCodec {

    private static final JsonFactory FACTORY = new JsonFactory();

    /** A record type's components and canonical constructor. */
    private record Shape(RecordComponent[] components, Constructor<?> constructor) {
    }

    private static final ClassValue<Shape> SHAPES = new ClassValue<>() {
        @Override
        protected Shape computeValue(Class<?> type) {
            RecordComponent[] components = type.getRecordComponents();
            Class<?>[] parameters = new Class<?>[components.length];
            for (int i = 0; i < components.length; i++) {
                parameters[i] = components[i].getType();
            }
            try {
                return new Shape(components, type.getDeclaredConstructor(parameters));
            } catch (NoSuchMethodException e) {
                throw new IllegalStateException(type + " has no canonical constructor", e);
            }
        }
    };

    private RecordCodec() {
    }

    // ------------------------------------------------------------------ writing

    /** {@code {"id": id, "command": command, ...components}}. */
    static byte[] request(long id, String command, Record request) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator json = FACTORY.createGenerator(out)) {
            json.writeStartObject();
            json.writeNumberField("id", id);
            json.writeStringField("command", command);
            writeComponents(json, request);
            json.writeEndObject();
        } catch (IOException e) {
            throw new IllegalStateException("writing JSON to memory failed", e);
        }
        return out.toByteArray();
    }

    private static void writeComponents(JsonGenerator json, Record record) throws IOException {
        for (RecordComponent component : SHAPES.get(record.getClass()).components()) {
            Object value = get(component, record);
            if (value != null) {
                json.writeFieldName(component.getName());
                write(json, value);
            }
        }
    }

    private static void write(JsonGenerator json, Object value) throws IOException {
        if (value instanceof String s) {
            json.writeString(s);
        } else if (value instanceof Long || value instanceof Integer) {
            json.writeNumber(((Number) value).longValue());
        } else if (value instanceof Boolean b) {
            json.writeBoolean(b);
        } else if (value instanceof Enum<?> e) {
            json.writeString(e.name());
        } else if (value instanceof Collection<?> collection) {
            json.writeStartArray();
            for (Object element : collection) {
                write(json, element);
            }
            json.writeEndArray();
        } else if (value instanceof Record record) {
            json.writeStartObject();
            writeComponents(json, record);
            json.writeEndObject();
        } else {
            throw new IllegalArgumentException("no JSON form for " + value.getClass());
        }
    }

    private static Object get(RecordComponent component, Record record) {
        try {
            return component.getAccessor().invoke(record);
        } catch (IllegalAccessException | InvocationTargetException e) {
            throw new IllegalStateException("cannot read " + component, e);
        }
    }

    // ------------------------------------------------------------------ reading

    /** Parses one JSON value into maps (in document order), lists, strings, longs, doubles, booleans and null. */
    static Object parse(byte[] json) throws IOException {
        try (JsonParser parser = FACTORY.createParser(json)) {
            JsonToken first = parser.nextToken();
            if (first == null) {
                throw new IOException("empty frame");
            }
            Object value = value(parser, first);
            if (parser.nextToken() != null) {
                throw new IOException("trailing data after the JSON value");
            }
            return value;
        }
    }

    private static Object value(JsonParser parser, JsonToken token) throws IOException {
        switch (token) {
            case START_OBJECT:
                Map<String, Object> object = new LinkedHashMap<>();
                for (JsonToken t = parser.nextToken(); t != JsonToken.END_OBJECT; t = parser.nextToken()) {
                    String name = parser.currentName();
                    object.put(name, value(parser, parser.nextToken()));
                }
                return object;
            case START_ARRAY:
                List<Object> array = new ArrayList<>();
                for (JsonToken t = parser.nextToken(); t != JsonToken.END_ARRAY; t = parser.nextToken()) {
                    array.add(value(parser, t));
                }
                return array;
            case VALUE_STRING:
                return parser.getText();
            case VALUE_NUMBER_INT:
                return parser.getLongValue();
            case VALUE_NUMBER_FLOAT:
                return parser.getDoubleValue();
            case VALUE_TRUE:
                return Boolean.TRUE;
            case VALUE_FALSE:
                return Boolean.FALSE;
            case VALUE_NULL:
                return null;
            default:
                throw new IOException("unexpected JSON token " + token);
        }
    }

    /**
     * Binds a parsed object to a record: members by component name, unknown members ignored,
     * missing ones null, 0, false or an empty collection; unknown enum names in sets are dropped.
     */
    static <R> R bind(Map<?, ?> object, Class<R> type) {
        Shape shape = SHAPES.get(type);
        RecordComponent[] components = shape.components();
        Object[] arguments = new Object[components.length];
        for (int i = 0; i < components.length; i++) {
            arguments[i] = convert(object.get(components[i].getName()), components[i].getGenericType());
        }
        try {
            return type.cast(shape.constructor().newInstance(arguments));
        } catch (InstantiationException | IllegalAccessException | InvocationTargetException e) {
            throw new IllegalArgumentException("cannot make a " + type.getSimpleName() + ": " + e, e);
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Object convert(Object value, Type type) {
        Class<?> raw = type instanceof ParameterizedType p ? (Class<?>) p.getRawType() : (Class<?>) type;
        if (raw == long.class) {
            return value instanceof Number n ? n.longValue() : 0L;
        }
        if (raw == int.class) {
            return value instanceof Number n ? n.intValue() : 0;
        }
        if (raw == boolean.class) {
            return Boolean.TRUE.equals(value);
        }
        if (raw == String.class) {
            return value == null ? null : value.toString();
        }
        if (List.class.isAssignableFrom(raw) || Set.class.isAssignableFrom(raw)) {
            Type element = ((ParameterizedType) type).getActualTypeArguments()[0];
            Collection<Object> out;
            if (Set.class.isAssignableFrom(raw)) {
                out = element instanceof Class<?> c && c.isEnum() ? (Collection) EnumSet.noneOf((Class) c)
                        : new HashSet<>();
            } else {
                out = new ArrayList<>();
            }
            if (value instanceof List<?> list) {
                for (Object item : list) {
                    Object converted = convert(item, element);
                    if (converted != null) {
                        out.add(converted);
                    }
                }
            }
            return out;
        }
        if (Map.class.isAssignableFrom(raw)) {
            Map<String, String> out = new LinkedHashMap<>();
            if (value instanceof Map<?, ?> map) {
                map.forEach((k, v) -> out.put(String.valueOf(k), v == null ? null : v.toString()));
            }
            return out;
        }
        if (raw.isEnum()) {
            return value == null ? null : enumNamed((Class) raw, value.toString());
        }
        if (raw.isRecord()) {
            return value instanceof Map<?, ?> map ? bind(map, raw) : null;
        }
        throw new IllegalArgumentException("no conversion to " + type);
    }

    private static <E extends Enum<E>> E enumNamed(Class<E> type, String name) {
        try {
            return Enum.valueOf(type, name);
        } catch (IllegalArgumentException e) {
            return null; // a value a newer daemon knows and this client does not
        }
    }
}

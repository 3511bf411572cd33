package org.dmd.core.journal;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.dmd.core.control.Command;
import org.dmd.core.control.DmFlag;
import org.dmd.core.control.Requests.Request;
import org.dmd.core.control.Requests.TargetSpec;

/**
 * The payload of a record: an {@link Entry} in big-endian binary. A request is its command's
 * name, then its components in declaration order, each by its type: String (length, -1 for null,
 * then UTF-8), long, boolean, a flag set (count, then flag names) or a target list (count, then
 * start, length, type, params). Flags go by name, commands by name: renumbering either enum does
 * not change the format. A change to a request record's components is a new format version.
 *
 * <p>Stateless and thread-safe.
 */
final class EntryCodec {

    /** The most elements a decoded list or string may claim: more is corruption, not a big record. */
    private static final int MAX_COUNT = 1 << 24;

    /** Each request type's components and canonical constructor, looked up once. */
    private static final ClassValue<Shape> SHAPES = new ClassValue<>() {
        @Override
        protected Shape computeValue(Class<?> type) {
            RecordComponent[] components = type.getRecordComponents();
            Class<?>[] types = new Class<?>[components.length];
            for (int i = 0; i < components.length; i++) {
                types[i] = components[i].getType();
                components[i].getAccessor().setAccessible(true);
            }
            try {
                return new Shape(components, type.getDeclaredConstructor(types));
            } catch (NoSuchMethodException e) {
                throw new IllegalStateException(type + " has no canonical constructor", e);
            }
        }
    };

    private record Shape(RecordComponent[] components, Constructor<?> constructor) {
    }

    private EntryCodec() {
    }

    static byte[] encode(Entry entry) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeLong(entry.seq());
            Request request = entry.request();
            writeString(out, request == null ? null : Command.of(request).name());
            if (request != null) {
                for (RecordComponent component : SHAPES.get(request.getClass()).components()) {
                    writeValue(out, component, component.getAccessor().invoke(request));
                }
            }
            out.writeInt(entry.loop());
            out.writeInt(entry.removed().size());
            for (String name : entry.removed()) {
                writeString(out, name);
            }
            out.writeInt(entry.events().size());
            for (Entry.EventNr event : entry.events()) {
                writeString(out, event.dev());
                out.writeLong(event.eventNr());
            }
            out.writeLong(entry.globalEventNr());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (IllegalAccessException | InvocationTargetException e) {
            throw new IllegalStateException("cannot read a request record", e);
        }
        return bytes.toByteArray();
    }

    /** The entry in {@code payload}; IOException if it is not one (a CRC-valid record never is). */
    static Entry decode(byte[] payload) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(payload));
        long seq = in.readLong();
        String commandName = readString(in);
        Request request = null;
        if (commandName != null) {
            Command command = Command.named(commandName);
            if (command == null) {
                throw new IOException("unknown command " + commandName);
            }
            request = readRequest(in, command.requestType());
        }
        int loop = in.readInt();
        List<String> removed = new ArrayList<>();
        for (int i = count(in); i > 0; i--) {
            removed.add(readString(in));
        }
        List<Entry.EventNr> events = new ArrayList<>();
        for (int i = count(in); i > 0; i--) {
            events.add(new Entry.EventNr(readString(in), in.readLong()));
        }
        long global = in.readLong();
        if (in.available() != 0) {
            throw new IOException(in.available() + " bytes after the entry");
        }
        return new Entry(seq, request, loop, removed, events, global);
    }

    private static void writeValue(DataOutputStream out, RecordComponent component, Object value) throws IOException {
        Class<?> type = component.getType();
        if (type == String.class) {
            writeString(out, (String) value);
        } else if (type == long.class) {
            out.writeLong((Long) value);
        } else if (type == boolean.class) {
            out.writeBoolean((Boolean) value);
        } else if (type == Set.class) {
            Set<?> flags = value == null ? Set.of() : (Set<?>) value;
            out.writeInt(flags.size());
            for (Object flag : flags) {
                writeString(out, ((DmFlag) flag).name());
            }
        } else if (type == List.class) {
            List<?> targets = value == null ? List.of() : (List<?>) value;
            out.writeInt(targets.size());
            for (Object target : targets) {
                TargetSpec spec = (TargetSpec) target;
                out.writeLong(spec.start());
                out.writeLong(spec.length());
                writeString(out, spec.type());
                writeString(out, spec.params());
            }
        } else {
            throw new IllegalStateException("no journal encoding for " + component);
        }
    }

    private static Request readRequest(DataInputStream in, Class<? extends Request> type) throws IOException {
        Shape shape = SHAPES.get(type);
        Object[] values = new Object[shape.components().length];
        for (int i = 0; i < values.length; i++) {
            values[i] = readValue(in, shape.components()[i]);
        }
        try {
            return type.cast(shape.constructor().newInstance(values));
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot build a " + type.getSimpleName(), e);
        }
    }

    private static Object readValue(DataInputStream in, RecordComponent component) throws IOException {
        Class<?> type = component.getType();
        if (type == String.class) {
            return readString(in);
        } else if (type == long.class) {
            return in.readLong();
        } else if (type == boolean.class) {
            return in.readBoolean();
        } else if (type == Set.class) {
            EnumSet<DmFlag> flags = EnumSet.noneOf(DmFlag.class);
            for (int i = count(in); i > 0; i--) {
                String name = readString(in);
                try {
                    flags.add(DmFlag.valueOf(name));
                } catch (IllegalArgumentException | NullPointerException e) {
                    throw new IOException("unknown flag " + name);
                }
            }
            return flags;
        } else if (type == List.class && elementType(component) == TargetSpec.class) {
            List<TargetSpec> targets = new ArrayList<>();
            for (int i = count(in); i > 0; i--) {
                targets.add(new TargetSpec(in.readLong(), in.readLong(), readString(in), readString(in)));
            }
            return targets;
        }
        throw new IllegalStateException("no journal encoding for " + component);
    }

    private static Type elementType(RecordComponent component) {
        return component.getGenericType() instanceof ParameterizedType p ? p.getActualTypeArguments()[0] : null;
    }

    private static int count(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > MAX_COUNT || n > in.available()) {
            throw new IOException("a count of " + n + " with " + in.available() + " bytes left");
        }
        return n;
    }

    private static void writeString(DataOutputStream out, String s) throws IOException {
        if (s == null) {
            out.writeInt(-1);
            return;
        }
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(utf8.length);
        out.write(utf8);
    }

    private static String readString(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n == -1) {
            return null;
        }
        if (n < 0 || n > in.available()) {
            throw new IOException("a string of " + n + " bytes with " + in.available() + " left");
        }
        return new String(in.readNBytes(n), StandardCharsets.UTF_8);
    }
}

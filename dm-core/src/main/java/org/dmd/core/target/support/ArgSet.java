package org.dmd.core.target.support;

import java.util.List;
import java.util.OptionalLong;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;

/**
 * A cursor over a target's constructor arguments ({@code struct dm_arg_set} with
 * {@code dm_shift_arg}, {@code dm_consume_args}, {@code dm_read_arg} and
 * {@code dm_read_arg_group}).
 *
 * <p>Not thread-safe: a constructor owns its argument set for the duration of the call.
 */
public final class ArgSet {

    private final List<String> args;
    private int next;

    public ArgSet(List<String> args) {
        this.args = List.copyOf(args);
    }

    /** Number of arguments not yet consumed ({@code as->argc}). */
    public int remaining() {
        return args.size() - next;
    }

    public boolean isEmpty() {
        return remaining() == 0;
    }

    /** Takes the next argument, or returns {@code null} when none is left ({@code dm_shift_arg}). */
    public String shift() {
        return next < args.size() ? args.get(next++) : null;
    }

    /** The next {@code count} arguments without consuming them (fewer if fewer remain). */
    public List<String> peek(int count) {
        return args.subList(next, next + Math.min(count, remaining()));
    }

    /** Takes the next {@code count} arguments (fewer if fewer remain). */
    public List<String> take(int count) {
        List<String> taken = peek(count);
        consume(count);
        return taken;
    }

    /** Skips up to {@code count} arguments ({@code dm_consume_args}). */
    public void consume(int count) {
        next += Math.min(count, remaining());
    }

    /**
     * Reads an unsigned number within {@code bounds} ({@code dm_read_arg}); a missing, malformed
     * or out-of-range argument gives EINVAL with the bounds' error text.
     */
    public int read(ArgBounds bounds) throws DmException {
        return (int) readValue(bounds, false);
    }

    /**
     * Reads the size of an argument group ({@code dm_read_arg_group}): as {@link #read}, and the
     * group must also fit in the arguments that remain.
     */
    public int readGroup(ArgBounds bounds) throws DmException {
        return (int) readValue(bounds, true);
    }

    /** As {@link #read} but returns the unsigned value as a long (for values above 2^31-1). */
    public long readUnsigned(ArgBounds bounds) throws DmException {
        return readValue(bounds, false);
    }

    private long readValue(ArgBounds bounds, boolean grouped) throws DmException {
        String text = shift();
        OptionalLong value = text == null ? OptionalLong.empty() : Numbers.scanUnsignedInt(text);
        if (value.isEmpty() || !bounds.contains(value.getAsLong())
                || (grouped && remaining() < value.getAsLong())) {
            throw new DmException(Errno.EINVAL, bounds.error());
        }
        return value.getAsLong();
    }
}

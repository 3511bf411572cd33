package org.dmd.client.cli;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.dmd.client.ConnectionException;
import org.dmd.client.bench.BenchResult;
import org.dmd.client.bench.LoadGenerator;
import org.dmd.client.bench.Mix;
import org.dmd.client.bench.Operation;
import org.dmd.core.control.Requests.TargetSpec;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;

/**
 * {@code dmctl bench}: drives dmd with the {@link LoadGenerator} and prints throughput and
 * latency percentiles per operation (or, with {@code --json}, the {@link BenchResult}). Fails
 * (exit 1) if any operation failed. Defaults: one connection, {@code info} for 10 seconds, no
 * warm-up, devices named {@code bench-N}, linear tables of 8 sectors.
 */
final class BenchCommand {

    private static final Pattern TIME = Pattern.compile("([0-9]{1,9})(ms|s|m)?");
    private static final Duration DEFAULT_DURATION = Duration.ofSeconds(10);

    private final Session s;

    BenchCommand(Session session) {
        this.s = session;
    }

    /** Runs the load; {@code device} is the one info and load address (scratch devices if null). */
    boolean run(String device) {
        LoadGenerator.Settings settings = settings(device);
        if (settings == null) {
            return false;
        }
        BenchResult result;
        try {
            result = LoadGenerator.run(settings);
        } catch (ConnectionException e) {
            throw new Session.Abort(e.getMessage());
        } catch (DmException e) {
            s.error("bench: " + e.getMessage());
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            s.error("bench: interrupted");
            return false;
        }
        s.result(result);
        s.print(format(result));
        if (result.failures() > 0) {
            s.error("bench: " + result.failures() + " operation(s) failed; the first: " + result.firstError());
            return false;
        }
        return true;
    }

    /** The switches as settings; null after saying what is wrong. */
    private LoadGenerator.Settings settings(String device) {
        DmctlOptions o = s.options;
        try {
            Mix mix = Mix.parse(o.ops == null ? Operation.INFO.label() : o.ops);
            if (o.duration != null && o.count != null) {
                return invalid("give --duration or --count, not both");
            }
            Duration duration = o.count != null ? null
                    : o.duration == null ? DEFAULT_DURATION : time("--duration", o.duration);
            long count = o.count == null ? 0 : whole("--count", o.count);
            Duration warmup = o.warmup == null ? Duration.ZERO : time("--warmup", o.warmup);
            List<TargetSpec> table = o.table == null ? List.of() : TableInput.parse(o.table, "");
            List<String> linear = o.linear == null ? List.of() : List.of(o.linear.split(","));
            long size = o.size == null ? 8 : whole("--size", o.size);
            int connections = o.connections == null ? 1 : (int) Math.min(whole("--connections", o.connections), 4096);
            String prefix = o.namePrefix == null ? "bench-" : o.namePrefix;
            return new LoadGenerator.Settings(s.socket(), connections, mix, duration, count, warmup, device, table,
                    linear, size, prefix);
        } catch (DmException e) {
            return invalid(e.getMessage());
        } catch (TableInput.BadTable e) {
            return invalid(e.getMessage());
        }
    }

    private LoadGenerator.Settings invalid(String problem) {
        s.error("bench: " + problem);
        return null;
    }

    private static long whole(String option, String value) throws DmException {
        if (!value.matches("[0-9]{1,12}")) {
            throw new DmException(Errno.EINVAL, "%s needs a whole number, not '%s'", option, value);
        }
        return Long.parseLong(value);
    }

    /** A time: a number with an optional unit, ms, s (the default) or m. */
    static Duration time(String option, String value) throws DmException {
        Matcher m = TIME.matcher(value);
        if (!m.matches()) {
            throw new DmException(Errno.EINVAL, "%s needs a time like 10, 10s, 500ms or 2m, "
                    + "not '%s'", option, value);
        }
        long amount = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        return unit.equals("ms") ? Duration.ofMillis(amount)
                : unit.equals("m") ? Duration.ofMinutes(amount) : Duration.ofSeconds(amount);
    }

    /** The report: what ran, then one row per operation and one for all, latencies in microseconds. */
    static String format(BenchResult result) {
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "bench: %d connection%s, %s, %.2f s%s%n", result.connections(),
                result.connections() == 1 ? "" : "s", result.mix(), result.seconds(),
                result.warmupSeconds() > 0 ? String.format(Locale.ROOT, " after %.2f s of warm-up",
                        result.warmupSeconds()) : ""));
        out.append(String.format(Locale.ROOT, "%-14s %10s %11s %10s %10s %10s %10s %10s %10s%n", "operation", "count",
                "ops/s", "mean µs", "p50 µs", "p90 µs", "p99 µs", "p99.9 µs", "max µs"));
        for (BenchResult.OperationStats op : result.operations()) {
            out.append(String.format(Locale.ROOT, "%-14s %10d %11.1f %10.1f %10.1f %10.1f %10.1f %10.1f %10.1f%n",
                    op.operation(), op.count(), op.perSecond(), op.meanMicros(), op.p50Micros(), op.p90Micros(),
                    op.p99Micros(), op.p999Micros(), op.maxMicros()));
        }
        List<String> errors = new ArrayList<>();
        result.errors().forEach((errno, count) -> errors.add(errno + " " + count));
        out.append("errors: ").append(errors.isEmpty() ? "none" : String.join(", ", errors)).append('\n');
        return out.toString();
    }
}

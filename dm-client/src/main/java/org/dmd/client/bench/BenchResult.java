package org.dmd.client.bench;

import java.util.List;
import java.util.Map;

/**
 * What a load-generator run measured: throughput and latency per operation and over all
 * operations, and the failures by errno. Latencies are in microseconds, from sending an
 * operation's first request to receiving its last reply.
 *
 * @param connections   connections (one thread each) that sent operations
 * @param mix           the operation mix, as given
 * @param seconds       the measured interval
 * @param warmupSeconds the interval before it whose operations were not recorded
 * @param operations    one entry per operation of the mix that ran, then {@code all}
 * @param errors        failed operations by errno name (empty if none failed)
 * @param firstError    the first failure's message, or null
 */
public record BenchResult(int connections, String mix, double seconds, double warmupSeconds,
                          List<OperationStats> operations, Map<String, Long> errors, String firstError) {

    /** One operation's figures; {@code operation} is its label or {@code all}. */
    public record OperationStats(String operation, long count, double perSecond, double meanMicros,
                                 double p50Micros, double p90Micros, double p99Micros, double p999Micros,
                                 double maxMicros) {
    }

    /** The figures over all operations. */
    public OperationStats total() {
        return operations.get(operations.size() - 1);
    }

    public long failures() {
        return errors.values().stream().mapToLong(Long::longValue).sum();
    }
}

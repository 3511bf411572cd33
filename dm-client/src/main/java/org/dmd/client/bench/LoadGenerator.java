package org.dmd.client.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.dmd.client.ConnectionException;
import org.dmd.client.DmClient;
import org.dmd.core.control.Requests.TargetSpec;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;

/**
 * A closed-loop load generator for dmd, built on {@link DmClient}: {@code connections} threads,
 * each with a connection of its own, send operations drawn from a {@link Mix} back to back, each
 * one as soon as the previous one is answered. All connections connect (and create the devices
 * they need) first, then start together. A run lasts a duration, or until a number of operations
 * has been done, split evenly over the connections (so a run of as many operations as connections
 * sends one per connection, all at once); an optional warm-up before it runs the same load
 * unrecorded. Whatever the warm-up, each connection first exchanges {@link #CONNECT_EXCHANGES}
 * VERSION requests, so that the first measured operation does not pay for loading this JVM's
 * classes: a run of a few operations would otherwise time the client's start-up.
 *
 * <p>Devices: {@code info} and {@code load} address {@link Settings#device()} if given, else a
 * scratch device per connection that the run creates first and removes at the end. {@code create}
 * and {@code create-remove} name their devices {@code PREFIX<n>}, n counting operations from 0
 * across all connections; {@code create}'s devices stay.
 *
 * <p>Thread-safety: a generator is used once, by one thread; its workers share only the operation
 * sequence, the phase and the first failure (all atomic or volatile) and hand their records over
 * when joined.
 */
public final class LoadGenerator {

    /**
     * What to run.
     *
     * @param socket        dmd's socket
     * @param connections   connections, one thread each (at least 1)
     * @param mix           the operations and their weights
     * @param duration      how long to measure, or null to run {@code count} operations
     * @param count         how many operations to run, over all connections, when {@code duration} is null
     * @param warmup        unrecorded load before the measurement (zero for none)
     * @param device        the device of {@code info} and {@code load}, or null for scratch devices
     * @param table         the table of {@code load} and {@code create}, or empty
     * @param linear        for {@code create} without {@code table}: devices that each new device gets a
     *                      one-target linear table on, in turn, at successive offsets; or empty
     * @param linearSectors the size of each such linear table
     * @param namePrefix    the prefix of the devices the run creates
     */
    public record Settings(Path socket, int connections, Mix mix, Duration duration, long count, Duration warmup,
                           String device, List<TargetSpec> table, List<String> linear, long linearSectors,
                           String namePrefix) {

        public Settings {
            Objects.requireNonNull(socket, "socket");
            Objects.requireNonNull(mix, "mix");
            Objects.requireNonNull(warmup, "warmup");
            table = List.copyOf(table);
            linear = List.copyOf(linear);
        }

        /** EINVAL if the settings cannot make a run. */
        void check() throws DmException {
            if (connections < 1) {
                throw new DmException(Errno.EINVAL, "at least one connection is needed");
            }
            if (duration == null ? count < 1 : duration.isNegative() || duration.isZero()) {
                throw new DmException(Errno.EINVAL, "a run needs a positive duration or count");
            }
            if (mix.contains(Operation.LOAD) && table.isEmpty()) {
                throw new DmException(Errno.EINVAL, "load needs a table (--table)");
            }
            if (!table.isEmpty() && !linear.isEmpty()) {
                throw new DmException(Errno.EINVAL, "give a table or linear devices for create, not both");
            }
            if (!linear.isEmpty() && linearSectors < 1) {
                throw new DmException(Errno.EINVAL, "linear tables need a size of at least one sector");
            }
        }
    }

    /** VERSION requests each connection sends before the start: the client's own warm-up. */
    static final int CONNECT_EXCHANGES = 100;

    private enum Phase { WARMUP, MEASURE, STOP }

    private final Settings settings;
    /** Numbers every operation, warm-up included: the names of created devices. */
    private final AtomicLong sequence = new AtomicLong();
    private volatile Phase phase = Phase.WARMUP;
    /** The first failure's message; set once. */
    private final AtomicReference<String> firstError = new AtomicReference<>();

    private LoadGenerator(Settings settings) {
        this.settings = settings;
    }

    /** Runs the load described by {@code settings} and returns what it measured. */
    public static BenchResult run(Settings settings) throws DmException, InterruptedException {
        settings.check();
        return new LoadGenerator(settings).run();
    }

    private BenchResult run() throws DmException, InterruptedException {
        List<Connection> connections = new ArrayList<>();
        double seconds;
        try {
            for (int i = 0; i < settings.connections(); i++) {
                connections.add(new Connection(i));
            }
            seconds = measure(connections);
        } finally {
            for (Connection connection : connections) {
                connection.close();
            }
        }
        return result(connections, seconds);
    }

    /** Runs the load on every connection at once; the measured interval in seconds. */
    private double measure(List<Connection> connections) throws DmException, InterruptedException {
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (Connection connection : connections) {
            Thread thread = new Thread(() -> connection.work(start), "bench-" + connection.index);
            thread.start();
            threads.add(thread);
        }
        if (!settings.warmup().isZero()) {
            start.countDown();
            TimeUnit.NANOSECONDS.sleep(settings.warmup().toNanos());
        }
        long begin = System.nanoTime();
        phase = Phase.MEASURE;
        start.countDown();
        if (settings.duration() != null) {
            TimeUnit.NANOSECONDS.sleep(settings.duration().toNanos());
            phase = Phase.STOP;
        }
        for (Thread thread : threads) {
            thread.join();
        }
        long end = System.nanoTime();
        for (Connection connection : connections) {
            if (connection.lost != null) {
                throw connection.lost;
            }
        }
        return (end - begin) / 1e9;
    }

    private BenchResult result(List<Connection> connections, double seconds) {
        Map<Operation, Latencies> byOperation = new EnumMap<>(Operation.class);
        Latencies all = new Latencies();
        Map<String, Long> errors = new TreeMap<>();
        for (Connection connection : connections) {
            connection.latencies.forEach((operation, latencies) -> {
                byOperation.computeIfAbsent(operation, o -> new Latencies()).addAll(latencies);
                all.addAll(latencies);
            });
            connection.errors.forEach((errno, count) -> errors.merge(errno.name(), count, Long::sum));
        }
        List<BenchResult.OperationStats> stats = new ArrayList<>();
        byOperation.forEach((operation, latencies) -> stats.add(stats(operation.label(), latencies, seconds)));
        stats.add(stats("all", all, seconds));
        return new BenchResult(settings.connections(), settings.mix().toString(), seconds,
                settings.warmup().toNanos() / 1e9, stats, errors, firstError.get());
    }

    private static BenchResult.OperationStats stats(String label, Latencies latencies, double seconds) {
        return new BenchResult.OperationStats(label, latencies.count(), latencies.count() / seconds,
                latencies.mean() / 1e3, latencies.percentile(50) / 1e3, latencies.percentile(90) / 1e3,
                latencies.percentile(99) / 1e3, latencies.percentile(99.9) / 1e3, latencies.max() / 1e3);
    }

    /** The linear table of the n-th created device. */
    private List<TargetSpec> linearTable(long n) {
        List<String> lowers = settings.linear();
        long size = settings.linearSectors();
        String lower = lowers.get((int) (n % lowers.size()));
        return List.of(new TargetSpec(0, size, "linear", lower + " " + (n / lowers.size()) * size));
    }

    /** One connection and the thread's records; confined to its thread until joined. */
    private final class Connection implements AutoCloseable {
        final int index;
        final DmClient client;
        /** The device info and load address; null if the mix needs none. */
        final String device;
        final boolean scratch;
        final SplittableRandom random;
        /** This connection's share of a run of a fixed count: an even split, the first ones taking the rest. */
        final long quota;
        /** Operations this connection started in the measurement. */
        long measured;
        final Map<Operation, Latencies> latencies = new EnumMap<>(Operation.class);
        final Map<Errno, Long> errors = new EnumMap<>(Errno.class);
        /** Set if the connection broke, which ends the run with this failure. */
        DmException lost;

        Connection(int index) throws DmException {
            this.index = index;
            this.random = new SplittableRandom(index);
            long share = settings.count() / settings.connections();
            this.quota = index < settings.count() % settings.connections() ? share + 1 : share;
            this.client = DmClient.connect(settings.socket());
            boolean needsDevice = settings.mix().operations().stream().anyMatch(Operation::needsDevice);
            scratch = needsDevice && settings.device() == null;
            device = !needsDevice ? null : scratch ? scratchName() : settings.device();
            try {
                for (int i = 0; i < CONNECT_EXCHANGES; i++) {
                    client.version();
                }
                if (scratch) {
                    client.create(device);
                }
            } catch (DmException e) {
                client.close();
                throw e;
            }
        }

        private String scratchName() {
            return settings.namePrefix() + "scratch-" + ProcessHandle.current().pid() + "-" + index;
        }

        void work(CountDownLatch start) {
            try {
                start.await();
                while (true) {
                    Phase at = phase;
                    if (at == Phase.STOP) {
                        return;
                    }
                    if (at == Phase.MEASURE && settings.duration() == null && measured++ == quota) {
                        return;
                    }
                    long n = sequence.getAndIncrement();
                    Operation operation = settings.mix().next(random);
                    long began = System.nanoTime();
                    try {
                        perform(operation, n);
                    } catch (ConnectionException e) {
                        lost = e;
                        return;
                    } catch (DmException e) {
                        errors.merge(e.errno(), 1L, Long::sum);
                        firstError.compareAndSet(null, operation.label() + ": " + e.getMessage());
                        continue;
                    }
                    if (at == Phase.MEASURE) {
                        latencies.computeIfAbsent(operation, o -> new Latencies()).add(System.nanoTime() - began);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private void perform(Operation operation, long n) throws DmException {
            switch (operation) {
                case VERSION -> client.version();
                case INFO -> client.info(device);
                case LS -> client.listDevices();
                case CREATE_REMOVE -> {
                    String name = settings.namePrefix() + n;
                    client.create(name);
                    client.remove(name);
                }
                case CREATE -> create(settings.namePrefix() + n, n);
                case LOAD -> client.tableLoad(device, settings.table());
                case REMOVE_ALL -> client.removeAll(false);
                default -> throw new IllegalStateException("no step for " + operation);
            }
        }

        private void create(String name, long n) throws DmException {
            client.create(name);
            List<TargetSpec> table = !settings.linear().isEmpty() ? linearTable(n) : settings.table();
            if (!table.isEmpty()) {
                client.tableLoad(name, table);
                client.resume(name);
            }
        }

        @Override
        public void close() {
            try {
                if (scratch && lost == null) {
                    client.remove(device);
                }
            } catch (DmException e) {
                firstError.compareAndSet(null, "removing " + device + ": " + e.getMessage());
            } finally {
                client.close();
            }
        }
    }
}

package org.dmd.client.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.dmd.client.DmClient;
import org.dmd.core.control.Replies;
import org.dmd.core.control.Requests;
import org.dmd.core.control.Requests.TargetSpec;
import org.dmd.core.errno.DmException;

/**
 * Figure 9 of scripts/bench, module load coalescing: in rounds, one TABLE_LOAD whose table needs
 * a module that is not loaded, timed alone, then {@code LOADERS} such loads from as many
 * connections released at once, timed until the last is answered; the module is removed before
 * each. Then, as a control, the same concurrent loads again with the module already loaded: the
 * difference between the two is what coalescing the loads costs, apart from serving 50 requests
 * at once. Everything runs in one warmed JVM (a few hundred loads of the built-in {@code error}
 * target first, on every connection), so neither the client's start-up nor its JIT is timed, and
 * both cases start from the same short pause. Prints the rounds as JSON, with the module's
 * reference count after the concurrent loads (one per staged table when they all share one
 * loaded module).
 *
 * <pre>  java -cp ... org.dmd.client.bench.ModuleLoadRounds SOCKET MODULE TYPE LOADERS ROUNDS</pre>
 *
 * e.g. {@code SOCKET dm-zero zero 50 7}: the table is {@code 0 8 TYPE}. Benchmark code, not dmctl.
 */
public final class ModuleLoadRounds {

    /**
     * One round, in microseconds: the lone load, the concurrent ones, and the concurrent ones with
     * the module already loaded.
     */
    public record Round(double oneMicros, double allMicros, double loadedMicros, int refcount) {
    }

    public record Result(String module, int loaders, List<Round> rounds) {
    }

    private static final int WARM_UP_LOADS = 300;
    private static final long PAUSE_MILLIS = 20;

    private final String module;
    private final List<DmClient> clients = new ArrayList<>();
    private final List<String> devices = new ArrayList<>();
    private final ExecutorService threads;

    private ModuleLoadRounds(Path socket, String module, int loaders) throws DmException {
        this.module = module;
        this.threads = Executors.newFixedThreadPool(loaders);
        for (int i = 0; i < loaders; i++) {
            DmClient client = DmClient.connect(socket);
            clients.add(client);
            String device = "coalesce-" + ProcessHandle.current().pid() + "-" + i;
            client.create(device);
            devices.add(device);
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 5) {
            System.err.println("usage: ModuleLoadRounds SOCKET MODULE TYPE LOADERS ROUNDS");
            System.exit(2);
        }
        int loaders = Integer.parseInt(args[3]);
        ModuleLoadRounds bench = new ModuleLoadRounds(Path.of(args[0]), args[1], loaders);
        try {
            List<TargetSpec> table = List.of(new TargetSpec(0, 8, args[2], ""));
            bench.warmUp();
            List<Round> rounds = new ArrayList<>();
            for (int i = 0; i < Integer.parseInt(args[4]); i++) {
                rounds.add(bench.round(table));
            }
            System.out.println(new ObjectMapper().writerWithDefaultPrettyPrinter()
                    .writeValueAsString(new Result(args[1], loaders, rounds)));
        } finally {
            bench.close();
        }
    }

    private void warmUp() throws Exception {
        List<TargetSpec> error = List.of(new TargetSpec(0, 8, "error", ""));
        all(i -> {
            for (int n = 0; n < WARM_UP_LOADS; n++) {
                clients.get(i).tableLoad(devices.get(i), error);
            }
        });
    }

    private Round round(List<TargetSpec> table) throws Exception {
        unload();
        long one = loadAtOnce(1, table);
        unload();
        long all = loadAtOnce(clients.size(), table);
        int refcount = clients.get(0).lsmod().modules().stream()
                .filter(m -> m.name().equals(module.replace('-', '_')))
                .mapToInt(Replies.ModuleInfo::refcount).findFirst().orElse(-1);
        clearTables();
        long loaded = loadAtOnce(clients.size(), table);
        return new Round(one / 1e3, all / 1e3, loaded / 1e3, refcount);
    }

    /** Clears every staged table; the module they used stays loaded. */
    private void clearTables() throws Exception {
        for (int i = 0; i < clients.size(); i++) {
            clients.get(i).clear(devices.get(i));
        }
    }

    /** Clears every staged table, removes the module and checks it is gone. */
    private void unload() throws Exception {
        clearTables();
        clients.get(0).modprobe(new Requests.Modprobe(module, true, false));
        boolean loaded = clients.get(0).lsmod().modules().stream()
                .anyMatch(m -> m.name().equals(module.replace('-', '_')) && !m.builtin());
        if (loaded) {
            throw new IllegalStateException(module + " is still loaded");
        }
    }

    /** Nanoseconds from releasing {@code loaders} loads at once until the last is answered. */
    private long loadAtOnce(int loaders, List<TargetSpec> table) throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Long>> done = new ArrayList<>();
        for (int i = 0; i < loaders; i++) {
            int k = i;
            done.add(threads.submit(() -> {
                go.await();
                clients.get(k).tableLoad(devices.get(k), table);
                return System.nanoTime();
            }));
        }
        TimeUnit.MILLISECONDS.sleep(PAUSE_MILLIS);
        long start = System.nanoTime();
        go.countDown();
        long last = start;
        for (Future<Long> end : done) {
            last = Math.max(last, end.get());
        }
        return last - start;
    }

    @FunctionalInterface
    private interface PerClient {
        void run(int index) throws Exception;
    }

    private void all(PerClient work) throws Exception {
        List<Future<Object>> done = new ArrayList<>();
        for (int i = 0; i < clients.size(); i++) {
            int k = i;
            done.add(threads.submit(() -> {
                work.run(k);
                return null;
            }));
        }
        for (Future<Object> f : done) {
            f.get();
        }
    }

    private void close() {
        for (int i = 0; i < clients.size(); i++) {
            try {
                clients.get(i).remove(devices.get(i));
            } catch (DmException e) {
                System.err.println("removing " + devices.get(i) + ": " + e.getMessage());
            }
            clients.get(i).close();
        }
        threads.shutdownNow();
    }
}

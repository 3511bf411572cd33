package org.dmd.client.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.function.ToDoubleFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns what scripts/bench measured — the files of its raw directory: JMH's JSON, {@code dmctl
 * bench --json} results, wall times, heap sizes — into the figures of the performance table,
 * each with dmd's value, the baseline measured in the same run, the ratio and the goal; prints
 * them as Markdown and writes them as JSON. With an earlier JSON it also prints the change.
 *
 * <pre>
 *   BenchReport --raw DIR --json OUT [--compare EARLIER]   the table (and the change), OUT written
 *   BenchReport --current JSON --compare EARLIER           the change between two results only
 * </pre>
 *
 * Benchmark code for scripts/bench, never part of dmctl.
 */
public final class BenchReport {

    /** A goal on the ratio or on the value itself: {@code op} is {@code >=} or {@code <=}. */
    public record Goal(String on, String op, double limit, String text) {
        static Goal ratioAtLeast(double limit) {
            return new Goal("ratio", ">=", limit, "≥ " + trim(limit) + "×");
        }

        static Goal ratioAtMost(double limit) {
            return new Goal("ratio", "<=", limit, "≤ " + trim(limit) + "×");
        }

        static Goal valueAtMost(double limit, String text) {
            return new Goal("value", "<=", limit, text);
        }

        static Goal valueAtLeast(double limit, String text) {
            return new Goal("value", ">=", limit, text);
        }

        Boolean met(Double value, Double ratio) {
            Double subject = on.equals("ratio") ? ratio : value;
            if (subject == null) {
                return null;
            }
            return op.equals(">=") ? subject >= limit : subject <= limit;
        }
    }

    /** One row of the table. Null members: not measured, no baseline, no goal. */
    public record Figure(String id, String figure, String unit, Double value, String baselineLabel, Double baseline,
                         Double ratio, Goal goal, Boolean met, String note) {
    }

    /** Everything one run wrote. */
    public record Result(int schema, Map<String, String> machine, List<Figure> figures) {
    }

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final Pattern HEAP_PER_DEVICE = Pattern.compile("heap-per-device: ([0-9]+) devices.* ([0-9.]+) "
            + "bytes per device");

    private final Path raw;
    private final JsonNode jmh;
    private final List<Figure> figures = new ArrayList<>();

    private BenchReport(Path raw) throws IOException {
        this.raw = raw;
        Path jmhFile = raw.resolve("jmh.json");
        this.jmh = Files.exists(jmhFile) ? JSON.readTree(jmhFile.toFile()) : JSON.createArrayNode();
    }

    public static void main(String[] args) throws IOException {
        Map<String, String> options = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            options.put(args[i], args[i + 1]);
        }
        Result current;
        if (options.containsKey("--raw")) {
            current = new BenchReport(Path.of(options.get("--raw"))).assemble();
            JSON.writeValue(Path.of(options.get("--json")).toFile(), current);
            System.out.print(markdown(current));
        } else {
            current = JSON.readValue(Path.of(options.get("--current")).toFile(), Result.class);
        }
        if (options.containsKey("--compare")) {
            Result earlier = JSON.readValue(Path.of(options.get("--compare")).toFile(), Result.class);
            System.out.print(comparison(earlier, current, options.get("--compare")));
        }
    }

    // ------------------------------------------------------------------ the figures

    private Result assemble() throws IOException {
        Map<String, String> machine = properties("machine.properties");
        minorLookup();
        minorAllocation();
        lifecycles();
        tableLoad();
        infoRoundTrip();
        binaryInfoRoundTrip();
        socketLifecycles();
        scale();
        startup();
        moduleCoalescing();
        nbd();
        return new Result(1, machine, figures);
    }

    private void add(String id, String figure, String unit, Double value, String baselineLabel, Double baseline,
                     Goal goal, String note) {
        Double ratio = value != null && baseline != null && baseline != 0 ? value / baseline : null;
        Boolean met = goal == null ? null : goal.met(value, ratio);
        figures.add(new Figure(id, figure, unit, value, baselineLabel, baseline, ratio, goal, met, note));
    }

    private void minorLookup() {
        String benchmark = "org.dmd.core.bench.MinorLookupBenchmark.";
        String baseline = "ConcurrentHashMap.get + AtomicInteger inc/dec";
        String[][] rows = {{"1a", "1Thread", "1024", "1 thread, 1,024 devices"},
            {"1b", "2Threads", "1024", "2 threads, 1,024 devices"},
            {"1c", "1Thread", "1", "1 thread, 1 device"},
            {"1d", "2Threads", "1", "2 threads, 1 device"}};
        for (String[] row : rows) {
            Double dmd = jmh(benchmark + "minorTable" + row[1], "keys", row[2]);
            Double base = jmh(benchmark + "baseline" + row[1], "keys", row[2]);
            if (dmd != null || !row[2].equals("1")) {
                add(row[0], "MinorTable lookup with reference + put, " + row[3], "ops/µs", dmd, baseline, base,
                        Goal.ratioAtLeast(0.5), null);
            }
        }
    }

    private void minorAllocation() {
        String benchmark = "org.dmd.core.bench.MinorAllocationBenchmark.reserveAnyAndRelease";
        Double at1000 = jmh(benchmark, "inUse", "1000");
        add("2", "Lowest-free minor allocation + release, 1,000,000 minors in use", "ns",
                jmh(benchmark, "inUse", "1000000"), "the same, 1,000 in use", at1000, Goal.ratioAtMost(2), null);
        Double boundary = jmh(benchmark, "inUse", "1024");
        if (boundary != null) {
            add("2b", "Lowest-free minor allocation + release, 1,024 in use (first minor of an empty chunk)", "ns",
                    boundary, "the same, 1,000 in use", at1000, Goal.ratioAtMost(2), null);
        }
    }

    private void lifecycles() {
        String benchmark = "org.dmd.core.bench.LifecycleBenchmark.";
        add("3a", "In-process create+remove (devCreate + devRemove), 1 thread", "/s",
                perSecond(jmh(benchmark + "createRemove1Thread", null, null)), null, null, null, null);
        add("3b", "In-process create+remove (devCreate + devRemove), 2 threads", "/s",
                perSecond(jmh(benchmark + "createRemove2Threads", null, null)), null, null, null, null);
    }

    private static Double perSecond(Double perMicrosecond) {
        return perMicrosecond == null ? null : perMicrosecond * 1e6;
    }

    private void tableLoad() {
        String benchmark = "org.dmd.core.bench.TableLoadBenchmark.loadResume";
        Double lifecycle = jmh("org.dmd.core.bench.LifecycleBenchmark.createRemove1Thread", null, null);
        Double lifecycleMicros = lifecycle == null ? null : 1 / lifecycle;
        String baseline = "in-process create+remove, same run";
        add("4a", "In-process TABLE_LOAD + resume, 1-target linear table", "µs",
                jmh(benchmark, "table", "linear-1"), baseline, lifecycleMicros, Goal.ratioAtMost(3), null);
        add("4b", "In-process TABLE_LOAD + resume, 10,000-target striped table", "µs",
                jmh(benchmark, "table", "striped-10000"), baseline, lifecycleMicros, null, null);
    }

    private void infoRoundTrip() throws IOException {
        String label = "Netty echo server, same framing and transport";
        String[][] kinds = {{"c1", "a", "b", "1 connection, client and server on one CPU", "yes"},
            {"c16", "c", "d", "16 connections", "yes"},
            {"u1", "e", "f", "1 connection, unpinned", "no"}};
        for (String[] kind : kinds) {
            List<JsonNode> dmd = benchResults("info-dmd-" + kind[0] + "-");
            List<JsonNode> echo = benchResults("info-echo-" + kind[0] + "-");
            if (dmd.isEmpty()) {
                continue;
            }
            String note = rounds(dmd) + failures(dmd) + failures(echo);
            boolean goal = kind[4].equals("yes");
            add("5" + kind[1], "info (DEV_STATUS) round trip over the socket, median, " + kind[3], "µs",
                    median(dmd, all("p50Micros")), label, median(echo, all("p50Micros")),
                    goal ? Goal.ratioAtMost(1.5) : null, goal ? note : note + (note.isEmpty() ? "" : "; ")
                            + "bimodal on a VM: 12 or 50 µs per round trip for either server, by vCPU placement");
            add("5" + kind[2], "info (DEV_STATUS) round trip over the socket, p99, " + kind[3], "µs",
                    median(dmd, all("p99Micros")), label, median(echo, all("p99Micros")), null, note);
        }
    }

    /** The binary dm-ioctl ABI (the preload shim's transport) against JSON: the same daemon, rounds interleaved. */
    private void binaryInfoRoundTrip() throws IOException {
        List<JsonNode> binary = benchResults("ioctl-info-binary-");
        List<JsonNode> json = benchResults("ioctl-info-json-");
        if (binary.isEmpty()) {
            return;
        }
        String label = "the JSON protocol (dmctl bench), same daemon, same run";
        String note = rounds(binary) + failures(binary) + failures(json)
                + "; libdm's 16 KiB buffer sent whole, 305 bytes back; goal: faster than JSON";
        add("5g", "info (DEV_STATUS) round trip over the binary dm-ioctl ABI, median, 1 connection, client and "
                + "server on one CPU", "µs", median(binary, all("p50Micros")), label, median(json, all("p50Micros")),
                Goal.ratioAtMost(1), note);
        add("5h", "the same, p99", "µs", median(binary, all("p99Micros")), label, median(json, all("p99Micros")),
                null, note);
    }

    private void socketLifecycles() throws IOException {
        List<JsonNode> runs = benchResults("lifecycles-socket");
        add("6", "create+remove over the socket, 8 clients", "/s", median(runs, all("perSecond")), null, null,
                Goal.valueAtLeast(5000, "≥ 5,000/s"), failures(runs));
        List<JsonNode> journaled = benchResults("journaled-lifecycles-socket");
        if (!journaled.isEmpty()) {
            add("6b", "create+remove over the socket, 8 clients, dmd --state-dir (each reply after its record's "
                    + "fsync; group commit)", "/s", median(journaled, all("perSecond")),
                    "the same without --state-dir (row 6)", median(runs, all("perSecond")),
                    Goal.ratioAtLeast(0.5), "goal: within 2× of the journal-off rate" + failures(journaled));
        }
        List<JsonNode> tmpfs = benchResults("journaled-tmpfs-lifecycles-socket");
        if (!tmpfs.isEmpty()) {
            add("6c", "the same, state directory on tmpfs (fsync returns at once: the journal's cost without the "
                    + "disk's)", "/s", median(tmpfs, all("perSecond")), "the same without --state-dir (row 6)",
                    median(runs, all("perSecond")), null, failures(tmpfs).replaceFirst("^; ", ""));
        }
    }

    private void scale() throws IOException {
        Map<String, String> scale = properties("scale.properties");
        if (scale.isEmpty()) {
            return;
        }
        long devices = Long.parseLong(scale.get("devices"));
        String n = String.format(Locale.ROOT, "%,d", devices);
        List<JsonNode> create = benchResults("scale-create");
        double createSeconds = median(create, r -> r.get("seconds").asDouble());
        add("7a", "Create " + n + " devices with 1-target linear tables over the socket (create+load+resume, "
                + "8 clients)", "s", createSeconds, null, null, null,
                String.format(Locale.ROOT, "%,.0f devices/s", devices / createSeconds) + failures(create));
        add("7b", "`dmctl ls` whole process, " + n + " devices", "s", median(numbers("scale-ls-process.txt")) / 1000,
                null, null, Goal.valueAtMost(1, "≤ 1 s"), null);
        List<JsonNode> list = benchResults("scale-ls");
        add("7c", "LIST_DEVICES round trip, " + n + " devices", "s", median(list, all("p50Micros")) / 1e6, null, null,
                Goal.valueAtMost(1, "≤ 1 s"), failures(list));
        List<JsonNode> one = benchResults("scale-info-one");
        List<JsonNode> full = benchResults("scale-info-full");
        add("7d", "info round trip median, " + n + " devices, client and daemon on one CPU", "µs",
                median(full, all("p50Micros")),
                "info with 1 device", median(one, all("p50Micros")), Goal.ratioAtMost(1.5),
                failures(one) + failures(full));
        double perDevice = (Double.parseDouble(scale.get("heap.full")) - Double.parseDouble(scale.get("heap.empty")))
                / devices;
        add("7e", "Daemon heap after GC per device with a 1-target linear table", "B", perDevice, null, null,
                Goal.valueAtMost(1536, "≤ 1.5 KiB"), String.format(Locale.ROOT, "%,.1f MiB → %,.1f MiB",
                        Double.parseDouble(scale.get("heap.empty")) / (1 << 20),
                        Double.parseDouble(scale.get("heap.full")) / (1 << 20)));
        List<JsonNode> removeAll = benchResults("scale-remove-all");
        add("7f", "remove_all of " + n + " devices", "s", median(removeAll, r -> r.get("seconds").asDouble()), null,
                null, null, failures(removeAll));
        Path heapLog = raw.resolve("heap-per-device.log");
        if (Files.exists(heapLog)) {
            Matcher m = HEAP_PER_DEVICE.matcher(Files.readString(heapLog));
            if (m.find()) {
                add("7g", String.format(Locale.ROOT, "In-process heap per table-less device, %,d devices "
                        + "(HeapPerDevice)", Long.parseLong(m.group(1))), "B", Double.parseDouble(m.group(2)), null, null,
                        Goal.valueAtMost(1024, "≤ 1 KiB"), null);
            }
        }
    }

    private void startup() throws IOException {
        Double hello = median(numbers("startup-hello.txt"));
        add("8", "`dmctl info NAME` whole process (scripts/dmctl, CDS archive), median", "ms",
                median(numbers("startup-dmctl.txt")), "bare Java hello, same JVM options", hello, Goal.ratioAtMost(3),
                numbers("startup-dmctl.txt").length + " runs each");
        if (Files.exists(raw.resolve("startup-dmctl-java.txt"))) {
            add("8b", "`dmctl info NAME` started by java directly (no script), median", "ms",
                    median(numbers("startup-dmctl-java.txt")), "bare Java hello, same JVM options", hello,
                    Goal.ratioAtMost(3), null);
        }
    }

    private void moduleCoalescing() throws IOException {
        moduleRounds("9", "9c", "module-rounds.json", "50 concurrent TABLE_LOADs needing unloaded dm-zero, until all "
                + "complete", Goal.ratioAtMost(2));
        moduleRounds("9b", null, "module-rounds-slow.json", "The same with dm-zero's init taking 50 ms "
                + "(--module-faults dm-zero:delay=50ms)", null);
    }

    /**
     * Figure 10: one file served over NBD by dmd (a linear table over a loop device), by nbdkit's
     * file plugin and by qemu-nbd, each measured alone, rounds alternating; medians of the rounds.
     */
    private void nbd() throws IOException {
        String[][] rows = {{"seq", "Sequential read through a linear target, `nbdcopy --no-extents URI null:`", "MiB/s"},
            {"randread", "Random 4 KiB reads at queue depth 32, `fio --ioengine=nbd`", "IOPS"},
            {"randwrite", "Random 4 KiB writes at queue depth 32, `fio --ioengine=nbd`", "IOPS"}};
        char id = 'a';
        for (String[] row : rows) {
            if (!Files.exists(raw.resolve("nbd-" + row[0] + "-dmd.txt"))) {
                return;
            }
            double[] dmd = numbers("nbd-" + row[0] + "-dmd.txt");
            String note = "median of " + dmd.length + " rounds";
            add("10" + id++, row[1], row[2], median(dmd), "nbdkit file plugin, same file",
                    median(numbers("nbd-" + row[0] + "-nbdkit.txt")), Goal.ratioAtLeast(1), note);
            add("10" + id++, row[1], row[2], median(dmd), "qemu-nbd, same file",
                    median(numbers("nbd-" + row[0] + "-qemu-nbd.txt")), null, note);
        }
    }

    /**
     * A figure of module-load rounds and, where {@code control} names one, the row comparing the
     * concurrent loads with the same loads of an already loaded module (not for a slow init, whose
     * own time would be all that row shows).
     */
    private void moduleRounds(String id, String control, String file, String figure, Goal goal) throws IOException {
        Path path = raw.resolve(file);
        if (!Files.exists(path)) {
            return;
        }
        JsonNode result = JSON.readTree(path.toFile());
        List<JsonNode> rounds = new ArrayList<>();
        result.get("rounds").forEach(rounds::add);
        int loaders = result.get("loaders").asInt();
        long shared = rounds.stream().filter(r -> r.get("refcount").asInt() == loaders).count();
        String note = "median of " + rounds.size() + " rounds; " + (shared == rounds.size()
                ? "every round: one module, referenced by all " + loaders + " tables"
                : "only " + shared + " of " + rounds.size() + " rounds ended with one module referenced by all "
                + loaders + " tables");
        double all = median(rounds, r -> r.get("allMicros").asDouble());
        add(id, figure, "µs", all, "one such load alone", median(rounds, r -> r.get("oneMicros").asDouble()), goal,
                note);
        if (control != null) {
            add(control, "The same " + loaders + " concurrent loads, against " + loaders + " with the module already "
                    + "loaded: what coalescing costs beyond serving " + loaders + " requests at once", "µs", all,
                    loaders + " concurrent loads, module loaded", median(rounds, r -> r.get("loadedMicros").asDouble()),
                    null, null);
        }
    }

    // ------------------------------------------------------------------ reading raw results

    private Double jmh(String benchmark, String param, String value) {
        for (JsonNode run : jmh) {
            if (run.get("benchmark").asText().equals(benchmark)
                    && (param == null || value.equals(run.path("params").path(param).asText()))) {
                return run.get("primaryMetric").get("score").asDouble();
            }
        }
        return null;
    }

    private Map<String, String> properties(String name) throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        Path file = raw.resolve(name);
        if (Files.exists(file)) {
            Properties properties = new Properties();
            try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                properties.load(in);
            }
            properties.stringPropertyNames().stream().sorted().forEach(k -> out.put(k, properties.getProperty(k)));
        }
        return out;
    }

    /** The {@code dmctl bench --json} results whose file names start with {@code prefix}, in name order. */
    private List<JsonNode> benchResults(String prefix) throws IOException {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(raw, prefix + "*.json")) {
            dir.forEach(files::add);
        }
        files.sort(null);
        List<JsonNode> results = new ArrayList<>();
        for (Path file : files) {
            results.add(JSON.readTree(file.toFile()));
        }
        return results;
    }

    private double[] numbers(String name) throws IOException {
        Path file = raw.resolve(name);
        if (!Files.exists(file)) {
            return new double[0];
        }
        return Files.readAllLines(file).stream().filter(l -> !l.isBlank()).mapToDouble(Double::parseDouble).toArray();
    }

    private static ToDoubleFunction<JsonNode> all(String member) {
        return result -> {
            JsonNode operations = result.get("operations");
            return operations.get(operations.size() - 1).get(member).asDouble();
        };
    }

    private static Double median(List<JsonNode> results, ToDoubleFunction<JsonNode> value) {
        return results.isEmpty() ? null : median(results.stream().mapToDouble(value).toArray());
    }

    private static Double median(double[] values) {
        if (values.length == 0) {
            return null;
        }
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int middle = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    private static String rounds(List<JsonNode> results) {
        return results.size() > 1 ? "median of " + results.size() + " rounds" : "";
    }

    private static String failures(List<JsonNode> results) {
        long failed = 0;
        for (JsonNode result : results) {
            for (JsonNode count : result.path("errors")) {
                failed += count.asLong();
            }
        }
        return failed == 0 ? "" : "; " + failed + " operations FAILED";
    }

    // ------------------------------------------------------------------ Markdown

    static String markdown(Result result) {
        Map<String, String> m = result.machine();
        StringBuilder out = new StringBuilder();
        out.append("dmd performance, ").append(m.getOrDefault("mode", "?")).append(" run of ")
                .append(m.getOrDefault("started", "?")).append(", commit ").append(m.getOrDefault("commit", "?"))
                .append(", reproduce with `").append(m.getOrDefault("command", "scripts/bench")).append("`\n");
        out.append("Machine: ").append(m.getOrDefault("nproc", "?")).append(" cores (nproc), ")
                .append(m.getOrDefault("cpu", "?")).append(", ").append(m.getOrDefault("memory", "?"))
                .append(" memory, ").append(m.getOrDefault("jdk", "?")).append(", ").append(m.getOrDefault("os", "?"))
                .append("; dmd --workers ").append(m.getOrDefault("workers", "?")).append("\n\n");
        out.append("| # | figure | dmd | baseline (same run) | ratio | goal | met |\n");
        out.append("|---|---|---:|---|---:|---|---|\n");
        for (Figure f : result.figures()) {
            String baseline = f.baseline() != null ? format(f.baseline(), f.unit()) + " (" + f.baselineLabel() + ")"
                    : f.baselineLabel() == null ? "—" : f.baselineLabel() + ": not measured";
            String note = f.note() == null || f.note().isEmpty() ? "" : " <br><sub>" + f.note().replaceFirst("^; ", "")
                    + "</sub>";
            out.append("| ").append(f.id()).append(" | ").append(f.figure()).append(note)
                    .append(" | ").append(f.value() == null ? "not measured" : format(f.value(), f.unit()))
                    .append(" | ").append(baseline)
                    .append(" | ").append(f.ratio() == null ? "—" : String.format(Locale.ROOT, "%.2f×", f.ratio()))
                    .append(" | ").append(f.goal() == null ? "—" : f.goal().text())
                    .append(" | ").append(f.met() == null ? "—" : f.met() ? "yes" : "**MISSED**")
                    .append(" |\n");
        }
        return out.toString();
    }

    static String format(double value, String unit) {
        switch (unit) {
            case "/s":
                return String.format(Locale.ROOT, "%,.0f/s", value);
            case "µs":
                return value >= 10_000 ? String.format(Locale.ROOT, "%,.2f ms", value / 1000)
                        : String.format(Locale.ROOT, "%,.1f µs", value);
            case "B":
                return String.format(Locale.ROOT, "%,.0f B", value);
            case "s":
                return String.format(Locale.ROOT, value < 10 ? "%.3f s" : "%.1f s", value);
            default:
                return String.format(Locale.ROOT, "%,.1f %s", value, unit);
        }
    }

    static String comparison(Result earlier, Result now, String earlierName) {
        Map<String, Figure> before = new LinkedHashMap<>();
        earlier.figures().forEach(f -> before.put(f.id(), f));
        StringBuilder out = new StringBuilder();
        out.append("\nChange against ").append(earlierName).append(" (").append(earlier.machine()
                .getOrDefault("started", "?")).append(", commit ").append(earlier.machine().getOrDefault("commit", "?"))
                .append("):\n\n");
        out.append("| # | figure | before | now | change | ratio before → now | goal met before → now |\n");
        out.append("|---|---|---:|---:|---:|---|---|\n");
        for (Figure f : now.figures()) {
            Figure b = before.get(f.id());
            if (b == null) {
                continue;
            }
            String change = b.value() == null || f.value() == null || b.value() == 0 ? "—"
                    : String.format(Locale.ROOT, "%+.1f%%", 100 * (f.value() - b.value()) / b.value());
            out.append("| ").append(f.id()).append(" | ").append(f.figure())
                    .append(" | ").append(b.value() == null ? "—" : format(b.value(), b.unit()))
                    .append(" | ").append(f.value() == null ? "—" : format(f.value(), f.unit()))
                    .append(" | ").append(change)
                    .append(" | ").append(ratio(b.ratio())).append(" → ").append(ratio(f.ratio()))
                    .append(" | ").append(met(b.met())).append(" → ").append(met(f.met()))
                    .append(" |\n");
        }
        return out.toString();
    }

    private static String ratio(Double ratio) {
        return ratio == null ? "—" : String.format(Locale.ROOT, "%.2f×", ratio);
    }

    private static String met(Boolean met) {
        return met == null ? "—" : met ? "yes" : "no";
    }

    private static String trim(double value) {
        return value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value);
    }
}

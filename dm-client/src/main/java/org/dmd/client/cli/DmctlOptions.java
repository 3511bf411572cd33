package org.dmd.client.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * dmctl's command line as dmsetup's getopt_long sees it: one flat set of switches that may stand
 * before or after the command word, and the words (command, then its arguments). dmd's own
 * commands share the set: {@code -r} is losetup's read-only and modprobe's remove, {@code -f} is
 * dmsetup's and shutdown's force, {@code -d}/{@code -a} are losetup's.
 *
 * <p>The picocli model is built in code rather than from annotations: reflection over annotations
 * is the costliest part of starting picocli, and dmctl is started for every command.
 */
final class DmctlOptions {

    // ------------------------------------------------------------------ dmsetup's switches
    int columns;
    boolean force;
    boolean help;
    String major;
    String minor;
    boolean notable;
    String options;
    String sort;
    boolean readOnly;
    String select;
    String uuid;
    String uid;
    String gid;
    String mode;
    int verbose;
    boolean yes;
    boolean addNodeOnCreate;
    boolean addNodeOnResume;
    boolean checks;
    boolean concise;
    boolean deferred;
    String exec;
    boolean inactive;
    String mangleName;
    boolean namePrefixes;
    boolean noFlush;
    boolean noHeadings;
    boolean noLockFs;
    boolean noOpenCount;
    boolean noUdevRules;
    boolean noUdevSync;
    String readAhead;
    boolean retry;
    boolean rows;
    String separator;
    boolean setUuid;
    boolean showKeys;
    String table;
    String target;
    boolean tree;
    String udevCookie;
    boolean unbuffered;
    boolean unquoted;
    boolean verifyUdev;
    boolean version;

    // ------------------------------------------------------------------ dmd's own
    String socket;
    boolean json;
    boolean all;
    boolean detach;
    boolean remove;
    boolean firstTime;
    boolean kernelMessages;
    // dmctl bench
    String connections;
    String ops;
    String duration;
    String count;
    String warmup;
    String linear;
    String size;
    String namePrefix;

    List<String> words = new ArrayList<>();

    /** A switch: its names, and what each occurrence does (with its argument, for valued ones). */
    private record Switch(String[] names, boolean valued, BiConsumer<DmctlOptions, String> apply) {
    }

    private static Switch flag(Consumer<DmctlOptions> apply, String... names) {
        return new Switch(names, false, (o, v) -> apply.accept(o));
    }

    private static Switch value(BiConsumer<DmctlOptions, String> apply, String... names) {
        return new Switch(names, true, apply);
    }

    private static final List<Switch> SWITCHES = List.of(
            flag(o -> o.columns++, "-c", "-C", "--columns"),
            flag(o -> o.force = true, "-f", "--force"),
            flag(o -> o.help = true, "-h", "--help"),
            value((o, v) -> o.major = v, "-j", "--major"),
            value((o, v) -> o.minor = v, "-m", "--minor"),
            flag(o -> o.notable = true, "-n", "--notable"),
            value((o, v) -> o.options = v, "-o", "--options"),
            value((o, v) -> o.sort = v, "-O", "--sort"),
            flag(o -> o.readOnly = true, "-r", "--readonly"),
            value((o, v) -> o.select = v, "-S", "--select"),
            value((o, v) -> o.uuid = v, "-u", "--uuid"),
            value((o, v) -> o.uid = v, "-U", "--uid"),
            value((o, v) -> o.gid = v, "-G", "--gid"),
            value((o, v) -> o.mode = v, "-M", "--mode"),
            flag(o -> o.verbose++, "-v"),
            // dmsetup declares --verbose with a required argument, so it swallows the next word.
            value((o, v) -> o.verbose++, "--verbose"),
            flag(o -> o.yes = true, "-y", "--yes"),
            flag(o -> o.addNodeOnCreate = true, "--addnodeoncreate"),
            flag(o -> o.addNodeOnResume = true, "--addnodeonresume"),
            flag(o -> o.checks = true, "--checks"),
            flag(o -> o.concise = true, "--concise"),
            flag(o -> o.deferred = true, "--deferred"),
            value((o, v) -> o.exec = v, "--exec"),
            flag(o -> o.inactive = true, "--inactive"),
            value((o, v) -> o.mangleName = v, "--manglename"),
            flag(o -> o.namePrefixes = true, "--nameprefixes"),
            flag(o -> o.noFlush = true, "--noflush"),
            flag(o -> o.noHeadings = true, "--noheadings"),
            flag(o -> o.noLockFs = true, "--nolockfs"),
            flag(o -> o.noOpenCount = true, "--noopencount"),
            flag(o -> o.noUdevRules = true, "--noudevrules"),
            flag(o -> o.noUdevSync = true, "--noudevsync"),
            value((o, v) -> o.readAhead = v, "--readahead"),
            flag(o -> o.retry = true, "--retry"),
            flag(o -> o.rows = true, "--rows"),
            value((o, v) -> o.separator = v, "--separator"),
            flag(o -> o.setUuid = true, "--setuuid"),
            flag(o -> o.showKeys = true, "--showkeys"),
            value((o, v) -> o.table = v, "--table"),
            value((o, v) -> o.target = v, "--target"),
            flag(o -> o.tree = true, "--tree"),
            value((o, v) -> o.udevCookie = v, "--udevcookie"),
            flag(o -> o.unbuffered = true, "--unbuffered"),
            flag(o -> o.unquoted = true, "--unquoted"),
            flag(o -> o.verifyUdev = true, "--verifyudev"),
            flag(o -> o.version = true, "--version"),
            value((o, v) -> o.socket = v, "--socket"),
            flag(o -> o.json = true, "--json"),
            flag(o -> o.all = true, "-a", "--all"),
            flag(o -> o.detach = true, "-d", "--detach"),
            flag(o -> o.remove = true, "--remove"),
            flag(o -> o.firstTime = true, "--first-time"),
            flag(o -> o.kernelMessages = true, "--kernel-messages"),
            value((o, v) -> o.connections = v, "--connections"),
            value((o, v) -> o.ops = v, "--ops"),
            value((o, v) -> o.duration = v, "--duration"),
            value((o, v) -> o.count = v, "--count"),
            value((o, v) -> o.warmup = v, "--warmup"),
            value((o, v) -> o.linear = v, "--linear"),
            value((o, v) -> o.size = v, "--size"),
            value((o, v) -> o.namePrefix = v, "--name-prefix"));

    /**
     * Parses {@code args} getopt-style; the picocli exception says what was wrong. Flags may be
     * repeated and valued switches overwritten (the last wins), as with getopt.
     */
    static DmctlOptions parse(String[] args) throws CommandLine.ParameterException {
        CommandSpec spec = CommandSpec.create().name("dmctl");
        for (Switch s : SWITCHES) {
            spec.addOption(OptionSpec.builder(s.names()).arity(s.valued() ? "1" : "0")
                    .type(s.valued() ? String[].class : boolean[].class).build());
        }
        spec.addPositional(PositionalParamSpec.builder().arity("0..*").type(String[].class).build());
        spec.parser().expandAtFiles(false).overwrittenOptionsAllowed(true).abbreviatedOptionsAllowed(true)
                .unmatchedArgumentsAllowed(false);
        CommandLine.ParseResult result = new CommandLine(spec).parseArgs(args);
        DmctlOptions options = new DmctlOptions();
        for (Switch s : SWITCHES) {
            OptionSpec matched = result.matchedOption(s.names()[0]);
            if (matched == null) {
                continue;
            }
            Object values = matched.getValue();
            if (values instanceof String[] strings) {
                for (String v : strings) {
                    s.apply().accept(options, v);
                }
            } else if (values instanceof boolean[] flags) {
                for (int i = 0; i < flags.length; i++) {
                    s.apply().accept(options, null);
                }
            }
        }
        if (result.hasMatchedPositional(0)) {
            options.words = List.of((String[]) result.matchedPositional(0).getValue());
        }
        return options;
    }

    int verbosity() {
        return verbose;
    }

    boolean columnsWanted() {
        return columns > 0;
    }
}

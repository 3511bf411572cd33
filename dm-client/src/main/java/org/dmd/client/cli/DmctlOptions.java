package org.dmd.client.cli;

import java.util.ArrayList;
import java.util.List;
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
 * <p>The picocli model is built in code rather than from annotations, and what each switch does is
 * one switch statement rather than a lambda per switch: reflection over annotations is the
 * costliest part of starting picocli, linking sixty lambdas the next, and dmctl is started for
 * every command.
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

    /** Every switch dmctl knows: its names, and whether it takes a value. */
    private enum Switch {
        COLUMNS(false, "-c", "-C", "--columns"),
        FORCE(false, "-f", "--force"),
        HELP(false, "-h", "--help"),
        MAJOR(true, "-j", "--major"),
        MINOR(true, "-m", "--minor"),
        NOTABLE(false, "-n", "--notable"),
        OPTIONS(true, "-o", "--options"),
        SORT(true, "-O", "--sort"),
        READ_ONLY(false, "-r", "--readonly"),
        SELECT(true, "-S", "--select"),
        UUID(true, "-u", "--uuid"),
        UID(true, "-U", "--uid"),
        GID(true, "-G", "--gid"),
        MODE(true, "-M", "--mode"),
        VERBOSE(false, "-v"),
        // dmsetup declares --verbose with a required argument, so it swallows the next word.
        VERBOSE_LONG(true, "--verbose"),
        YES(false, "-y", "--yes"),
        ADD_NODE_ON_CREATE(false, "--addnodeoncreate"),
        ADD_NODE_ON_RESUME(false, "--addnodeonresume"),
        CHECKS(false, "--checks"),
        CONCISE(false, "--concise"),
        DEFERRED(false, "--deferred"),
        EXEC(true, "--exec"),
        INACTIVE(false, "--inactive"),
        MANGLE_NAME(true, "--manglename"),
        NAME_PREFIXES(false, "--nameprefixes"),
        NO_FLUSH(false, "--noflush"),
        NO_HEADINGS(false, "--noheadings"),
        NO_LOCK_FS(false, "--nolockfs"),
        NO_OPEN_COUNT(false, "--noopencount"),
        NO_UDEV_RULES(false, "--noudevrules"),
        NO_UDEV_SYNC(false, "--noudevsync"),
        READ_AHEAD(true, "--readahead"),
        RETRY(false, "--retry"),
        ROWS(false, "--rows"),
        SEPARATOR(true, "--separator"),
        SET_UUID(false, "--setuuid"),
        SHOW_KEYS(false, "--showkeys"),
        TABLE(true, "--table"),
        TARGET(true, "--target"),
        TREE(false, "--tree"),
        UDEV_COOKIE(true, "--udevcookie"),
        UNBUFFERED(false, "--unbuffered"),
        UNQUOTED(false, "--unquoted"),
        VERIFY_UDEV(false, "--verifyudev"),
        VERSION(false, "--version"),
        SOCKET(true, "--socket"),
        JSON(false, "--json"),
        ALL(false, "-a", "--all"),
        DETACH(false, "-d", "--detach"),
        REMOVE(false, "--remove"),
        FIRST_TIME(false, "--first-time"),
        KERNEL_MESSAGES(false, "--kernel-messages"),
        CONNECTIONS(true, "--connections"),
        OPS(true, "--ops"),
        DURATION(true, "--duration"),
        COUNT(true, "--count"),
        WARMUP(true, "--warmup"),
        LINEAR(true, "--linear"),
        SIZE(true, "--size"),
        NAME_PREFIX(true, "--name-prefix");

        private final boolean valued;
        private final String[] names;

        Switch(boolean valued, String... names) {
            this.valued = valued;
            this.names = names;
        }
    }

    /** One occurrence of a switch ({@code value} is null for a flag). */
    private void apply(Switch option, String value) {
        switch (option) {
            case COLUMNS -> columns++;
            case FORCE -> force = true;
            case HELP -> help = true;
            case MAJOR -> major = value;
            case MINOR -> minor = value;
            case NOTABLE -> notable = true;
            case OPTIONS -> options = value;
            case SORT -> sort = value;
            case READ_ONLY -> readOnly = true;
            case SELECT -> select = value;
            case UUID -> uuid = value;
            case UID -> uid = value;
            case GID -> gid = value;
            case MODE -> mode = value;
            case VERBOSE, VERBOSE_LONG -> verbose++;
            case YES -> yes = true;
            case ADD_NODE_ON_CREATE -> addNodeOnCreate = true;
            case ADD_NODE_ON_RESUME -> addNodeOnResume = true;
            case CHECKS -> checks = true;
            case CONCISE -> concise = true;
            case DEFERRED -> deferred = true;
            case EXEC -> exec = value;
            case INACTIVE -> inactive = true;
            case MANGLE_NAME -> mangleName = value;
            case NAME_PREFIXES -> namePrefixes = true;
            case NO_FLUSH -> noFlush = true;
            case NO_HEADINGS -> noHeadings = true;
            case NO_LOCK_FS -> noLockFs = true;
            case NO_OPEN_COUNT -> noOpenCount = true;
            case NO_UDEV_RULES -> noUdevRules = true;
            case NO_UDEV_SYNC -> noUdevSync = true;
            case READ_AHEAD -> readAhead = value;
            case RETRY -> retry = true;
            case ROWS -> rows = true;
            case SEPARATOR -> separator = value;
            case SET_UUID -> setUuid = true;
            case SHOW_KEYS -> showKeys = true;
            case TABLE -> table = value;
            case TARGET -> target = value;
            case TREE -> tree = true;
            case UDEV_COOKIE -> udevCookie = value;
            case UNBUFFERED -> unbuffered = true;
            case UNQUOTED -> unquoted = true;
            case VERIFY_UDEV -> verifyUdev = true;
            case VERSION -> version = true;
            case SOCKET -> socket = value;
            case JSON -> json = true;
            case ALL -> all = true;
            case DETACH -> detach = true;
            case REMOVE -> remove = true;
            case FIRST_TIME -> firstTime = true;
            case KERNEL_MESSAGES -> kernelMessages = true;
            case CONNECTIONS -> connections = value;
            case OPS -> ops = value;
            case DURATION -> duration = value;
            case COUNT -> count = value;
            case WARMUP -> warmup = value;
            case LINEAR -> linear = value;
            case SIZE -> size = value;
            case NAME_PREFIX -> namePrefix = value;
        }
    }

    /**
     * Parses {@code args} getopt-style; the picocli exception says what was wrong. Flags may be
     * repeated and valued switches overwritten (the last wins), as with getopt.
     */
    static DmctlOptions parse(String[] args) throws CommandLine.ParameterException {
        CommandSpec spec = CommandSpec.create().name("dmctl");
        for (Switch s : Switch.values()) {
            spec.addOption(OptionSpec.builder(s.names).arity(s.valued ? "1" : "0")
                    .type(s.valued ? String[].class : boolean[].class).build());
        }
        spec.addPositional(PositionalParamSpec.builder().arity("0..*").type(String[].class).build());
        spec.parser().expandAtFiles(false).overwrittenOptionsAllowed(true).abbreviatedOptionsAllowed(true)
                .unmatchedArgumentsAllowed(false);
        CommandLine.ParseResult result = new CommandLine(spec).parseArgs(args);
        DmctlOptions options = new DmctlOptions();
        for (Switch s : Switch.values()) {
            OptionSpec matched = result.matchedOption(s.names[0]);
            if (matched == null) {
                continue;
            }
            Object values = matched.getValue();
            if (values instanceof String[] strings) {
                for (String v : strings) {
                    options.apply(s, v);
                }
            } else if (values instanceof boolean[] flags) {
                for (int i = 0; i < flags.length; i++) {
                    options.apply(s, null);
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

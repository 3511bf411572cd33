package org.dmd.client.cli;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * dmctl's command line as dmsetup's getopt_long sees it: one flat set of switches that may stand
 * before or after the command word, and the words (command, then its arguments). dmd's own
 * commands share the set: {@code -r} is losetup's read-only and modprobe's remove, {@code -f} is
 * dmsetup's and shutdown's force, {@code -d}/{@code -a} are losetup's.
 */
@Command(name = "dmctl")
final class DmctlOptions {

    // ------------------------------------------------------------------ dmsetup's switches

    @Option(names = {"-c", "-C", "--columns"}) boolean[] columns = new boolean[0];
    @Option(names = {"-f", "--force"}) boolean force;
    @Option(names = {"-h", "--help"}) boolean help;
    @Option(names = {"-j", "--major"}) String major;
    @Option(names = {"-m", "--minor"}) String minor;
    @Option(names = {"-n", "--notable"}) boolean notable;
    @Option(names = {"-o", "--options"}) String options;
    @Option(names = {"-O", "--sort"}) String sort;
    @Option(names = {"-r", "--readonly"}) boolean readOnly;
    @Option(names = {"-S", "--select"}) String select;
    @Option(names = {"-u", "--uuid"}) String uuid;
    @Option(names = {"-U", "--uid"}) String uid;
    @Option(names = {"-G", "--gid"}) String gid;
    @Option(names = {"-M", "--mode"}) String mode;
    @Option(names = "-v") boolean[] verbose = new boolean[0];
    /** dmsetup declares --verbose with a required argument, so it swallows the next word. */
    @Option(names = "--verbose") List<String> verboseLong = new ArrayList<>();
    @Option(names = {"-y", "--yes"}) boolean yes;

    @Option(names = "--addnodeoncreate") boolean addNodeOnCreate;
    @Option(names = "--addnodeonresume") boolean addNodeOnResume;
    @Option(names = "--checks") boolean checks;
    @Option(names = "--concise") boolean concise;
    @Option(names = "--deferred") boolean deferred;
    @Option(names = "--exec") String exec;
    @Option(names = "--inactive") boolean inactive;
    @Option(names = "--manglename") String mangleName;
    @Option(names = "--nameprefixes") boolean namePrefixes;
    @Option(names = "--noflush") boolean noFlush;
    @Option(names = "--noheadings") boolean noHeadings;
    @Option(names = "--nolockfs") boolean noLockFs;
    @Option(names = "--noopencount") boolean noOpenCount;
    @Option(names = "--noudevrules") boolean noUdevRules;
    @Option(names = "--noudevsync") boolean noUdevSync;
    @Option(names = "--readahead") String readAhead;
    @Option(names = "--retry") boolean retry;
    @Option(names = "--rows") boolean rows;
    @Option(names = "--separator") String separator;
    @Option(names = "--setuuid") boolean setUuid;
    @Option(names = "--showkeys") boolean showKeys;
    @Option(names = "--table") String table;
    @Option(names = "--target") String target;
    @Option(names = "--tree") boolean tree;
    @Option(names = "--udevcookie") String udevCookie;
    @Option(names = "--unbuffered") boolean unbuffered;
    @Option(names = "--unquoted") boolean unquoted;
    @Option(names = "--verifyudev") boolean verifyUdev;
    @Option(names = "--version") boolean version;

    // ------------------------------------------------------------------ dmd's own

    @Option(names = "--socket") String socket;
    @Option(names = "--json") boolean json;
    @Option(names = {"-a", "--all"}) boolean all;
    @Option(names = {"-d", "--detach"}) boolean detach;
    @Option(names = "--remove") boolean remove;
    @Option(names = "--first-time") boolean firstTime;
    @Option(names = "--kernel-messages") boolean kernelMessages;

    @Parameters List<String> words = new ArrayList<>();

    int verbosity() {
        return verbose.length + verboseLong.size();
    }

    boolean columnsWanted() {
        return columns.length > 0;
    }
}

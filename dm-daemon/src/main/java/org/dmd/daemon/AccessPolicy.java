package org.dmd.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.IntFunction;
import java.util.stream.Collectors;

/**
 * Who may talk to the daemon, as the kernel lets only CAP_SYS_ADMIN use /dev/mapper/control: uid
 * 0, the daemon's own uid, and members of the allowed groups — by primary gid (from the peer's
 * credentials) or by a supplementary group (the {@code Groups:} line of {@code /proc/PID/status}).
 * A peer whose supplementary groups cannot be read (it exited already) is judged by its primary
 * gid alone. Immutable and thread-safe.
 */
final class AccessPolicy {

    private final int daemonUid;
    private final Set<Integer> allowedGroups;
    private final IntFunction<Set<Integer>> supplementaryGroups;

    /**
     * @param supplementaryGroups a pid's supplementary gids; empty if they cannot be read
     */
    AccessPolicy(int daemonUid, Set<Integer> allowedGroups, IntFunction<Set<Integer>> supplementaryGroups) {
        this.daemonUid = daemonUid;
        this.allowedGroups = Set.copyOf(allowedGroups);
        this.supplementaryGroups = supplementaryGroups;
    }

    /** The policy of a daemon running as {@code daemonUid}, reading groups from {@code /proc}. */
    static AccessPolicy forDaemon(int daemonUid, Set<Integer> allowedGroups) {
        return new AccessPolicy(daemonUid, allowedGroups, pid -> procGroups(Path.of("/proc"), pid));
    }

    boolean permits(PeerIdentity peer) {
        if (peer.uid() == 0 || peer.uid() == daemonUid) {
            return true;
        }
        if (allowedGroups.isEmpty()) {
            return false;
        }
        if (allowedGroups.contains(peer.gid())) {
            return true;
        }
        for (int gid : supplementaryGroups.apply(peer.pid())) {
            if (allowedGroups.contains(gid)) {
                return true;
            }
        }
        return false;
    }

    /** Who is allowed, for the message a refused peer receives. */
    String describe() {
        String uids = daemonUid == 0 ? "uid 0" : "uid 0 and uid " + daemonUid;
        return allowedGroups.isEmpty() ? uids : uids + " and members of group" + (allowedGroups.size() > 1 ? "s " : " ")
                + new TreeSet<>(allowedGroups).stream().map(String::valueOf).collect(Collectors.joining(", "));
    }

    /** The supplementary gids on the {@code Groups:} line of {@code PROC/PID/status}; empty if unreadable. */
    static Set<Integer> procGroups(Path proc, int pid) {
        try {
            for (String line : Files.readAllLines(proc.resolve(Integer.toString(pid)).resolve("status"))) {
                if (line.startsWith("Groups:")) {
                    Set<Integer> gids = new HashSet<>();
                    for (String gid : line.substring("Groups:".length()).trim().split("\\s+")) {
                        if (!gid.isEmpty()) {
                            gids.add(Integer.parseInt(gid));
                        }
                    }
                    return gids;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // The peer is gone or its status is not what Linux writes: no supplementary groups.
        }
        return Set.of();
    }
}

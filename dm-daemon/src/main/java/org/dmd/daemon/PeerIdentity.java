package org.dmd.daemon;

/** Who is at the other end of a connection, as SO_PEERCRED tells it at connect time. */
record PeerIdentity(int pid, int uid, int gid) {

    @Override
    public String toString() {
        return "pid " + pid + " uid " + uid + " gid " + gid;
    }
}

package org.dmd.core.target;

/** One dirty log instance owned by a mirror target. */
public interface DirtyLog {

    /** Table text: {@code TYPE #ARGS ARGS...}, e.g. {@code core 2 1024 nosync}. */
    String table();

    /** Status text: {@code TYPE #ARGS ARGS...}, e.g. {@code core 1 A} style per the kernel. */
    String status();

    /** Region size in sectors. */
    long regionSize();
}

package org.dmd.core.target;

/** One exception store owned by a snapshot target. */
public interface ExceptionStore {

    /** Table text of the store: {@code P} / {@code N} (with {@code PO} for overflow) and chunk size. */
    String table();

    /** Status text of the store at rest, e.g. {@code 16/2097152 16} for an empty persistent store. */
    String status();
}

package org.dmd.core.concurrent;

/**
 * Named points in dmd's lifecycles where a test can pause a thread to force an interleaving
 * (the races of dm.c, dm-ioctl.c and the module loader that the tests force). A step is always reached with no lock held.
 */
public enum Step {
    /** Create: the minor holds the placeholder; the device is not yet published. */
    CREATE_MINOR_RESERVED,
    /** Create: the device is published in the MinorTable but not yet in the name/uuid index. */
    CREATE_PUBLISHED,
    /** Create: the device is in the index and visible. */
    CREATE_HASHED,
    /** Last put: the count may reach zero; the MinorTable guard is about to be taken. */
    PUT_MAY_BE_LAST,
    /** Remove: the device was found; lock-for-deletion is next. */
    REMOVE_FOUND,
    /** Remove: unhashed; waiting for holders and freeing are next. */
    REMOVE_UNHASHED,
    /** Remove-all: one device was removed; the walk restarts from the first name. */
    REMOVE_ALL_RESTART,
    /** Rename: arguments checked; the index write lock is next. */
    RENAME_CHECKED,
    /** Open: the block device open is about to take the MinorTable guard. */
    OPEN_BEFORE_GUARD,
    /** Target message: the device was found (a reference is held); the message is next. */
    MESSAGE_FOUND,
    /** Table load: the table is built (targets constructed, devices opened); staging is next. */
    LOAD_TABLE_BUILT,
    /** Resume: the inactive table was taken out of its slot; the swap is next. */
    RESUME_TABLE_TAKEN,
    /** Clear: the device was found; detaching the inactive table is next. */
    CLEAR_FOUND,
    /** Wait: the waiter is registered on the device's event counter. */
    WAIT_REGISTERED,
    /** Module load: the module is UNFORMED (its name is reserved). */
    MODULE_UNFORMED,
    /** Module load: the module's sysfs directory exists but its initstate attribute does not yet. */
    MODULE_SYSFS_DIR,
    /** Module load: COMING, init() is about to run. */
    MODULE_INIT,
    /** Module load: init() has registered at least one type and is still running. */
    MODULE_INIT_REGISTERED,
    /** Module unload: the module is GOING, exit() is about to run. */
    MODULE_GOING,
    /** Registry get: the type was missed and request_module is about to run. */
    REQUEST_MODULE,
    /** Table load: a target type was taken from its registry (its module holds our reference). */
    TYPE_TAKEN,
    /**
     * Deps, status, wait: a reader of the selected (live or staged) table is admitted, so the
     * table cannot be destroyed until it leaves; reading it is next.
     */
    TABLE_READER_ADMITTED,
    /**
     * Deferred removal: a device marked for it had its last close (subject: its minor); removing
     * it is next, in the closing thread for a block-device open, on the deferred-remove worker
     * for a table's.
     */
    CLOSE_DEFERRED_REMOVE,
    /** Bio path: a bio arrived while I/O is blocked for suspend and is on the deferred list (subject: dm-N). */
    BIO_DEFERRED,
    /** Bio path: a target remapped a clone; submitting it to the underlying device is next (subject: dm-N). */
    BIO_REMAPPED,
    /** Suspend: new bios are deferred; waiting for the requests in flight to drain is next (subject: dm-N). */
    SUSPEND_DRAINING
}

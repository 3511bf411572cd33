package org.dmd.core.registry;

/**
 * What differs between the four device-mapper type registries (dm-target.c, dm-path-selector.c, dm-log.c, dm-exception-store.c);
 * everything else is {@link TypeRegistry}'s common pattern.
 */
enum RegistryKind {
    /** dm-target.c: autoload {@code dm-NAME}, one retry; unregistering an unknown name is a BUG. */
    TARGET("target", "dm-", false, false, false, true, null),
    /** dm-path-selector.c: module reference only while the type has users; ETXTBSY while in use. */
    PATH_SELECTOR("path selector", "dm-", false, true, false, false, null),
    /** dm-log.c: truncate-at-last-dash autoload loop; put only if the type is still registered. */
    DIRTY_LOG("dirty log", "dm-log-", true, false, true, false,
            "device-mapper: dirty region log: Module for logging type \"%s\" not found."),
    /** dm-exception-store.c: truncate-at-last-dash autoload loop. */
    EXCEPTION_STORE("exception store", "dm-exstore-", true, false, false, false,
            "device-mapper: snapshot exception stores: Module for exstore type \"%s\" not found.");

    /** How messages name a type of this registry. */
    final String noun;
    /** Prefix of the module name requested on a miss. */
    final String autoloadPrefix;
    /** On a miss, retry with the name cut at its last dash until none is left (else: one retry). */
    final boolean truncatingAutoload;
    /** The owner reference is taken by the first user and dropped by the last (a use counter). */
    final boolean firstUserReference;
    /** {@code put} drops the owner reference only if the type is still registered. */
    final boolean putOnlyIfRegistered;
    /** Unregistering a name this owner did not register is a fatal assertion, not EINVAL. */
    final boolean unknownUnregisterIsFatal;
    /** The kernel's warning when the autoload loop gives up (format with the type name), or null. */
    final String notFoundWarning;

    RegistryKind(String noun, String autoloadPrefix, boolean truncatingAutoload, boolean firstUserReference,
            boolean putOnlyIfRegistered, boolean unknownUnregisterIsFatal, String notFoundWarning) {
        this.noun = noun;
        this.autoloadPrefix = autoloadPrefix;
        this.truncatingAutoload = truncatingAutoload;
        this.firstUserReference = firstUserReference;
        this.putOnlyIfRegistered = putOnlyIfRegistered;
        this.unknownUnregisterIsFatal = unknownUnregisterIsFatal;
        this.notFoundWarning = notFoundWarning;
    }
}

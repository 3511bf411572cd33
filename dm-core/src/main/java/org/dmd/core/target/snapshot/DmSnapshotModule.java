package org.dmd.core.target.snapshot;

import java.util.List;
import org.dmd.core.target.support.TypeModule;
import org.dmd.core.target.support.TypeRegistration;

/**
 * {@code dm-snapshot}: registers its exception stores first (transient and {@code N}, then
 * persistent and {@code P}), then the {@code snapshot}, {@code snapshot-origin} and
 * {@code snapshot-merge} targets; a failure unregisters everything registered before it.
 */
public final class DmSnapshotModule extends TypeModule {

    public DmSnapshotModule() {
        super("dm-snapshot", List.of("dm-mod"), List.of(
                TypeRegistration.exceptionStore(TransientStoreType.TRANSIENT),
                TypeRegistration.exceptionStore(TransientStoreType.COMPAT),
                TypeRegistration.exceptionStore(PersistentStoreType.PERSISTENT),
                TypeRegistration.exceptionStore(PersistentStoreType.COMPAT),
                TypeRegistration.target(SnapshotTarget.SNAPSHOT),
                TypeRegistration.target(SnapshotOriginTarget.TYPE),
                TypeRegistration.target(SnapshotTarget.SNAPSHOT_MERGE)));
    }
}

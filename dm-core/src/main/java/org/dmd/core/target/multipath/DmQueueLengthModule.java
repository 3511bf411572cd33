package org.dmd.core.target.multipath;

import java.util.List;
import org.dmd.core.target.support.TypeModule;
import org.dmd.core.target.support.TypeRegistration;

/** {@code dm-queue-length}: registers the {@code queue-length} path selector. */
public final class DmQueueLengthModule extends TypeModule {

    public DmQueueLengthModule() {
        super("dm-queue-length", List.of("dm-multipath"),
                List.of(TypeRegistration.pathSelector(RepeatCountSelectorType.QUEUE_LENGTH)));
    }
}

package org.dmd.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.channels.spi.SelectorProvider;
import org.junit.jupiter.api.Test;

/** What dmctl's main sets up for the process before running a command. */
class DmctlMainTest {

    @Test
    void theSelectorProviderNamedIsTheOneTheJdkTakesUnasked() {
        assertEquals(Dmctl.JDK_SELECTOR_PROVIDER, SelectorProvider.provider().getClass().getName());
    }
}

package org.dmd.daemon;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** What the daemon tests of idle connections (BadInputTest, ConcurrencyTest, MonitorTest) cannot reach. */
class IdleCloserTest {

    @Test
    void timeoutBeyondTheNanosecondRangeIsAccepted() {
        // --idle-timeout 999999999h is a valid option: a thousand years must not overflow.
        assertDoesNotThrow(() -> new IdleCloser(Duration.ofDays(365L * 1000)).close());
    }
}

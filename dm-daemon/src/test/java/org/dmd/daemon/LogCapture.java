package org.dmd.daemon;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.time.Duration;
import org.awaitility.Awaitility;
import java.util.List;
import java.util.stream.Collectors;
import org.slf4j.LoggerFactory;

/** Collects what one class logs (debug included), so a test can wait for a message. */
final class LogCapture implements AutoCloseable {

    private final Logger logger;
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    LogCapture(Class<?> source) {
        logger = (Logger) LoggerFactory.getLogger(source);
        appender.start();
        logger.addAppender(appender);
    }

    /** The messages so far, formatted. */
    List<String> messages() {
        synchronized (appender) { // AppenderBase appends under this lock
            return appender.list.stream().map(ILoggingEvent::getFormattedMessage).collect(Collectors.toList());
        }
    }

    long count(String part) {
        return messages().stream().filter(m -> m.contains(part)).count();
    }

    /** Waits until {@code times} messages contain {@code part}. */
    void await(String part, int times) {
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> count(part) >= times);
    }

    @Override
    public void close() {
        logger.detachAppender(appender);
    }
}

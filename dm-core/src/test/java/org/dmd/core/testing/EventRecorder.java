package org.dmd.core.testing;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.awaitility.core.ConditionFactory;
import org.dmd.core.control.DeviceMapper;
import org.dmd.core.event.Event;
import org.dmd.core.event.EventBus;
import org.dmd.core.event.KernelMessage;
import org.dmd.core.event.Uevent;

/**
 * Records what an {@link EventBus} delivers, in delivery order, for assertions.
 *
 * <p>Delivery is asynchronous; {@link #sync()} makes "everything emitted so far has been
 * recorded" true, so that a test can assert the <em>absence</em> of an event. The await methods
 * poll with Awaitility up to {@link StepGate#TIMEOUT}.
 */
public final class EventRecorder implements AutoCloseable {

    private static final String SYNC_MARK = "event-recorder sync ";
    /** Delivery takes microseconds: poll at once and often, so that syncing does not slow tests down. */
    private static final Duration POLL = Duration.ofMillis(1);
    private static final AtomicLong SYNCS = new AtomicLong();

    private final EventBus bus;
    private final List<Event> events = new CopyOnWriteArrayList<>();
    private final AutoCloseable subscription;

    private EventRecorder(EventBus bus) {
        this.bus = bus;
        this.subscription = bus.subscribe(events::add);
    }

    public static EventRecorder on(DeviceMapper dm) {
        return on(dm.events());
    }

    public static EventRecorder on(EventBus bus) {
        return new EventRecorder(bus);
    }

    /** Every event recorded, without the recorder's own sync marks. */
    public List<Event> events() {
        return events.stream().filter(e -> !isSyncMark(e)).toList();
    }

    public List<Uevent> uevents() {
        return events.stream().filter(Uevent.class::isInstance).map(Uevent.class::cast).toList();
    }

    /** Uevents of block devices ({@code dm-N}). */
    public List<Uevent> blockUevents() {
        return uevents().stream().filter(u -> u.subsystem().equals("block")).toList();
    }

    public List<KernelMessage> messages() {
        return events().stream().filter(KernelMessage.class::isInstance).map(KernelMessage.class::cast).toList();
    }

    /** Waits until every event emitted before this call has been delivered to the recorder. */
    public void sync() {
        String mark = SYNC_MARK + SYNCS.incrementAndGet();
        bus.log(KernelMessage.Level.INFO, mark);
        waiting().until(() -> events.stream()
                .anyMatch(e -> e instanceof KernelMessage m && m.text().equals(mark)));
    }

    /** Waits for a uevent matching {@code filter} and returns the first one. */
    public Uevent awaitUevent(Predicate<Uevent> filter) {
        return waiting()
                .until(() -> uevents().stream().filter(filter).findFirst().orElse(null), u -> u != null);
    }

    /** Waits for a kernel message containing {@code text} and returns the first one. */
    public KernelMessage awaitMessage(String text) {
        return waiting()
                .until(() -> messages().stream().filter(m -> m.text().contains(text)).findFirst().orElse(null),
                        m -> m != null);
    }

    private static ConditionFactory waiting() {
        return await().atMost(StepGate.TIMEOUT).pollDelay(Duration.ZERO).pollInterval(POLL);
    }

    private static boolean isSyncMark(Event e) {
        return e instanceof KernelMessage m && m.text().startsWith(SYNC_MARK);
    }

    @Override
    public void close() throws Exception {
        subscription.close();
    }
}

package org.dmd.client;

import java.util.Map;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.dmd.core.control.Replies;
import org.dmd.core.control.Requests;
import org.dmd.core.errno.DmException;

/**
 * A monitoring connection: after the daemon acknowledged the subscription, one daemon thread reads
 * the pushed events and hands each to the listener, in the daemon's order. The stream ends when
 * {@link #close()} is called, the daemon goes away, or the listener throws.
 *
 * <p>Invariant: {@code failure} is written once, by the reader thread, before {@code ended} is
 * counted down; readers of it wait on {@code ended} first.
 */
public final class Subscription implements AutoCloseable {

    private final FrameChannel channel;
    private final Consumer<MonitorEvent> listener;
    private final CountDownLatch ended = new CountDownLatch(1);
    /** Why the stream ended (null after close()); published by {@code ended}. */
    private DmException failure;
    private volatile boolean closing;

    private Subscription(FrameChannel channel, Consumer<MonitorEvent> listener) {
        this.channel = channel;
        this.listener = listener;
    }

    static Subscription start(Path socket, boolean kernelMessages, Consumer<MonitorEvent> listener)
            throws DmException {
        FrameChannel channel = FrameChannel.open(socket);
        try {
            channel.write(WireCodec.encode(0, new Requests.Monitor(kernelMessages)));
            WireCodec.reply(WireCodec.parse(channel.read()), Replies.Subscribed.class);
        } catch (DmException | RuntimeException e) {
            channel.close();
            throw e;
        }
        Subscription subscription = new Subscription(channel, listener);
        Thread reader = new Thread(subscription::readEvents, "dmd-monitor");
        reader.setDaemon(true);
        reader.start();
        return subscription;
    }

    private void readEvents() {
        try {
            while (true) {
                Map<String, Object> frame = WireCodec.parse(channel.read());
                if (WireCodec.isEvent(frame)) {
                    listener.accept(WireCodec.event(frame));
                }
            }
        } catch (DmException e) {
            failure = closing ? null : e;
        } catch (RuntimeException e) {
            failure = new DmException(org.dmd.core.errno.Errno.EIO, "monitor listener failed: %s", e);
        } finally {
            channel.close();
            ended.countDown();
        }
    }

    /** Waits until the stream ends; returns why (null if closed by {@link #close()}). */
    public DmException join() throws InterruptedException {
        ended.await();
        return failure;
    }

    /** Waits at most {@code timeout}; true if the stream has ended. */
    public boolean awaitEnd(long timeout, TimeUnit unit) throws InterruptedException {
        return ended.await(timeout, unit);
    }

    public boolean isOpen() {
        return ended.getCount() > 0;
    }

    @Override
    public void close() {
        closing = true;
        channel.close();
    }
}

package org.dmd.core.module;

import static org.awaitility.Awaitility.await;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.dmd.core.concurrent.Step;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.dmd.core.event.Event;
import org.dmd.core.event.EventBus;
import org.dmd.core.event.KernelMessage;
import org.dmd.core.event.Uevent;
import org.dmd.core.testing.Parked;
import org.dmd.core.testing.StepGate;
import org.junit.jupiter.api.AfterEach;

/** Shared set-up for module and registry tests: the fixture index, a step gate, events, a thread pool. */
public abstract class ModuleTestSupport {

    /** A call whose outcome is an errno (null for success). */
    public interface Call {
        void run() throws DmException;
    }

    protected final StepGate gate = new StepGate();
    protected final EventBus events = new EventBus();
    protected final List<Event> received = new CopyOnWriteArrayList<>();
    protected final ExecutorService pool = Executors.newCachedThreadPool();
    protected Modules modules;

    protected ModuleTestSupport() {
        events.subscribe(received::add);
    }

    /** The fixture index under src/test/resources. */
    public static ModuleIndex testIndex() throws DmException {
        try {
            return ModuleIndex.load(Path.of(ModuleTestSupport.class.getResource("test-index").toURI()));
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Starts the module subsystem on the fixture index with a policy and fault spec. */
    protected Modules start(String policy, String faults) throws DmException {
        return start(Modules.builder().policy(ModulePolicy.parse(policy)).faults(ModuleFaults.parse(faults)));
    }

    protected Modules start(Modules.Builder builder) throws DmException {
        modules = builder.index(testIndex()).events(events).steps(gate).build();
        return modules;
    }

    @AfterEach
    void stopModules() throws InterruptedException {
        try {
            gate.close();
        } finally {
            pool.shutdownNow();
            pool.awaitTermination(10, TimeUnit.SECONDS);
            if (modules != null) {
                modules.close();
            }
            events.close();
        }
    }

    /** Runs a call, returning its errno or null. */
    protected static Errno errnoOf(Call call) {
        try {
            call.run();
            return null;
        } catch (DmException e) {
            return e.errno();
        }
    }

    /** Runs a call, returning its failure or null. */
    protected static DmException failureOf(Call call) {
        try {
            call.run();
            return null;
        } catch (DmException e) {
            return e;
        }
    }

    /** Starts a call in another thread; the future yields its errno or null. */
    protected Future<Errno> async(Call call) {
        return pool.submit(() -> errnoOf(call));
    }

    protected static <T> T result(Future<T> future) throws Exception {
        return future.get(20, TimeUnit.SECONDS);
    }

    /**
     * Runs {@code call} in a new thread, interrupts it once {@code waiting} has seen it wait, and
     * returns its errno.
     */
    protected static Errno interruptWhileWaiting(Call call, Runnable waiting) throws InterruptedException {
        AtomicReference<Errno> errno = new AtomicReference<>();
        Thread thread = new Thread(() -> errno.set(errnoOf(call)));
        thread.start();
        waiting.run();
        thread.interrupt();
        thread.join();
        return errno.get();
    }

    /** Starts {@code call} in another thread and returns once it is parked at {@code step} for {@code subject}. */
    protected Parked<Void> parkedAt(Step step, Object subject, Call call) {
        return Parked.start(gate.park(step, subject), step + " " + subject, () -> {
            call.run();
            return null;
        });
    }

    protected ModuleLoader loader() {
        return modules.loader();
    }

    /** Waits until {@code n} threads are parked on the loader's module_wq. */
    protected void awaitModuleWqWaiters(int n) {
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(2))
                .until(() -> loader().moduleWqWaiters() == n);
    }

    /** Waits until {@code n} threads wait for the in-flight load of {@code file}. */
    protected void awaitSameFileWaiters(String file, int n) {
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(2))
                .until(() -> loader().sameFileWaiters(file) == n);
    }

    protected static String file(String module) {
        return "kernel/drivers/md/" + module + ".ko";
    }

    protected ModuleState state(String module) {
        return modules.find(module).map(LoadedModule::state).orElse(null);
    }

    protected boolean loaded(String module) {
        return modules.find(module).isPresent();
    }

    /** Waits until a kernel message containing {@code text} has been delivered. */
    protected void awaitMessage(KernelMessage.Level level, String text) {
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(2))
                .until(() -> messages(level).stream().anyMatch(m -> m.contains(text)));
    }

    /** The kernel messages of a level delivered so far. */
    protected List<String> messages(KernelMessage.Level level) {
        return received.stream().filter(e -> e instanceof KernelMessage && ((KernelMessage) e).level() == level)
                .map(e -> ((KernelMessage) e).text()).collect(Collectors.toList());
    }

    /** The module uevents delivered so far, as "ACTION /module/name". */
    protected List<String> moduleUevents() {
        return received.stream().filter(e -> e instanceof Uevent && ((Uevent) e).subsystem().equals("module"))
                .map(e -> ((Uevent) e).action() + " " + ((Uevent) e).devpath()).collect(Collectors.toList());
    }
}

package org.dmd.daemon.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * dmd as a separate process, for integration tests: {@code java -cp <this JVM's test classpath>
 * org.dmd.daemon.Dmd --socket SOCKET [options]}, its stdout and stderr collected. {@link #start}
 * returns once the daemon has logged its start line, i.e. it accepts connections.
 *
 * <p>Use from another module's tests with a test-scoped dependency on {@code dm-daemon} and on
 * its {@code test-jar}. Thread-safety: the output is guarded by {@code this}.
 */
public final class DaemonProcess implements AutoCloseable {

    /** How long starting and stopping may take (a cold JVM on a loaded machine). */
    public static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final String STARTED = " listening on ";

    private final Path socket;
    private final Process process;
    /** Guarded by this. */
    private final StringBuilder output = new StringBuilder();
    /** Guarded by this: the output was read to its end (the process closed it). */
    private boolean ended;

    private DaemonProcess(Path socket, Process process) {
        this.socket = socket;
        this.process = process;
    }

    /**
     * Starts dmd on {@code socket} with further options (e.g. {@code --idle-timeout 2s}) and waits
     * for its start line; fails with its output if it exits or stays silent instead.
     */
    public static DaemonProcess start(Path socket, String... options) throws IOException {
        DaemonProcess daemon = launch(socket, options);
        daemon.awaitOutput(STARTED);
        return daemon;
    }

    /** Starts dmd without waiting for anything (e.g. to see it refuse to start). */
    public static DaemonProcess launch(Path socket, String... options) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", classPath(),
                // dmd's own logging configuration, not the quieter one of the tests on the same class path
                "-Dlogback.configurationFile=logback.xml", "org.dmd.daemon.Dmd", "--socket", socket.toString()));
        command.addAll(List.of(options));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        DaemonProcess daemon = new DaemonProcess(socket, process);
        Thread pump = new Thread(daemon::collectOutput, "dmd-output");
        pump.setDaemon(true);
        pump.start();
        return daemon;
    }

    /** The test class path: surefire hides it behind a manifest-only jar unless asked. */
    private static String classPath() {
        return System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    }

    private void collectOutput() {
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                synchronized (this) {
                    output.append(line).append('\n');
                    notifyAll();
                }
            }
        } catch (IOException e) {
            // The process is gone.
        } finally {
            synchronized (this) {
                ended = true;
                notifyAll();
            }
        }
    }

    /** Waits until the output contains {@code text}; fails with the output if the process ends first. */
    public synchronized void awaitOutput(String text) {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (output.indexOf(text) < 0) {
            long left = deadline - System.nanoTime();
            if (left <= 0 || ended) {
                throw new AssertionError("dmd did not print \"" + text + "\"" + (ended ? " before closing its output"
                        : " within " + TIMEOUT) + "; its output:\n" + output);
            }
            try {
                wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }
    }

    public Path socket() {
        return socket;
    }

    public Process process() {
        return process;
    }

    /** Everything the daemon printed so far. */
    public synchronized String output() {
        return output.toString();
    }

    /** Waits for the process to exit by itself and returns its status. */
    public int awaitExit() throws InterruptedException {
        if (!process.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("dmd is still running after " + TIMEOUT + "; its output:\n" + output());
        }
        return process.exitValue();
    }

    /**
     * Sends SIGTERM and waits for the exit; returns the exit status (143 after SIGTERM, as for any
     * JVM stopped by a signal). Kills it if it does not stop within {@link #TIMEOUT}.
     */
    public int terminate() throws InterruptedException {
        // Through the handle: Process.destroy() would also close our end of its output, losing the stop's log.
        process.toHandle().destroy();
        if (!process.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("dmd did not stop within " + TIMEOUT + " of SIGTERM; its output:\n" + output());
        }
        return process.exitValue();
    }

    /** Terminates the daemon if it still runs; if interrupted meanwhile, kills it. */
    @Override
    public void close() {
        if (process.isAlive()) {
            try {
                terminate();
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }
}

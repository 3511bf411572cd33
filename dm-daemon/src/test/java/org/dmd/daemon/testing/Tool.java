package org.dmd.daemon.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a command-line tool (nbdinfo, qemu-io, fio, ...) to its end and collects its output, for
 * integration tests. .ci/run installs the tools the tests use.
 */
public final class Tool {

    /** How long one tool may take on a loaded two-core machine. */
    public static final Duration TIMEOUT = Duration.ofSeconds(90);

    /** What a run gave: its exit status and its stdout and stderr, together. */
    public record Result(List<String> command, int exit, String output) {

        /** The output; fails with the command and its output unless it exited 0. */
        public String checked() {
            if (exit != 0) {
                throw new AssertionError(String.join(" ", command) + " exited " + exit + ":\n" + output);
            }
            return output;
        }
    }

    private Tool() {
    }

    public static Result run(String... command) throws IOException, InterruptedException {
        return run(List.of(command));
    }

    public static Result run(List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().close();
        byte[][] output = new byte[1][];
        Thread reader = new Thread(() -> {
            try {
                output[0] = process.getInputStream().readAllBytes();
            } catch (IOException e) {
                output[0] = e.toString().getBytes(StandardCharsets.UTF_8);
            }
        }, "tool-output");
        reader.start();
        if (!process.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            reader.join();
            throw new AssertionError(String.join(" ", command) + " did not finish within " + TIMEOUT + ":\n"
                    + new String(output[0], StandardCharsets.UTF_8));
        }
        reader.join();
        return new Result(command, process.exitValue(), new String(output[0], StandardCharsets.UTF_8));
    }
}

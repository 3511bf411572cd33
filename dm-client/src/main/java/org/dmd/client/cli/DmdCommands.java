package org.dmd.client.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import org.dmd.client.ConnectionException;
import org.dmd.client.MonitorEvent;
import org.dmd.client.Subscription;
import org.dmd.client.format.Formats;
import org.dmd.core.control.Replies;
import org.dmd.core.control.Requests;
import org.dmd.core.errno.DmException;

/**
 * dmd's own commands, each speaking like the tool it stands for: {@code losetup} (util-linux),
 * {@code modprobe} and {@code lsmod} (kmod), {@code monitor} ({@code udevadm monitor --kernel
 * --property}) and {@code shutdown}.
 */
final class DmdCommands {

    private final Session s;

    DmdCommands(Session session) {
        this.s = session;
    }

    /** A dmd call whose failure is reported as {@code TOOL: WHAT: strerror}, the tools' style. */
    private <T> T call(String prefix, Session.Call<T> call) {
        return call(prefix, false, call);
    }

    /** {@code detailed}: the daemon's explanation instead of the bare strerror text. */
    private <T> T call(String prefix, boolean detailed, Session.Call<T> call) {
        try {
            return call.run(s.client());
        } catch (ConnectionException e) {
            throw new Session.Abort(e.getMessage());
        } catch (DmException e) {
            s.error(prefix + (detailed ? e.getMessage() : e.errno().strerror()));
            if (!detailed && s.verbosity() > 0) {
                s.error("dmd: " + e.getMessage());
            }
            return null;
        }
    }

    // ------------------------------------------------------------------ losetup

    /** {@code losetup [-r] [-f] FILE}, {@code losetup -d DEV...}, {@code losetup -a}, {@code losetup DEV}. */
    boolean losetup(List<String> args) {
        if (s.options.detach) {
            if (args.isEmpty()) {
                s.error("losetup: no loop device specified");
                return false;
            }
            boolean ok = true;
            for (String device : args) {
                Replies.Done done = call("losetup: " + device + ": detach failed: ", c -> c.loopDetach(device));
                ok &= done != null;
            }
            return ok;
        }
        if (s.options.all || args.isEmpty()) {
            return listLoops(null);
        }
        if (args.size() > 1) {
            s.error("losetup: unexpected arguments");
            return false;
        }
        String arg = args.get(0);
        if (arg.matches("/dev/loop[0-9]+") && !Files.exists(Path.of(arg))) {
            return listLoops(arg);
        }
        Path file = Path.of(arg);
        Replies.LoopInfo loop = call("losetup: " + arg + ": failed to set up loop device: ",
                c -> c.loopAttach(file, s.options.readOnly));
        if (loop == null) {
            return false;
        }
        s.result(loop);
        s.print(devicePath(loop) + "\n");
        return true;
    }

    private boolean listLoops(String only) {
        Replies.Loops loops = call("losetup: ", c -> c.loops());
        if (loops == null) {
            return false;
        }
        StringBuilder out = new StringBuilder();
        boolean found = only == null;
        for (Replies.LoopInfo loop : loops.loops()) {
            if (only != null && !devicePath(loop).equals(only)) {
                continue;
            }
            found = true;
            s.result(loop);
            long[] identity = fileIdentity(loop.file());
            Formats.loop(out, loop, identity[0], identity[1]);
        }
        if (!found) {
            s.error("losetup: " + only + ": No such device or address");
            return false;
        }
        if (only == null && out.length() == 0) {
            s.result(loops);
        }
        s.print(out);
        return true;
    }

    private static String devicePath(Replies.LoopInfo loop) {
        return loop.device().startsWith("/") ? loop.device() : "/dev/" + loop.device();
    }

    /** The backing file's st_dev and inode, as the kernel records them; zeros if it cannot be examined. */
    private static long[] fileIdentity(String file) {
        try {
            Path path = Path.of(file);
            long dev = ((Number) Files.getAttribute(path, "unix:dev", LinkOption.NOFOLLOW_LINKS)).longValue();
            long ino = ((Number) Files.getAttribute(path, "unix:ino", LinkOption.NOFOLLOW_LINKS)).longValue();
            return new long[] {dev, ino};
        } catch (IOException | RuntimeException e) {
            return new long[] {0, 0};
        }
    }

    // ------------------------------------------------------------------ modprobe, lsmod

    /** {@code modprobe [-r|--remove] [--first-time] MODULE...}. */
    boolean modprobe(List<String> args) {
        if (args.isEmpty()) {
            s.error("modprobe: ERROR: missing parameters. See -h.");
            return false;
        }
        boolean remove = s.options.remove || s.options.readOnly;
        boolean ok = true;
        for (String module : args) {
            Replies.ModprobeDone done;
            try {
                done = s.client().modprobe(new Requests.Modprobe(module, remove, s.options.firstTime));
            } catch (ConnectionException e) {
                throw new Session.Abort(e.getMessage());
            } catch (DmException e) {
                s.error(modprobeMessage(e.getMessage()));
                ok = false;
                continue;
            }
            s.result(done);
        }
        return ok;
    }

    /** kmod's prefixes: "Module ..." verdicts are FATAL, everything else (insert, remove failures) ERROR. */
    static String modprobeMessage(String message) {
        if (message.startsWith("modprobe:")) {
            return message;
        }
        return (message.startsWith("Module ") ? "modprobe: FATAL: " : "modprobe: ERROR: ") + message;
    }

    boolean lsmod() {
        Replies.Modules modules = call("lsmod: ", c -> c.lsmod());
        if (modules == null) {
            return false;
        }
        s.result(modules);
        StringBuilder out = new StringBuilder();
        Formats.lsmod(out, modules.modules());
        s.print(out);
        return true;
    }

    // ------------------------------------------------------------------ monitor, shutdown

    /**
     * Prints uevents as they come until the daemon closes the stream (it stops) or the process is
     * interrupted. With {@code --json}, one JSON object per event and line.
     */
    boolean monitor() {
        s.client();
        StringBuilder header = new StringBuilder();
        Formats.monitorHeader(header);
        s.print(header);
        s.out.flush();
        Subscription subscription;
        try {
            subscription = s.client().monitor(s.options.kernelMessages, this::printEvent);
        } catch (ConnectionException e) {
            throw new Session.Abort(e.getMessage());
        } catch (DmException e) {
            s.error("monitor: " + e.getMessage());
            return false;
        }
        try {
            subscription.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            subscription.close();
        }
        return true;
    }

    private void printEvent(MonitorEvent event) {
        if (s.json()) {
            try {
                s.out.append(org.dmd.client.WireCodec.mapper().writeValueAsString(event)).append('\n');
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                s.error("monitor: " + e.getMessage());
            }
            s.out.flush();
            return;
        }
        StringBuilder out = new StringBuilder();
        long micros = System.nanoTime() / 1000;
        if (event instanceof MonitorEvent.Uevent uevent) {
            Formats.uevent(out, uevent, micros);
        } else if (event instanceof MonitorEvent.KernelMessage message) {
            Formats.kernelMessage(out, message, micros);
        } else if (event instanceof MonitorEvent.Dropped dropped) {
            s.err.append("monitor: ").append(Long.toString(dropped.count()))
                    .append(" events dropped (this monitor was too slow)\n");
            s.err.flush();
        }
        s.out.append(out);
        s.out.flush();
    }

    /** {@code shutdown [-f]}: refused while devices exist unless forced. */
    boolean shutdown() {
        Replies.ShutdownDone done = call("shutdown: ", true, c -> c.shutdown(s.options.force));
        if (done == null) {
            return false;
        }
        s.result(done);
        if (s.verbosity() > 0 && done.destroyed() != null) {
            for (String name : done.destroyed()) {
                s.print("Removed " + name + "\n");
            }
        }
        return true;
    }
}

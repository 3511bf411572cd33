package org.dmd.core.module;

import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;

/**
 * Faults injected into module init by configuration, to open the seeds' race windows (docs/sources.md) on demand.
 * Immutable. Each module may have:
 * <ul>
 *   <li>{@code delay=D}: init takes D longer (an interruptible timed wait before it runs);</li>
 *   <li>{@code errno=E}: init fails with E before doing anything;</li>
 *   <li>{@code fail-after-register=E}: init fails with E once it has registered its first type —
 *       its next registration is refused with E (the module's own error path rolls back), or, if
 *       it registers nothing more, the loader fails it with E on its return and unregisters what it
 *       registered. This opens the "second registration fails" window of dm_register_target. A module that registers
 *       no type is unaffected.</li>
 * </ul>
 */
public final class ModuleFaults {

    /** The faults of one module; {@code null} errno fields mean "none". */
    public record Fault(Duration delay, Errno failBeforeInit, Errno failAfterRegister) {

        static final Fault NONE = new Fault(Duration.ZERO, null, null);

        public Fault {
            if (delay.isNegative()) {
                throw new IllegalArgumentException("negative delay " + delay);
            }
        }
    }

    public static final ModuleFaults NONE = new ModuleFaults(Map.of());

    /** Faults by canonical module name. */
    private final Map<String, Fault> faults;

    private ModuleFaults(Map<String, Fault> faults) {
        this.faults = Map.copyOf(faults);
    }

    /** The faults injected into the module named {@code name} (any spelling); {@code NONE} fields if none. */
    public Fault of(String name) {
        return faults.getOrDefault(ModuleNames.canonical(name), Fault.NONE);
    }

    /**
     * Parses a daemon flag: comma-separated {@code module:key=value[:key=value...]} entries, e.g.
     * {@code dm-mirror:delay=2s,dm-snapshot:fail-after-register=ENOMEM}. Durations take a unit
     * ({@code ms}, {@code s}, {@code m}); errnos are names ({@code EEXIST}) or numbers. An empty
     * spec is {@link #NONE}.
     *
     * @throws DmException EINVAL naming the bad entry
     */
    public static ModuleFaults parse(String spec) throws DmException {
        Map<String, Fault> faults = new HashMap<>();
        for (String entry : spec.split(",")) {
            if (entry.isBlank()) {
                continue;
            }
            String[] parts = entry.trim().split(":");
            if (parts.length < 2 || parts[0].isBlank()) {
                throw bad(entry, "expected module:key=value");
            }
            String module = ModuleNames.canonical(parts[0].trim());
            Fault fault = faults.getOrDefault(module, Fault.NONE);
            for (int i = 1; i < parts.length; i++) {
                fault = withSetting(fault, entry, parts[i].trim());
            }
            faults.put(module, fault);
        }
        return new ModuleFaults(faults);
    }

    private static Fault withSetting(Fault fault, String entry, String setting) throws DmException {
        int eq = setting.indexOf('=');
        if (eq < 0) {
            throw bad(entry, "expected key=value, got '" + setting + "'");
        }
        String key = setting.substring(0, eq).trim().toLowerCase(Locale.ROOT);
        String value = setting.substring(eq + 1).trim();
        switch (key) {
            case "delay":
                if (!fault.delay().isZero()) {
                    throw bad(entry, "delay given twice");
                }
                return new Fault(parseDuration(entry, value), fault.failBeforeInit(), fault.failAfterRegister());
            case "errno":
                if (fault.failBeforeInit() != null) {
                    throw bad(entry, "errno given twice");
                }
                return new Fault(fault.delay(), parseErrno(entry, value), fault.failAfterRegister());
            case "fail-after-register":
                if (fault.failAfterRegister() != null) {
                    throw bad(entry, "fail-after-register given twice");
                }
                return new Fault(fault.delay(), fault.failBeforeInit(), parseErrno(entry, value));
            default:
                throw bad(entry, "unknown key '" + key + "' (known: delay, errno, fail-after-register)");
        }
    }

    private static Duration parseDuration(String entry, String value) throws DmException {
        String lower = value.toLowerCase(Locale.ROOT);
        String number;
        Duration unit;
        if (lower.endsWith("ms")) {
            number = lower.substring(0, lower.length() - 2);
            unit = Duration.ofMillis(1);
        } else if (lower.endsWith("s")) {
            number = lower.substring(0, lower.length() - 1);
            unit = Duration.ofSeconds(1);
        } else if (lower.endsWith("m")) {
            number = lower.substring(0, lower.length() - 1);
            unit = Duration.ofMinutes(1);
        } else {
            throw bad(entry, "delay '" + value + "' needs a unit: ms, s or m");
        }
        try {
            long amount = Long.parseLong(number.trim());
            if (amount < 0) {
                throw bad(entry, "negative delay '" + value + "'");
            }
            return unit.multipliedBy(amount);
        } catch (NumberFormatException e) {
            throw bad(entry, "bad delay '" + value + "'");
        }
    }

    private static Errno parseErrno(String entry, String value) throws DmException {
        try {
            Errno errno = Errno.ofNumber(Integer.parseInt(value));
            if (errno != null) {
                return errno;
            }
        } catch (NumberFormatException notANumber) {
            try {
                return Errno.valueOf(value.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException unknown) {
                // reported below
            }
        }
        throw bad(entry, "unknown errno '" + value + "'");
    }

    private static DmException bad(String entry, String why) {
        return new DmException(Errno.EINVAL, "bad module fault '%s': %s", entry.trim(), why);
    }

    @Override
    public String toString() {
        return faults.toString();
    }
}

package org.dmd.core.module;

import java.util.HashSet;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;

/**
 * Which kernel and kmod behaviour the module subsystem reproduces. {@link #DEFAULT} is current
 * kernel (6.2+ patient duplicate check, same-file coalescing, EEXIST safety net, EBUSY from the
 * registries) with kmod ≥ 20, plus dmd's product decision that a type whose module is still
 * loading is handed out only once the module is LIVE. The other values reproduce the seeds' races (docs/sources.md).
 *
 * @param loaderDup              what a loader does on finding a module of the same name (main.c: module_patient_check_exists)
 * @param idempotentSameFile     concurrent finit_module of one file share the first result (main.c: idempotent_init_module)
 * @param eexistSafetyNet        init() returning EEXIST is reported as EBUSY with a warning (main.c: do_init_module)
 * @param registryDuplicateErrno errno of a duplicate type registration: EBUSY, or EEXIST before 2025 (dm-target.c: dm_register_target)
 * @param kmod                   how kmod computes initstate (kmod_module_get_initstate)
 * @param comingTypes            whether a type of a module still in init is handed out at once (main.c: do_init_module frees it on failure regardless)
 */
public record ModulePolicy(LoaderDupPolicy loaderDup, boolean idempotentSameFile, boolean eexistSafetyNet,
        Errno registryDuplicateErrno, KmodVersion kmod, ComingTypePolicy comingTypes) {

    /** Duplicate-name handling of the kernel loader, by kernel generation. */
    public enum LoaderDupPolicy {
        /** ≤ 5.2: wait while UNFORMED/COMING then re-check; GOING answers EEXIST at once. */
        LEGACY_EEXIST_ON_GOING,
        /** 5.3–6.1: wait until the other module is LIVE or gone, then re-check (a waiter may load it itself). */
        RETRY_UNTIL_GONE,
        /** 6.2+: wait once while UNFORMED/COMING; LIVE → EEXIST, anything else → EBUSY; never retry. */
        EBUSY_NO_RETRY
    }

    /** kmod's initstate computation. */
    public enum KmodVersion {
        /** kmod 18/19: a sysfs directory without {@code initstate} reads as BUILTIN (the seed-001 misreport). */
        KMOD_18,
        /** kmod ≥ 20: built-ins come from modules.builtin; a directory without {@code initstate} is COMING. */
        KMOD_20
    }

    /** What a registry does with a type whose owner module is still COMING in another thread. */
    public enum ComingTypePolicy {
        /** dmd: wait for the module; LIVE → hand the type out, GOING → miss. */
        WAIT,
        /** Kernel: hand it out at once; if init then fails the module is freed under the holder (checked and reported). */
        TAKE
    }

    public static final ModulePolicy DEFAULT = new ModulePolicy(LoaderDupPolicy.EBUSY_NO_RETRY, true, true,
            Errno.EBUSY, KmodVersion.KMOD_20, ComingTypePolicy.WAIT);

    public ModulePolicy {
        Objects.requireNonNull(loaderDup, "loaderDup");
        Objects.requireNonNull(kmod, "kmod");
        Objects.requireNonNull(comingTypes, "comingTypes");
        if (registryDuplicateErrno != Errno.EBUSY && registryDuplicateErrno != Errno.EEXIST) {
            throw new IllegalArgumentException("registry duplicate errno must be EBUSY or EEXIST, not " + registryDuplicateErrno);
        }
    }

    /**
     * Parses a daemon flag: comma-separated {@code key=value} settings applied to {@link #DEFAULT}.
     * Keys and values (case-insensitive):
     * <pre>
     *   loader=legacy-eexist-on-going | retry-until-gone | ebusy-no-retry
     *   same-file=on|off   safety-net=on|off   registry-dup=EBUSY|EEXIST
     *   kmod=18|19|20|...  coming-types=wait|take
     * </pre>
     * An empty spec is {@link #DEFAULT}.
     *
     * @throws DmException EINVAL naming the bad setting
     */
    public static ModulePolicy parse(String spec) throws DmException {
        LoaderDupPolicy loaderDup = DEFAULT.loaderDup;
        boolean sameFile = DEFAULT.idempotentSameFile;
        boolean safetyNet = DEFAULT.eexistSafetyNet;
        Errno registryDup = DEFAULT.registryDuplicateErrno;
        KmodVersion kmod = DEFAULT.kmod;
        ComingTypePolicy comingTypes = DEFAULT.comingTypes;
        Set<String> seen = new HashSet<>();
        for (String setting : spec.split(",")) {
            if (setting.isBlank()) {
                continue;
            }
            int eq = setting.indexOf('=');
            if (eq < 0) {
                throw bad(setting, "expected key=value");
            }
            String key = setting.substring(0, eq).trim().toLowerCase(Locale.ROOT);
            String value = setting.substring(eq + 1).trim().toLowerCase(Locale.ROOT);
            if (!seen.add(key)) {
                throw bad(setting, "'" + key + "' is given twice");
            }
            switch (key) {
                case "loader":
                    loaderDup = parseEnum(LoaderDupPolicy.class, setting, value);
                    break;
                case "same-file":
                    sameFile = parseSwitch(setting, value);
                    break;
                case "safety-net":
                    safetyNet = parseSwitch(setting, value);
                    break;
                case "registry-dup":
                    if (!value.equals("ebusy") && !value.equals("eexist")) {
                        throw bad(setting, "expected EBUSY or EEXIST");
                    }
                    registryDup = value.equals("ebusy") ? Errno.EBUSY : Errno.EEXIST;
                    break;
                case "kmod":
                    kmod = parseKmod(setting, value);
                    break;
                case "coming-types":
                    comingTypes = parseEnum(ComingTypePolicy.class, setting, value);
                    break;
                default:
                    throw bad(setting, "unknown key '" + key
                            + "' (known: loader, same-file, safety-net, registry-dup, kmod, coming-types)");
            }
        }
        return new ModulePolicy(loaderDup, sameFile, safetyNet, registryDup, kmod, comingTypes);
    }

    private static <E extends Enum<E>> E parseEnum(Class<E> type, String setting, String value) throws DmException {
        String constant = value.replace('-', '_').toUpperCase(Locale.ROOT);
        for (E e : type.getEnumConstants()) {
            if (e.name().equals(constant)) {
                return e;
            }
        }
        StringBuilder known = new StringBuilder();
        for (E e : type.getEnumConstants()) {
            known.append(known.length() == 0 ? "" : ", ").append(e.name().toLowerCase(Locale.ROOT).replace('_', '-'));
        }
        throw bad(setting, "expected one of " + known);
    }

    private static boolean parseSwitch(String setting, String value) throws DmException {
        if (value.equals("on")) {
            return true;
        }
        if (value.equals("off")) {
            return false;
        }
        throw bad(setting, "expected on or off");
    }

    private static KmodVersion parseKmod(String setting, String value) throws DmException {
        int version;
        try {
            version = Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw bad(setting, "expected a kmod version number such as 18 or 20");
        }
        if (version < 18) {
            throw bad(setting, "kmod versions before 18 are not modelled");
        }
        return version < 20 ? KmodVersion.KMOD_18 : KmodVersion.KMOD_20;
    }

    private static DmException bad(String setting, String why) {
        return new DmException(Errno.EINVAL, "bad module policy setting '%s': %s", setting.trim(), why);
    }
}

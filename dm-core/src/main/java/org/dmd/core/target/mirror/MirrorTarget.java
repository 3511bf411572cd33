package org.dmd.core.target.mirror;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.dmd.core.errno.DmException;
import org.dmd.core.target.DeviceArea;
import org.dmd.core.target.DirtyLog;
import org.dmd.core.target.DirtyLogType;
import org.dmd.core.target.TableEvents;
import org.dmd.core.target.Target;
import org.dmd.core.target.TargetContext;
import org.dmd.core.target.TargetType;
import org.dmd.core.target.Version;
import org.dmd.core.target.support.ArgSet;
import org.dmd.core.target.support.BasicTargetType;
import org.dmd.core.target.support.FeatureArgs;
import org.dmd.core.target.support.FeatureArgs.Feature;
import org.dmd.core.target.support.LinearMapping;
import org.dmd.core.target.support.Numbers;
import org.dmd.core.target.support.TargetErrors;

/**
 * {@code mirror <log type> <#log args> <log args> <#mirrors> [<dev> <offset>]{2,}
 * [<#features> [handle_errors] [keep_log]]} (dm-raid1).
 *
 * <p>Status {@code N DEV... SYNCED/REGIONS 1 A... <log status>}. Regions start in sync only
 * with {@code nosync}; otherwise recovery starts when the mirror is resumed and, with no data to
 * copy in dmd, completes at once: the log then reports every region in sync and a table event
 * is raised, as the kernel raises one when a mirror first becomes in sync.
 *
 * <p>Thread safety: configuration is final; {@link #inSync} is an atomic flag that makes the
 * in-sync event happen once; the log's count is atomic.
 */
public final class MirrorTarget implements Target {

    public static final TargetType TYPE =
            new BasicTargetType("mirror", Version.of(1, 15, 0), Set.of(), MirrorTarget::construct);

    /** DM_KCOPYD_MAX_REGIONS + 1. */
    static final int MAX_MIRRORS = 9;

    private static final String HANDLE_ERRORS = "handle_errors";
    private static final String KEEP_LOG = "keep_log";

    private final DirtyLog log;
    private final List<LinearMapping> legs;
    private final boolean handleErrors;
    private final boolean keepLog;
    private final long regionCount;
    private final long length;
    private final TableEvents events;
    private final AtomicBoolean inSync;

    private MirrorTarget(DirtyLog log, List<LinearMapping> legs, boolean handleErrors, boolean keepLog,
                         TargetContext context) {
        this.log = log;
        this.legs = List.copyOf(legs);
        this.handleErrors = handleErrors;
        this.keepLog = keepLog;
        this.length = context.length();
        this.regionCount = (length + log.regionSize() - 1) / log.regionSize();
        this.events = context.events();
        this.inSync = new AtomicBoolean(log.syncCount() == regionCount);
    }

    static Target construct(TargetContext context, List<String> args) throws DmException {
        ArgSet as = new ArgSet(args);
        DirtyLog log = createLog(context, as);
        String mirrorCount = as.shift();
        long mirrors = mirrorCount == null ? 0 : Numbers.scanUnsignedInt(mirrorCount).orElse(0);
        if (mirrors < 2 || mirrors > MAX_MIRRORS) {
            throw TargetErrors.invalid("Invalid number of mirrors");
        }
        if (as.remaining() < mirrors * 2) {
            throw TargetErrors.invalid("Too few mirror arguments");
        }
        List<LinearMapping> legs = new ArrayList<>();
        for (int i = 0; i < mirrors; i++) {
            String path = as.shift();
            long offset = TargetErrors.sector(as.shift(), "Invalid offset");
            legs.add(new LinearMapping(TargetErrors.device(context, path, "Device lookup failure"), offset));
        }
        Set<String> features = parseFeatures(as);
        if (!as.isEmpty()) {
            throw TargetErrors.invalid("Too many mirror arguments");
        }
        return new MirrorTarget(log, legs, features.contains(HANDLE_ERRORS), features.contains(KEEP_LOG), context);
    }

    /** {@code <log type> <#log args> <log args>}; any failure of the log itself is one EINVAL. */
    private static DirtyLog createLog(TargetContext context, ArgSet as) throws DmException {
        if (as.remaining() < 2) {
            throw TargetErrors.invalid("Insufficient mirror log arguments");
        }
        String typeName = as.shift();
        long paramCount = TargetErrors.unsignedInt(as.shift(), "Invalid mirror log argument count");
        if (as.remaining() < paramCount) {
            throw TargetErrors.invalid("Insufficient mirror log arguments");
        }
        List<String> params = as.take((int) paramCount);
        String error = "Error creating mirror dirty log";
        Optional<DirtyLogType> type = context.dirtyLog(typeName);
        if (type.isEmpty()) {
            throw TargetErrors.invalid(error, "Module for logging type \"" + typeName + "\" not found.");
        }
        try {
            return type.get().create(context, context.length(), params);
        } catch (DmException e) {
            throw TargetErrors.invalid(error, e.getMessage());
        }
    }

    private static Set<String> parseFeatures(ArgSet as) throws DmException {
        if (as.isEmpty()) {
            return Set.of();
        }
        long count = TargetErrors.unsignedInt(as.shift(), "Invalid number of features");
        if (count > as.remaining()) {
            throw TargetErrors.invalid("Not enough arguments to support feature count");
        }
        Set<String> features = new HashSet<>();
        for (String feature : as.take((int) count)) {
            if (!feature.equals(HANDLE_ERRORS) && !feature.equals(KEEP_LOG)) {
                throw TargetErrors.invalid("Unrecognised feature requested");
            }
            features.add(feature);
        }
        if (features.contains(KEEP_LOG) && !features.contains(HANDLE_ERRORS)) {
            throw TargetErrors.invalid("keep_log feature requires the handle_errors feature");
        }
        return features;
    }

    @Override
    public String table() {
        StringBuilder text = new StringBuilder(log.table()).append(' ').append(legs.size());
        legs.forEach(leg -> text.append(' ').append(leg));
        return FeatureArgs.append(text, new Feature(HANDLE_ERRORS, handleErrors), new Feature(KEEP_LOG, keepLog))
                .toString();
    }

    @Override
    public String status() {
        StringBuilder text = new StringBuilder().append(legs.size()).append(' ');
        legs.forEach(leg -> text.append(leg.device().number()).append(' '));
        // No leg ever sees an I/O error in dmd: every leg is 'A'live.
        return text.append(log.syncCount()).append('/').append(regionCount).append(" 1 ")
                .append("A".repeat(legs.size())).append(' ').append(log.status()).toString();
    }

    @Override
    public List<DeviceArea> areas() {
        return legs.stream().map(leg -> leg.area(length)).toList();
    }

    /** Recovery runs from resume on; it has nothing to copy, so the mirror is in sync at once. */
    @Override
    public void preresume() {
        // Marking first (it is idempotent) means every resume returns with the mirror in sync.
        log.markAllInSync();
        if (inSync.compareAndSet(false, true)) {
            events.raise();
        }
    }
}

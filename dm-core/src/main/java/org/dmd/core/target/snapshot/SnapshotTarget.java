package org.dmd.core.target.snapshot;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.dmd.core.errno.DmException;
import org.dmd.core.target.DeviceArea;
import org.dmd.core.target.ExceptionStore;
import org.dmd.core.target.ExceptionStoreType;
import org.dmd.core.target.TableDevice;
import org.dmd.core.target.Target;
import org.dmd.core.target.TargetContext;
import org.dmd.core.target.TargetType;
import org.dmd.core.target.Version;
import org.dmd.core.target.support.ArgBounds;
import org.dmd.core.target.support.ArgSet;
import org.dmd.core.target.support.BasicTargetType;
import org.dmd.core.target.support.FeatureArgs;
import org.dmd.core.target.support.FeatureArgs.Feature;
import org.dmd.core.target.support.Numbers;
import org.dmd.core.target.support.TargetErrors;

/**
 * {@code snapshot} and {@code snapshot-merge}: {@code <origin> <COW> <P|PO|N> <chunk size>
 * [<#features> [discard_zeroes_cow] [discard_passdown_origin]]}. Both share the constructor and
 * the status: the store's usage {@code ALLOCATED/TOTAL METADATA} for a valid snapshot.
 *
 * <p>Not modelled: the exception handover between two snapshots sharing one COW device (a
 * reloaded snapshot table, or snapshot-merge loaded over a live snapshot): each table builds its
 * own store from the (blank) COW device.
 *
 * <p>Immutable once constructed (the store is read-only at rest).
 */
public final class SnapshotTarget implements Target {

    public static final TargetType SNAPSHOT =
            new BasicTargetType("snapshot", Version.of(1, 16, 0), Set.of(), SnapshotTarget::construct);
    public static final TargetType SNAPSHOT_MERGE =
            new BasicTargetType("snapshot-merge", Version.of(1, 5, 0), Set.of(), SnapshotTarget::construct);

    private static final ArgBounds FEATURE_COUNT = new ArgBounds(0, 2, "Invalid number of feature arguments");
    private static final String DISCARD_ZEROES_COW = "discard_zeroes_cow";
    private static final String DISCARD_PASSDOWN_ORIGIN = "discard_passdown_origin";
    /** INT_MAX >> SECTOR_SHIFT. */
    private static final long MAX_CHUNK_SECTORS = Integer.MAX_VALUE >> 9;

    private final TableDevice origin;
    private final TableDevice cow;
    private final ExceptionStore store;
    private final boolean discardZeroesCow;
    private final boolean discardPassdownOrigin;
    private final long length;

    private SnapshotTarget(TableDevice origin, TableDevice cow, ExceptionStore store, boolean discardZeroesCow,
                           boolean discardPassdownOrigin, long length) {
        this.origin = origin;
        this.cow = cow;
        this.store = store;
        this.discardZeroesCow = discardZeroesCow;
        this.discardPassdownOrigin = discardPassdownOrigin;
        this.length = length;
    }

    static Target construct(TargetContext context, List<String> args) throws DmException {
        if (args.size() < 4) {
            throw TargetErrors.invalid("requires 4 or more arguments");
        }
        ArgSet features = new ArgSet(args);
        features.consume(4);
        boolean discardZeroesCow = false;
        boolean discardPassdownOrigin = false;
        int count = features.isEmpty() ? 0 : features.readGroup(FEATURE_COUNT);
        for (String feature : features.take(count)) {
            if (feature.equalsIgnoreCase(DISCARD_ZEROES_COW)) {
                discardZeroesCow = true;
            } else if (feature.equalsIgnoreCase(DISCARD_PASSDOWN_ORIGIN)) {
                discardPassdownOrigin = true;
            } else {
                throw TargetErrors.invalid("Unrecognised feature requested");
            }
        }
        if (discardPassdownOrigin && !discardZeroesCow) {
            throw TargetErrors.invalid("discard_passdown_origin feature depends on discard_zeroes_cow");
        }
        TableDevice origin = TargetErrors.device(context, args.get(0), "Cannot get origin device");
        TableDevice cow = TargetErrors.device(context, args.get(1), "Cannot get COW device");
        if (cow.number().equals(origin.number())) {
            throw TargetErrors.invalid("COW device cannot be the same as origin device");
        }
        ExceptionStore store;
        try {
            store = createStore(context, origin, cow, args.get(2), args.get(3));
        } catch (DmException e) {
            throw TargetErrors.invalid("Couldn't create exception store", e.getMessage());
        }
        try {
            store.readMetadata();
        } catch (DmException e) {
            throw TargetErrors.relabel("Failed to read snapshot metadata", e);
        }
        if (store.chunkSectors() == 0) {
            throw TargetErrors.invalid("Chunk size not set");
        }
        return new SnapshotTarget(origin, cow, store, discardZeroesCow, discardPassdownOrigin, context.length());
    }

    /** {@code dm_exception_store_create}: the store's letter, type, chunk size, then its constructor. */
    private static ExceptionStore createStore(TargetContext context, TableDevice origin, TableDevice cow,
                                              String kind, String chunkArg) throws DmException {
        String letter = kind.isEmpty() ? "" : kind.substring(0, 1).toUpperCase(Locale.ROOT);
        if (!letter.equals("P") && !letter.equals("N")) {
            throw TargetErrors.invalid("Exception store type is not P or N");
        }
        Optional<ExceptionStoreType> type = context.exceptionStore(letter);
        if (type.isEmpty()) {
            throw TargetErrors.invalid("Exception store type not recognised");
        }
        long chunk = chunkSize(chunkArg, origin, cow);
        try {
            return type.get().create(cow, chunk, kind.substring(1));
        } catch (DmException e) {
            throw TargetErrors.relabel("Exception store type constructor failed", e);
        }
    }

    private static long chunkSize(String text, TableDevice origin, TableDevice cow) throws DmException {
        OptionalLong parsed = Numbers.kstrtouint(text);
        if (parsed.isEmpty()) {
            throw TargetErrors.invalid("Invalid chunk size");
        }
        long chunk = parsed.getAsLong();
        if (chunk == 0) {
            return 0;
        }
        if (Long.bitCount(chunk) != 1) {
            throw TargetErrors.invalid("Chunk size is not a power of 2");
        }
        if (chunk % (cow.logicalBlockSize() / 512) != 0 || chunk % (origin.logicalBlockSize() / 512) != 0) {
            throw TargetErrors.invalid("Chunk size is not a multiple of device blocksize");
        }
        if (chunk > MAX_CHUNK_SECTORS) {
            throw TargetErrors.invalid("Chunk size is too high");
        }
        return chunk;
    }

    @Override
    public String table() {
        StringBuilder text = new StringBuilder()
                .append(origin.number()).append(' ').append(cow.number()).append(' ').append(store.table());
        return FeatureArgs.append(text, new Feature(DISCARD_ZEROES_COW, discardZeroesCow),
                new Feature(DISCARD_PASSDOWN_ORIGIN, discardPassdownOrigin)).toString();
    }

    @Override
    public String status() {
        return store.status();
    }

    @Override
    public List<DeviceArea> areas() {
        return List.of(new DeviceArea(origin, 0, length), new DeviceArea(cow, 0, cow.sectors()));
    }
}

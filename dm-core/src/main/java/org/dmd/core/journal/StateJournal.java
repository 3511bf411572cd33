package org.dmd.core.journal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;
import org.dmd.core.control.ChangeJournal;
import org.dmd.core.control.Command;
import org.dmd.core.control.DeviceMapper;
import org.dmd.core.control.DmFlag;
import org.dmd.core.control.Replies;
import org.dmd.core.control.Replies.Reply;
import org.dmd.core.control.Requests;
import org.dmd.core.control.Requests.Request;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;

/**
 * The write-ahead state journal behind {@code dmd --state-dir DIR}: every request that changes
 * state is a record, durable before its reply goes out; snapshots keep replay short.
 *
 * <p><b>Files.</b> {@code snapshot} (the state at sequence number S, as requests, see
 * {@link StateCapture}; generation G in its header), {@code journal-G} (hex) and later segments
 * (records after S, in sequence order), {@code lock} (held while a dmd uses the directory).
 * Every file is written under a {@code .tmp} name, fsync'd, renamed and the directory fsync'd, so
 * a name only ever holds a whole header. Framing: {@link RecordFile}.
 *
 * <p><b>Start</b> ({@link #open}): read the snapshot and the segments of its generation and later,
 * replay them into the device-mapper (stopping at a torn record: never acknowledged), and only
 * then write: a fresh segment, a snapshot of the replayed state, and delete what it supersedes.
 * A crash anywhere in this leaves a directory that replays to the same state.
 *
 * <p><b>Running.</b> {@link #execute}: a state-changing request takes the apply lock, checks that
 * the current segment has room for its record (a bound computed before applying; if not, it
 * drops the lock and waits for the writer to grow the segment — ENOSPC if it cannot, with
 * nothing changed), applies, encodes the record with the choices the kernel made, queues it at
 * the next position and sequence number, and drops the lock. The reply completes when the writer
 * thread has written and fsync'd the record: the writer takes everything queued at once, writes
 * it with one positional write and one fdatasync (group commit), then completes those replies.
 * Every {@code snapshotEvery} records the applier captures the state (under the apply lock, in
 * memory) and switches to a spare segment the writer prepared; the writer then fsyncs the old
 * segment, writes the snapshot and deletes the segments before it.
 *
 * <p><b>Invariants.</b> Sequence numbers are assigned under the apply lock, in apply order, and
 * the queue holds records in sequence order at increasing positions of their segment; the writer
 * makes a record durable only after every earlier one. Positions below {@code tail} of the
 * reserving segment are promised to queued records; positions from {@code tail} to the segment's
 * {@code allocated} are zeros already on disk, so writing a record never needs new space.
 *
 * <p><b>Locks</b> (order: apply lock, then this object's monitor; neither is a ranked dmd lock,
 * and the apply lock is taken before any of them by the commands it serialises). The apply lock
 * guards {@link #nextSeq}, {@link #sinceSnapshot} and is held while a command runs, never across
 * the journal's I/O. The monitor guards the queue, {@link #reserving}, {@link #tail}, the
 * segments' {@code allocated}, the extension request and its outcome, the spare, {@link #failure}
 * and {@link #closing}; it is held for field updates and condition waits only. The writer thread
 * alone does I/O on the segments; futures are completed with neither lock held.
 */
public final class StateJournal implements ChangeJournal, AutoCloseable {

    static final String SNAPSHOT = "snapshot";
    static final String SEGMENT_PREFIX = "journal-";
    static final String LOCK = "lock";
    /** Room a record may need beyond its request's own encoding: a minor, a loop number, event numbers. */
    private static final int SLACK = 256;
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(64 << 10);

    /** How a file of the state directory is opened (tests inject channels that run out of space). */
    @FunctionalInterface
    public interface ChannelOpener {
        FileChannel open(Path file) throws IOException;
    }

    /** Tunables; the defaults suit a daemon. */
    public record Options(int chunkBytes, int snapshotEvery, ChannelOpener opener) {
        public static final Options DEFAULT = new Options(1 << 20, 10_000, StateJournal::openFile);

        public Options {
            if (chunkBytes < 4096 || snapshotEvery < 1) {
                throw new IllegalArgumentException("chunkBytes ≥ 4096 and snapshotEvery ≥ 1 are needed");
            }
        }

        public Options withChunkBytes(int bytes) {
            return new Options(bytes, snapshotEvery, opener);
        }

        public Options withSnapshotEvery(int records) {
            return new Options(chunkBytes, records, opener);
        }

        public Options withOpener(ChannelOpener channels) {
            return new Options(chunkBytes, snapshotEvery, channels);
        }
    }

    /** What {@link #open} replayed. */
    public record Recovered(int snapshotEntries, int records, boolean tornTail) {
    }

    /** A journal file and how much of it is zeros on disk (guarded by the journal's monitor). */
    private static final class Segment {
        final long generation;
        final FileChannel channel;
        long allocated;

        Segment(long generation, FileChannel channel, long allocated) {
            this.generation = generation;
            this.channel = channel;
            this.allocated = allocated;
        }
    }

    /** A queued record. */
    private record Write(Segment segment, long position, byte[] frame, CompletableFuture<Void> durable) {
    }

    /** A queued switch to {@code next}, with the snapshot of the state at the last record before it. */
    private record Switch(Segment next, long seq, List<Entry> snapshot) {
    }

    private final Path dir;
    private final DeviceMapper dm;
    private final Options options;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final Recovered recovered;
    private final Thread writer;

    private final ReentrantLock applyLock = new ReentrantLock();
    /** Guarded by applyLock. */
    private long nextSeq;
    /** Guarded by applyLock. */
    private long sinceSnapshot;

    /** Guarded by this. */
    private final ArrayDeque<Object> queue = new ArrayDeque<>();
    /** The segment new records are placed in. Guarded by this. */
    private Segment reserving;
    /** The next free position of {@link #reserving}. Guarded by this. */
    private long tail;
    /** The allocation the appliers asked for in {@link #reserving}, 0 for none. Guarded by this. */
    private long extendTo;
    /** Counts the writer's extension attempts; with the last one's failure (null: it worked). Guarded by this. */
    private long extendRound;
    private IOException extendFailure;
    /** The highest generation created. Guarded by this. */
    private long generation;
    /** A prepared empty segment, and whether one is wanted. Guarded by this. */
    private Segment spare;
    private boolean spareWanted;
    /** Set when a write or fsync failed (or the journal closed): every later change fails with it. Guarded by this. */
    private DmException failure;
    /** Guarded by this. */
    private boolean closing;

    /** Writer thread only: the segment being written, and older ones still open until a snapshot supersedes them. */
    private Segment writing;
    private final List<Segment> superseded = new ArrayList<>();

    private StateJournal(Path dir, DeviceMapper dm, Options options, FileChannel lockChannel, FileLock lock,
                         Recovered recovered, Segment first, long lastSeq) {
        this.dir = dir;
        this.dm = dm;
        this.options = options;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.recovered = recovered;
        this.reserving = first;
        this.writing = first;
        this.tail = RecordFile.HEADER_BYTES;
        this.generation = first.generation;
        this.nextSeq = lastSeq + 1;
        this.spareWanted = true;
        this.writer = new Thread(this::writeLoop, "dmd-journal");
        this.writer.setDaemon(true);
    }

    // ------------------------------------------------------------------ start

    /**
     * Replays {@code dir} into {@code dm} (which must be fresh), writes the start snapshot, attaches
     * the journal to {@code dm} and starts the writer. StateDirException, with nothing written and
     * {@code dm} to be discarded, if the directory is in use, damaged, newer, or does not replay.
     */
    public static StateJournal open(Path dir, DeviceMapper dm, Options options) throws StateDirException {
        FileChannel lockChannel = null;
        try {
            Files.createDirectories(dir);
            lockChannel = FileChannel.open(dir.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = lockChannel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                throw new StateDirException("state directory " + dir + " is in use by another dmd");
            }
            Recovery recovery = Recovery.read(dir);
            Recovered recovered = recovery.replay(dm);
            long gen = recovery.highestGeneration + 1;
            Segment first = createSegment(dir, options, gen);
            writeSnapshot(dir, options, gen, StateCapture.capture(dm, recovery.lastSeq));
            deleteBefore(dir, gen);
            StateJournal journal = new StateJournal(dir, dm, options, lockChannel, lock, recovered, first,
                    recovery.lastSeq);
            dm.journalTo(journal);
            journal.writer.start();
            return journal;
        } catch (IOException e) {
            closeQuietly(lockChannel);
            throw new StateDirException("state directory " + dir + ": " + e, e);
        } catch (StateDirException | RuntimeException e) {
            closeQuietly(lockChannel);
            throw e;
        }
    }

    public Recovered recovered() {
        return recovered;
    }

    /** The snapshot and segments as found on disk, decoded, before anything is applied. */
    private static final class Recovery {
        final List<Entry> snapshot = new ArrayList<>();
        final List<Entry> records = new ArrayList<>();
        long highestGeneration;
        long lastSeq;
        boolean torn;

        static Recovery read(Path dir) throws IOException, StateDirException {
            Recovery r = new Recovery();
            long snapshotGeneration = 0;
            Path snapshotFile = dir.resolve(SNAPSHOT);
            if (Files.exists(snapshotFile)) {
                RecordFile.Scan scan = RecordFile.scan(snapshotFile, Files.readAllBytes(snapshotFile),
                        RecordFile.Kind.SNAPSHOT);
                List<Entry> entries = scan.entries();
                if (scan.torn() || entries.isEmpty() || entries.get(entries.size() - 1).request() != null) {
                    throw new StateDirException(snapshotFile + " is incomplete (a snapshot is renamed into place whole:"
                            + " it was damaged)");
                }
                snapshotGeneration = scan.generation();
                r.snapshot.addAll(entries);
                r.lastSeq = entries.get(entries.size() - 1).seq();
            }
            r.highestGeneration = snapshotGeneration;
            for (var segment : segments(dir).entrySet()) {
                r.highestGeneration = Math.max(r.highestGeneration, segment.getKey());
                if (segment.getKey() < snapshotGeneration || r.torn) {
                    continue;
                }
                Path file = segment.getValue();
                RecordFile.Scan scan = RecordFile.scan(file, Files.readAllBytes(file), RecordFile.Kind.JOURNAL);
                for (Entry entry : scan.entries()) {
                    if (entry.seq() <= r.lastSeq) {
                        continue;
                    }
                    if (entry.seq() != r.lastSeq + 1) {
                        r.torn = true;
                        break;
                    }
                    r.records.add(entry);
                    r.lastSeq = entry.seq();
                }
                r.torn |= scan.torn();
            }
            return r;
        }

        Recovered replay(DeviceMapper dm) throws StateDirException {
            try (Replayer replayer = new Replayer(dm)) {
                for (Entry entry : snapshot) {
                    apply(replayer, entry, "the snapshot");
                }
                for (Entry entry : records) {
                    apply(replayer, entry, "record " + entry.seq());
                }
            }
            return new Recovered(snapshot.size(), records.size(), torn);
        }

        private static void apply(Replayer replayer, Entry entry, String where) throws StateDirException {
            try {
                replayer.apply(entry);
            } catch (DmException e) {
                String what = entry.request() == null ? "end" : Command.of(entry.request()).name();
                throw new StateDirException("replaying " + where + " (" + what + ") failed: " + e.getMessage()
                        + " [" + e.errno() + "]; nothing in the state directory was changed", e);
            }
        }
    }

    /** The segment files by generation. */
    private static TreeMap<Long, Path> segments(Path dir) throws IOException {
        TreeMap<Long, Path> out = new TreeMap<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, SEGMENT_PREFIX + "*")) {
            for (Path file : files) {
                String hex = file.getFileName().toString().substring(SEGMENT_PREFIX.length());
                if (hex.matches("[0-9a-f]{16}")) {
                    out.put(Long.parseUnsignedLong(hex, 16), file);
                }
            }
        }
        return out;
    }

    static String segmentName(long generation) {
        return SEGMENT_PREFIX + String.format("%016x", generation);
    }

    // ------------------------------------------------------------------ executing

    @Override
    public CompletableFuture<Reply> execute(Request request, Dispatch dispatch) throws DmException {
        if (!changesState(request)) {
            return dispatch.run();
        }
        int requestBytes = EntryCodec.encode(Entry.of(0, request)).length;
        while (true) {
            long need;
            applyLock.lock();
            try {
                List<String> before = removesMany(request) ? deviceNames() : null;
                long bound = RecordFile.FRAME_BYTES + requestBytes + SLACK;
                if (before != null) {
                    for (String name : before) {
                        bound += 4 + name.getBytes(StandardCharsets.UTF_8).length;
                    }
                }
                synchronized (this) {
                    if (failure != null) {
                        throw failure;
                    }
                    need = tail + bound <= reserving.allocated ? -1 : tail + bound;
                }
                if (need < 0) {
                    return applyAndQueue(request, dispatch, before, bound);
                }
            } finally {
                applyLock.unlock();
            }
            awaitSpace(need);
        }
    }

    /** Under the apply lock, with room for {@code bound} bytes at {@link #tail}. */
    private CompletableFuture<Reply> applyAndQueue(Request request, Dispatch dispatch, List<String> before,
                                                   long bound) throws DmException {
        CompletableFuture<Reply> result = dispatch.run();
        if (!result.isDone()) {
            throw new IllegalStateException(Command.of(request) + " completed later: it cannot be journaled");
        }
        if (result.isCompletedExceptionally()) {
            return result;
        }
        Reply reply = result.join();
        byte[] frame = RecordFile.frame(EntryCodec.encode(entryFor(nextSeq, request, reply, before)));
        if (frame.length > bound) {
            throw new IllegalStateException("a " + frame.length + "-byte record over its bound of " + bound);
        }
        CompletableFuture<Void> durable = new CompletableFuture<>();
        synchronized (this) {
            queue.add(new Write(reserving, tail, frame, durable));
            tail += frame.length;
            notifyAll();
        }
        nextSeq++;
        sinceSnapshot++;
        maybeSnapshot();
        return durable.thenApply(ignored -> reply);
    }

    /** Waits, with no lock held, until the reserving segment has {@code need} bytes, or ENOSPC. */
    private void awaitSpace(long need) throws DmException {
        boolean interrupted = false;
        try {
            synchronized (this) {
                Segment target = reserving;
                long round = extendRound;
                extendTo = Math.max(extendTo, need + options.chunkBytes());
                notifyAll();
                while (failure == null && reserving == target && target.allocated < need) {
                    if (extendRound != round) {
                        if (extendFailure != null) {
                            throw new DmException(Errno.ENOSPC, "the state journal cannot grow to record this "
                                    + "change, which was not made: %s", extendFailure.getMessage());
                        }
                        round = extendRound;
                        extendTo = Math.max(extendTo, need + options.chunkBytes());
                        notifyAll();
                    }
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
                if (failure != null) {
                    throw failure;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Under the apply lock: every {@code snapshotEvery} records, switch to the spare segment with a snapshot. */
    private void maybeSnapshot() {
        if (sinceSnapshot < options.snapshotEvery()) {
            return;
        }
        Segment next;
        synchronized (this) {
            next = spare;
            if (next == null) {
                spareWanted = true;
                notifyAll();
                return;
            }
            spare = null;
        }
        List<Entry> state = StateCapture.capture(dm, nextSeq - 1);
        synchronized (this) {
            queue.add(new Switch(next, nextSeq - 1, state));
            reserving = next;
            tail = RecordFile.HEADER_BYTES;
            spareWanted = true;
            notifyAll();
        }
        sinceSnapshot = 0;
    }

    /** The commands journaled: those that change what replay restores. */
    static boolean changesState(Request request) {
        return switch (Command.of(request)) {
            case REMOVE_ALL, DEV_CREATE, DEV_REMOVE, DEV_RENAME, DEV_SUSPEND, TABLE_LOAD, TABLE_CLEAR, LOOP_ATTACH,
                    LOOP_DETACH, MODPROBE, SHUTDOWN -> true;
            // @cancel_deferred_remove clears a deferred-removal mark; target messages change no replayed state.
            case TARGET_MSG -> {
                String message = ((Requests.TargetMsg) request).message();
                yield message != null && message.stripLeading().startsWith("@");
            }
            default -> false;
        };
    }

    private static boolean removesMany(Request request) {
        return request instanceof Requests.RemoveAll || request instanceof Requests.Shutdown;
    }

    private List<String> deviceNames() {
        List<String> names = new ArrayList<>();
        dm.listDevices(new Requests.ListDevices(null, null, Set.of())).devices().forEach(d -> names.add(d.name()));
        return names;
    }

    /** The record of a request that succeeded with {@code reply}: re-runnable, choices explicit, cookies dropped. */
    private Entry entryFor(long seq, Request request, Reply reply, List<String> before) {
        Request rerun = request;
        int loop = -1;
        List<String> removed = List.of();
        if (request instanceof Requests.DevCreate c) {
            EnumSet<DmFlag> flags = c.flags() == null || c.flags().isEmpty() ? EnumSet.noneOf(DmFlag.class)
                    : EnumSet.copyOf(c.flags());
            flags.add(DmFlag.PERSISTENT_DEV);
            rerun = new Requests.DevCreate(c.name(), c.uuid(), ((Replies.DeviceInfo) reply).dev(), flags, 0);
        } else if (request instanceof Requests.DevRemove r) {
            rerun = new Requests.DevRemove(r.name(), r.uuid(), r.dev(), r.flags(), 0);
        } else if (request instanceof Requests.DevRename r) {
            rerun = new Requests.DevRename(r.name(), r.newName(), r.newUuid(), r.flags(), 0);
        } else if (request instanceof Requests.DevSuspend s) {
            rerun = new Requests.DevSuspend(s.name(), s.uuid(), s.dev(), s.flags(), 0);
        } else if (request instanceof Requests.LoopAttach) {
            loop = StateCapture.minorOf(((Replies.LoopInfo) reply).dev());
        } else if (before != null) {
            Set<String> after = new HashSet<>(deviceNames());
            removed = before.stream().filter(name -> !after.contains(name)).toList();
        }
        Replies.DeviceInfo device = reply instanceof Replies.DeviceInfo d ? d
                : reply instanceof Replies.MessageOutput m ? m.device() : null;
        List<Entry.EventNr> events = device == null ? List.of() : List.of(new Entry.EventNr(device.dev(), device.eventNr()));
        return new Entry(seq, rerun, loop, removed, events, dm.globalEventNr());
    }

    // ------------------------------------------------------------------ the writer thread

    private void writeLoop() {
        while (true) {
            List<Object> batch;
            Segment extendSegment;
            long extendTarget;
            boolean makeSpare;
            synchronized (this) {
                while (queue.isEmpty() && extendTo == 0 && !(spareWanted && spare == null) && !lowOnSpace()
                        && !closing) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        // Only close() stops the writer: it drains the queue first.
                    }
                }
                if (closing && queue.isEmpty()) {
                    return;
                }
                batch = new ArrayList<>(queue);
                queue.clear();
                extendSegment = reserving;
                extendTarget = extendTo != 0 ? extendTo : lowOnSpace() ? reserving.allocated + options.chunkBytes() : 0;
                extendTo = 0;
                makeSpare = spareWanted && spare == null;
                spareWanted = false;
            }
            try {
                write(batch);
            } catch (IOException e) {
                fail(e, batch);
                return;
            }
            if (extendTarget > 0) {
                extend(extendSegment, extendTarget);
            }
            if (makeSpare) {
                makeSpare();
            }
        }
    }

    /** Under the monitor: the reserving segment has less than half a chunk left and the last growth did not fail. */
    private boolean lowOnSpace() {
        return extendFailure == null && reserving.allocated - tail < options.chunkBytes() / 2;
    }

    /** Writes the batch in order: runs of records with one write and one fsync, then their replies. */
    private void write(List<Object> batch) throws IOException {
        List<Write> run = new ArrayList<>();
        for (Object item : batch) {
            if (item instanceof Write w) {
                run.add(w);
            } else {
                Switch s = (Switch) item;
                flush(run);
                run.clear();
                superseded.add(writing);
                writing = s.next();
                snapshotAt(s);
            }
        }
        flush(run);
    }

    private void flush(List<Write> run) throws IOException {
        if (run.isEmpty()) {
            return;
        }
        int bytes = 0;
        for (Write w : run) {
            bytes += w.frame().length;
        }
        ByteBuffer buffer = ByteBuffer.allocate(bytes);
        run.forEach(w -> buffer.put(w.frame()));
        buffer.flip();
        FileChannel channel = run.get(0).segment().channel;
        writeFully(channel, buffer, run.get(0).position());
        channel.force(false);
        run.forEach(w -> w.durable().complete(null));
    }

    /** The snapshot after a switch; the old segments go once it is in place. Failing it loses nothing: they stay. */
    private void snapshotAt(Switch s) {
        try {
            writeSnapshot(dir, options, s.next().generation, s.snapshot());
            deleteBefore(dir, s.next().generation);
            superseded.forEach(segment -> closeQuietly(segment.channel));
            superseded.clear();
        } catch (IOException e) {
            // The segments before it still hold every record; the next snapshot tries again.
        }
    }

    private void extend(Segment segment, long target) {
        IOException failed = null;
        long from;
        synchronized (this) {
            from = segment.allocated;
        }
        try {
            if (target > from) {
                zeroFill(segment.channel, from, target);
                segment.channel.force(true);
            }
        } catch (IOException e) {
            failed = e;
        }
        synchronized (this) {
            if (failed == null) {
                segment.allocated = Math.max(segment.allocated, target);
            }
            extendFailure = failed;
            extendRound++;
            notifyAll();
        }
    }

    private void makeSpare() {
        long gen;
        synchronized (this) {
            gen = ++generation;
        }
        try {
            Segment made = createSegment(dir, options, gen);
            synchronized (this) {
                spare = made;
            }
        } catch (IOException e) {
            // No spare, no switch: records go on into the current segment; the next snapshot asks again.
        }
    }

    /** A write or fsync failed: every change queued or to come fails with EIO (its outcome is unknown). */
    private void fail(IOException e, List<Object> batch) {
        DmException eio = new DmException(Errno.EIO, "the state journal failed (%s): the change may or may not be "
                + "recorded; dmd makes no further changes", e.getMessage());
        List<Object> dropped = new ArrayList<>(batch);
        synchronized (this) {
            failure = eio;
            dropped.addAll(queue);
            queue.clear();
            notifyAll();
        }
        for (Object item : dropped) {
            if (item instanceof Write w) {
                w.durable().completeExceptionally(eio);
            }
        }
    }

    /** Writes what is queued, stops the writer and releases the directory. */
    @Override
    public void close() {
        synchronized (this) {
            closing = true;
            if (failure == null) {
                failure = new DmException(Errno.EIO, "the state journal is closed: dmd is stopping");
            }
            notifyAll();
        }
        boolean interrupted = false;
        while (writer.isAlive()) {
            try {
                writer.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        synchronized (this) {
            if (spare != null) {
                closeQuietly(spare.channel);
            }
        }
        closeQuietly(writing.channel);
        superseded.forEach(segment -> closeQuietly(segment.channel));
        try {
            lock.release();
        } catch (IOException e) {
            // Closing the channel releases it too.
        }
        closeQuietly(lockChannel);
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    // ------------------------------------------------------------------ files

    private static FileChannel openFile(Path file) throws IOException {
        return FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    }

    /** A new segment of {@code generation}: header and one chunk of zeros, written whole under a temporary name. */
    private static Segment createSegment(Path dir, Options options, long generation) throws IOException {
        Path name = dir.resolve(segmentName(generation));
        Path tmp = dir.resolve(segmentName(generation) + ".tmp");
        FileChannel channel = options.opener().open(tmp);
        try {
            channel.truncate(0);
            writeFully(channel, RecordFile.header(RecordFile.Kind.JOURNAL, generation), 0);
            zeroFill(channel, RecordFile.HEADER_BYTES, options.chunkBytes());
            channel.force(true);
            move(tmp, name);
            syncDirectory(dir);
            return new Segment(generation, channel, options.chunkBytes());
        } catch (IOException e) {
            closeQuietly(channel);
            Files.deleteIfExists(tmp);
            throw e;
        }
    }

    private static void writeSnapshot(Path dir, Options options, long generation, List<Entry> state)
            throws IOException {
        Path tmp = dir.resolve(SNAPSHOT + ".tmp");
        try (FileChannel channel = options.opener().open(tmp)) {
            channel.truncate(0);
            long position = writeFully(channel, RecordFile.header(RecordFile.Kind.SNAPSHOT, generation), 0);
            for (Entry entry : state) {
                position = writeFully(channel, ByteBuffer.wrap(RecordFile.frame(EntryCodec.encode(entry))), position);
            }
            channel.force(true);
        } catch (IOException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        move(tmp, dir.resolve(SNAPSHOT));
        syncDirectory(dir);
    }

    /** Deletes the segments older than {@code generation} and leftover temporary files. */
    private static void deleteBefore(Path dir, long generation) throws IOException {
        for (var segment : segments(dir).entrySet()) {
            if (segment.getKey() < generation) {
                Files.deleteIfExists(segment.getValue());
            }
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, SEGMENT_PREFIX + "*.tmp")) {
            for (Path file : files) {
                String hex = file.getFileName().toString().substring(SEGMENT_PREFIX.length(),
                        file.getFileName().toString().length() - 4);
                if (hex.matches("[0-9a-f]{16}") && Long.parseUnsignedLong(hex, 16) < generation) {
                    Files.deleteIfExists(file);
                }
            }
        }
        syncDirectory(dir);
    }

    private static long writeFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        while (buffer.hasRemaining()) {
            position += channel.write(buffer, position);
        }
        return position;
    }

    private static void zeroFill(FileChannel channel, long from, long to) throws IOException {
        long position = from;
        while (position < to) {
            ByteBuffer zeros = ZEROS.duplicate();
            zeros.limit((int) Math.min(zeros.capacity(), to - position));
            position = writeFully(channel, zeros, position);
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("the state directory's file system cannot rename atomically", e);
        }
    }

    /** fsync of the directory, so that a rename or a deletion in it is durable. */
    private static void syncDirectory(Path dir) throws IOException {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                // Nothing is left to write through it.
            }
        }
    }
}

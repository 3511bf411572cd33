package org.dmd.core.journal;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.dmd.core.control.ControlSession;
import org.dmd.core.control.DeviceMapper;
import org.dmd.core.control.DmFlag;
import org.dmd.core.control.Replies;
import org.dmd.core.control.Requests;
import org.dmd.core.control.Requests.Request;
import org.dmd.core.control.Requests.TargetSpec;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The state journal in process: the record framing, torn tails and CRC mismatches dropped whole,
 * a newer format refused, snapshot + replay reproducing the state exactly, a replay cut at every
 * byte of a small journal, a failed replay changing nothing, and a full disk answered with ENOSPC
 * and no change.
 */
class StateJournalTest {

    /** Small segments: every test writes a few KiB, not MiBs. */
    private static final StateJournal.Options SMALL = StateJournal.Options.DEFAULT.withChunkBytes(4096)
            .withSnapshotEvery(1_000_000);

    @TempDir
    Path tmp;

    // ------------------------------------------------------------------ framing

    @Test
    void everyJournaledRequestRoundTripsThroughTheCodec() throws Exception {
        List<Request> requests = List.of(
                new Requests.DevCreate("a", "uuid-a", "253:7", EnumSet.of(DmFlag.PERSISTENT_DEV), 0),
                new Requests.TableLoad(null, null, "253:7", EnumSet.of(DmFlag.READONLY),
                        List.of(new TargetSpec(0, 8, "zero", ""), new TargetSpec(8, 8, "error", null))),
                new Requests.DevSuspend("a", null, null, EnumSet.of(DmFlag.SUSPEND, DmFlag.NOFLUSH), 0),
                new Requests.DevRename("a", "b", null, EnumSet.noneOf(DmFlag.class), 0),
                new Requests.DevRemove(null, "uuid-a", null, EnumSet.of(DmFlag.DEFERRED_REMOVE), 0),
                new Requests.RemoveAll(EnumSet.noneOf(DmFlag.class)), new Requests.TableClear("ä", null, null, Set.of()),
                new Requests.LoopAttach("/tmp/x", true), new Requests.LoopDetach("/dev/loop0"),
                new Requests.Modprobe("dm-zero", true, false), new Requests.Shutdown(true),
                new Requests.TargetMsg("a", null, null, Set.of(), 0, "@cancel_deferred_remove"));
        long seq = 1;
        for (Request request : requests) {
            Entry entry = new Entry(seq++, request, 3, List.of("x", "y"), List.of(new Entry.EventNr("253:7", 9)), 42);
            assertEquals(entry, EntryCodec.decode(EntryCodec.encode(entry)));
        }
        Entry end = new Entry(5, null, -1, List.of(), List.of(), 1);
        assertEquals(end, EntryCodec.decode(EntryCodec.encode(end)));
    }

    @Test
    void aFramedFileScansBackAndStopsAtZeros() throws Exception {
        Entry one = Entry.of(1, new Requests.DevCreate("a", null, "253:0", EnumSet.of(DmFlag.PERSISTENT_DEV), 0));
        Entry two = Entry.of(2, new Requests.DevRemove("a", null, null, Set.of(), 0));
        byte[] file = concat(RecordFile.header(RecordFile.Kind.JOURNAL, 7).array(),
                RecordFile.frame(EntryCodec.encode(one)), RecordFile.frame(EntryCodec.encode(two)), new byte[100]);
        RecordFile.Scan scan = RecordFile.scan(tmp, file, RecordFile.Kind.JOURNAL);
        assertEquals(7, scan.generation());
        assertEquals(List.of(one, two), scan.entries());
        assertFalse(scan.torn());
        StateDirException wrongKind = assertThrows(StateDirException.class,
                () -> RecordFile.scan(tmp, file, RecordFile.Kind.SNAPSHOT));
        assertTrue(wrongKind.getMessage().contains("not a dmd snapshot file"), wrongKind.getMessage());
    }

    @Test
    void aCrcMismatchEndsTheReadablePartAndDropsTheRecordWhole() throws Exception {
        Entry one = Entry.of(1, new Requests.DevCreate("a", null, "253:0", EnumSet.of(DmFlag.PERSISTENT_DEV), 0));
        Entry two = Entry.of(2, new Requests.DevCreate("b", null, "253:1", EnumSet.of(DmFlag.PERSISTENT_DEV), 0));
        byte[] header = RecordFile.header(RecordFile.Kind.JOURNAL, 1).array();
        byte[] first = RecordFile.frame(EntryCodec.encode(one));
        byte[] second = RecordFile.frame(EntryCodec.encode(two));
        byte[] file = concat(header, first, second);
        file[header.length + first.length + RecordFile.FRAME_BYTES + 12] ^= 0x20;
        RecordFile.Scan scan = RecordFile.scan(tmp, file, RecordFile.Kind.JOURNAL);
        assertEquals(List.of(one), scan.entries());
        assertTrue(scan.torn());
    }

    @Test
    void aJournalOfANewerFormatIsRefusedWithAClearMessage() throws Exception {
        Path dir = tmp.resolve("state");
        try (Journaled j = Journaled.open(dir, SMALL)) {
            j.run(new Requests.DevCreate("a", null, null, Set.of(), 0));
        }
        Path segment = onlySegment(dir);
        byte[] bytes = Files.readAllBytes(segment);
        ByteBuffer.wrap(bytes, 8, 4).putInt(RecordFile.FORMAT_VERSION + 1);
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, RecordFile.HEADER_BYTES - 4);
        ByteBuffer.wrap(bytes, RecordFile.HEADER_BYTES - 4, 4).putInt((int) crc.getValue());
        Files.write(segment, bytes);
        Map<String, byte[]> before = files(dir);
        StateDirException refused = assertThrows(StateDirException.class, () -> Journaled.open(dir, SMALL));
        assertTrue(refused.getMessage().contains("was written in state format 2; this dmd reads format 1"),
                refused.getMessage());
        assertEqualFiles(before, files(dir));
    }

    // ------------------------------------------------------------------ replay

    @Test
    void snapshotsAndReplayReproduceEveryJournaledKindOfState() throws Exception {
        Path disk = Files.write(tmp.resolve("disk.img"), new byte[64 << 10]);
        Path other = Files.write(tmp.resolve("other.img"), new byte[32 << 10]);
        Path dir = tmp.resolve("state");
        String state;
        // A snapshot every 3 records: the replay below starts from one taken while running.
        try (Journaled j = Journaled.open(dir, SMALL.withSnapshotEvery(3))) {
            j.run(new Requests.LoopAttach(disk.toString(), false));
            j.run(new Requests.LoopAttach(other.toString(), true));
            j.run(new Requests.LoopAttach(disk.toString(), false));
            j.run(new Requests.LoopDetach("/dev/loop1"));
            j.run(new Requests.Modprobe("dm-zero", false, false));
            j.run(new Requests.DevCreate("base", "uuid-base", null, Set.of(), 0));
            j.run(new Requests.DevCreate("gap", null, "253:9", EnumSet.of(DmFlag.PERSISTENT_DEV), 0));
            j.run(load("base", "0 128 linear /dev/loop0 0"));
            j.run(resume("base"));
            j.run(new Requests.DevCreate("top", null, null, Set.of(), 0));
            j.run(load("top", "0 64 linear /dev/mapper/base 0"));
            j.run(resume("top"));
            j.run(load("top", "0 32 zero"));
            j.run(load("top", "0 16 zero"));
            j.run(new Requests.DevSuspend("top", null, null, EnumSet.of(DmFlag.SUSPEND), 0));
            j.run(new Requests.DevRename("gap", "renamed", null, Set.of(), 0));
            j.run(new Requests.DevRename("renamed", null, "uuid-gap", EnumSet.of(DmFlag.UUID), 0));
            j.run(new Requests.DevCreate("staged", null, null, Set.of(), 0));
            j.run(load("staged", "0 8 error"));
            j.run(new Requests.DevCreate("cleared", null, null, Set.of(), 0));
            j.run(load("cleared", "0 8 zero"));
            j.run(new Requests.TableClear("cleared", null, null, Set.of()));
            j.run(new Requests.DevCreate("gone", null, null, Set.of(), 0));
            j.run(new Requests.DevRemove("gone", null, null, Set.of(), 0));
            // base is held by top's table: a deferred removal marks it.
            j.run(new Requests.DevRemove("base", null, null, EnumSet.of(DmFlag.DEFERRED_REMOVE), 0));
            state = describe(j.dm);
            assertTrue(state.contains("DEFERRED_REMOVE"), state);
            assertTrue(Files.exists(dir.resolve(StateJournal.SNAPSHOT)));
        }
        try (Journaled again = Journaled.open(dir, SMALL)) {
            assertEquals(state, describe(again.dm));
            assertTrue(again.journal.recovered().records() > 0, "the running snapshot covered only part of it");
            again.run(new Requests.RemoveAll(EnumSet.noneOf(DmFlag.class)));
            state = describe(again.dm);
        }
        try (Journaled third = Journaled.open(dir, SMALL)) {
            assertEquals(state, describe(third.dm));
            assertEquals(1, third.journal.recovered().records(), "the start snapshot covered all but the remove_all");
            // The writer prepares the spare in the background: a close that comes first leaves none.
            await().until(() -> segments(dir).size() == 2);
        }
        assertEquals(2, segments(dir).size(), "the last run's segment and its spare; the rest deleted: "
                + segments(dir));
    }

    @Test
    void aReplayCutAtEveryByteOfASmallJournalGivesTheStateOfItsWholeRecords() throws Exception {
        Path dir = tmp.resolve("state");
        List<String> states = new ArrayList<>();
        try (Journaled j = Journaled.open(dir, SMALL)) {
            states.add(describe(j.dm));
            j.run(new Requests.DevCreate("a", null, null, Set.of(), 0));
            states.add(describe(j.dm));
            j.run(load("a", "0 8 zero"));
            states.add(describe(j.dm));
            j.run(resume("a"));
            states.add(describe(j.dm));
            j.run(new Requests.DevRename("a", "b", null, Set.of(), 0));
            states.add(describe(j.dm));
            j.run(new Requests.DevRemove("b", null, null, Set.of(), 0));
            states.add(describe(j.dm));
        }
        Path segment = onlySegment(dir);
        byte[] whole = Files.readAllBytes(segment);
        int end = RecordFile.scan(segment, whole, RecordFile.Kind.JOURNAL).end() > 0
                ? (int) RecordFile.scan(segment, whole, RecordFile.Kind.JOURNAL).end() : whole.length;
        List<Integer> recordEnds = new ArrayList<>();
        int tornSeen = 0;
        for (int cut = RecordFile.HEADER_BYTES; cut <= end; cut++) {
            byte[] prefix = java.util.Arrays.copyOf(whole, cut);
            int records = RecordFile.scan(segment, prefix, RecordFile.Kind.JOURNAL).entries().size();
            if (recordEnds.size() == records - 1) {
                recordEnds.add(cut);
            }
            Path copy = tmp.resolve("cut-" + cut);
            Files.createDirectories(copy);
            Files.copy(dir.resolve(StateJournal.SNAPSHOT), copy.resolve(StateJournal.SNAPSHOT));
            Files.write(copy.resolve(segment.getFileName()), prefix);
            try (Journaled replayed = Journaled.open(copy, SMALL)) {
                assertEquals(states.get(records), describe(replayed.dm), "cut at byte " + cut);
                boolean atBoundary = cut == RecordFile.HEADER_BYTES || recordEnds.contains(cut);
                if (atBoundary) {
                    assertFalse(replayed.journal.recovered().tornTail(), "cut at record boundary " + cut);
                }
                tornSeen += replayed.journal.recovered().tornTail() ? 1 : 0;
            }
            deleteTree(copy);
        }
        assertEquals(5, recordEnds.size(), "every record became whole at one cut");
        assertTrue(tornSeen > end / 2, "most cuts inside a record are seen as torn: " + tornSeen);
        StateDirException shortHeader = assertThrows(StateDirException.class, () -> {
            Files.write(segment, java.util.Arrays.copyOf(whole, RecordFile.HEADER_BYTES - 1));
            Journaled.open(dir, SMALL).close();
        });
        assertTrue(shortHeader.getMessage().contains("too short for a header"), shortHeader.getMessage());
    }

    @Test
    void aReplayThatFailsChangesNothingAndTheNextStartReplaysInFull() throws Exception {
        Path disk = Files.write(tmp.resolve("disk.img"), new byte[8 << 10]);
        Path dir = tmp.resolve("state");
        String state;
        try (Journaled j = Journaled.open(dir, SMALL)) {
            j.run(new Requests.DevCreate("first", null, null, Set.of(), 0));
            j.run(new Requests.LoopAttach(disk.toString(), false));
            j.run(new Requests.DevCreate("second", null, null, Set.of(), 0));
            j.run(load("second", "0 16 linear 7:0 0"));
            state = describe(j.dm);
        }
        Path moved = Files.move(disk, tmp.resolve("moved.img"));
        Map<String, byte[]> before = files(dir);
        StateDirException failed = assertThrows(StateDirException.class, () -> Journaled.open(dir, SMALL));
        assertTrue(failed.getMessage().contains("(LOOP_ATTACH) failed") && failed.getMessage().contains("ENOENT"),
                failed.getMessage());
        assertEqualFiles(before, files(dir));
        Files.move(moved, disk);
        try (Journaled j = Journaled.open(dir, SMALL)) {
            assertEquals(state, describe(j.dm));
        }
    }

    @Test
    void aSecondDmdOnTheSameDirectoryIsRefused() throws Exception {
        Path dir = tmp.resolve("state");
        try (Journaled j = Journaled.open(dir, SMALL)) {
            StateDirException busy = assertThrows(StateDirException.class, () -> Journaled.open(dir, SMALL));
            assertTrue(busy.getMessage().contains("in use by another dmd"), busy.getMessage());
        }
    }

    // ------------------------------------------------------------------ a full disk

    @Test
    void aFullDiskIsAnsweredWithEnospcAndChangesNothing() throws Exception {
        Path dir = tmp.resolve("state");
        AtomicLong free = new AtomicLong(Long.MAX_VALUE);
        StateJournal.Options limited = SMALL.withOpener(LimitedChannel.opener(free));
        String state;
        try (Journaled j = Journaled.open(dir, limited)) {
            j.run(new Requests.DevCreate("kept", null, null, Set.of(), 0));
            // The writer prepares its spare segment in the background; wait for it through a record's durability.
            j.run(load("kept", "0 8 zero"));
            free.set(0);
            state = describe(j.dm);
            DmException full = null;
            int created = 0;
            // The segment's preallocated room absorbs records until it runs out: then ENOSPC, before applying.
            for (int i = 0; full == null && i < 10_000; i++) {
                String before = describe(j.dm);
                try {
                    j.run(new Requests.DevCreate("d" + i, null, null, Set.of(), 0));
                    created++;
                } catch (DmException e) {
                    full = e;
                    assertEquals(before, describe(j.dm), "the refused create changed nothing");
                }
            }
            assertTrue(full != null && full.errno() == Errno.ENOSPC, "no ENOSPC: " + full);
            assertTrue(full.getMessage().contains("was not made"), full.getMessage());
            assertTrue(created > 0, "the preallocated room took records first");
            state = describe(j.dm);
            free.set(Long.MAX_VALUE);
            j.run(new Requests.DevCreate("after", null, null, Set.of(), 0));
            state = describe(j.dm);
        }
        try (Journaled j = Journaled.open(dir, SMALL)) {
            assertEquals(state, describe(j.dm));
        }
    }

    // ------------------------------------------------------------------ helpers

    /** A device-mapper with a journal on a directory, and a session to run requests on. */
    private static final class Journaled implements AutoCloseable {
        final DeviceMapper dm;
        final StateJournal journal;
        final ControlSession session;

        private Journaled(DeviceMapper dm, StateJournal journal) {
            this.dm = dm;
            this.journal = journal;
            this.session = dm.openSession();
        }

        static Journaled open(Path dir, StateJournal.Options options) throws StateDirException {
            DeviceMapper dm = DeviceMapper.builder().build();
            try {
                return new Journaled(dm, StateJournal.open(dir, dm, options));
            } catch (StateDirException | RuntimeException e) {
                dm.close();
                throw e;
            }
        }

        /** Runs a request; returns once its record is durable. */
        Replies.Reply run(Request request) throws DmException {
            try {
                return session.execute(request).join();
            } catch (CompletionException e) {
                throw (DmException) e.getCause();
            }
        }

        @Override
        public void close() {
            session.close();
            journal.close();
            dm.close();
        }
    }

    private static Requests.TableLoad load(String name, String line) {
        String[] f = line.split(" ", 4);
        return new Requests.TableLoad(name, null, null, Set.of(),
                List.of(new TargetSpec(Long.parseLong(f[0]), Long.parseLong(f[1]), f[2], f.length > 3 ? f[3] : "")));
    }

    private static Requests.DevSuspend resume(String name) {
        return new Requests.DevSuspend(name, null, null, Set.of(), 0);
    }

    /** Everything replay restores, as text: devices, their flags, event numbers and tables; loops; modules. */
    static String describe(DeviceMapper dm) throws DmException {
        StringBuilder out = new StringBuilder();
        for (Replies.NameEntry d : dm.listDevices(new Requests.ListDevices(null, null, Set.of(DmFlag.UUID)))
                .devices()) {
            Replies.DeviceInfo info = dm.devStatus(new Requests.DevStatus(null, null, d.dev(), Set.of()));
            EnumSet<DmFlag> flags = EnumSet.copyOf(info.flags());
            flags.retainAll(EnumSet.of(DmFlag.SUSPEND, DmFlag.DEFERRED_REMOVE, DmFlag.ACTIVE_PRESENT,
                    DmFlag.INACTIVE_PRESENT, DmFlag.READONLY));
            out.append(d.name()).append(' ').append(d.uuid()).append(' ').append(d.dev()).append(" event ")
                    .append(info.eventNr()).append(" open ").append(info.openCount()).append(' ').append(flags)
                    .append('\n');
            for (Set<DmFlag> which : List.of(Set.of(DmFlag.STATUS_TABLE),
                    Set.of(DmFlag.STATUS_TABLE, DmFlag.QUERY_INACTIVE_TABLE))) {
                for (Replies.TargetLine line : dm.tableStatus(new Requests.TableStatus(null, null, d.dev(), which))
                        .targets()) {
                    out.append(which.size() == 1 ? "  live " : "  inactive ").append(line).append('\n');
                }
            }
        }
        dm.loopList().loops().forEach(l -> out.append(l).append('\n'));
        dm.lsmod().modules().forEach(m -> out.append(m.name()).append(' ').append(m.state()).append(' ')
                .append(m.refcount()).append('\n'));
        return out.append("global ").append(dm.globalEventNr()).append('\n').toString();
    }

    /** The segment with the records: the first; after it, only the empty spare the writer prepared. */
    private static Path onlySegment(Path dir) throws Exception {
        List<Path> segments = segments(dir);
        assertEquals(2, segments.size(), segments.toString());
        byte[] spare = Files.readAllBytes(segments.get(1));
        assertEquals(List.of(), RecordFile.scan(segments.get(1), spare, RecordFile.Kind.JOURNAL).entries());
        return segments.get(0);
    }

    private static List<Path> segments(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().matches("journal-[0-9a-f]{16}")).sorted().toList();
        }
    }

    private static Map<String, byte[]> files(Path dir) throws IOException {
        Map<String, byte[]> out = new TreeMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.toList()) {
                out.put(f.getFileName().toString(), Files.readAllBytes(f));
            }
        }
        return out;
    }

    private static void assertEqualFiles(Map<String, byte[]> expected, Map<String, byte[]> actual) {
        assertEquals(expected.keySet(), actual.keySet());
        expected.forEach((name, bytes) -> assertTrue(java.util.Arrays.equals(bytes, actual.get(name)), name + " changed"));
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        ByteBuffer out = ByteBuffer.allocate(n);
        for (byte[] p : parts) {
            out.put(p);
        }
        return out.array();
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(f);
            }
        }
    }
}

import Foundation
import ConnwatchModel
import ConnwatchEngine

/// `scan --journal DIR` on several cores: one `sd_journal` per journal file (libsystemd's own entry walk is
/// most of the time, and one handle is one thread's), files taken in turn by `threads` workers, each reading
/// its file as `JournalInput` does (batches of messages, one Vectorscan call each). The calling thread merges
/// the findings into the order one `sd_journal` walk over the whole directory gives (`JournalOrderKey`), so the
/// output is the same as with one thread.
///
/// A finding is handed on once no other file can still hold an earlier entry: that file is finished, or
/// its next finding or the last entry its worker read sorts after it (files not started yet: their first
/// entry). Findings waiting for their turn stay in memory; with files that cover one time span after another
/// (rotation) that is at most the findings of the files being read ahead of the one being written.
///
/// Not for grouping events (an event may go on in the next entry of another file) nor for following.
package final class JournalFileScan: Input, @unchecked Sendable {
    package let name: String
    let ruleSet: RuleSet
    let context: String?
    let matches: [String]
    let threads: Int
    /// Only for the pipeline's per-input statistics; the workers have their own.
    package let scanner: ConnwatchEngine.Scanner

    final class File {
        let path: String
        /// The first entry (a lower bound of every entry the worker will read).
        let first: JournalOrderKey
        var pending: [(key: JournalOrderKey, finding: Finding)] = []
        var head = 0
        /// The last entry the worker read; nil before it started.
        var readThrough: JournalOrderKey?
        var done = false
        init(path: String, first: JournalOrderKey) { self.path = path; self.first = first }
        var next: JournalOrderKey? { head < pending.count ? pending[head].key : nil }
    }

    /// Sorted by first entry, the order workers take them in.
    let files: [File]
    /// Guards everything below it and the files' mutable state.
    let state = NSCondition()
    var taken = 0
    var started = false
    var stopping = false
    package private(set) var entriesRead: UInt64 = 0

    /// The journal files of `directory`, each opened once to check `matches` and find its first entry (files
    /// libsystemd cannot open are left out, as `sd_journal_open_directory` leaves them out).
    package init(name: String, directory: String, matches: [String], ruleSet: RuleSet, context: String?, threads: Int)
        throws(JournalError) {
        self.name = name
        self.ruleSet = ruleSet
        self.context = context
        self.matches = matches
        self.threads = max(1, threads)
        scanner = Scanner(ruleSet)
        var files: [File] = []
        for path in JournalReader.files(inDirectory: directory) {
            guard let reader = try? JournalReader(.files([path])) else { continue }
            try reader.addMatches(matches)
            reader.seekHead()
            guard reader.next(), let first = reader.orderKey() else { continue }
            files.append(File(path: path, first: first))
        }
        // Stable: equal first entries keep the name order (libsystemd's file order for ties).
        self.files = files.enumerated().sorted {
            $0.element.first.precedes($1.element.first) || (!$1.element.first.precedes($0.element.first) && $0.offset < $1.offset)
        }.map(\.element)
    }

    /// How many journal files `directory` has (one is read on the calling thread as before).
    package static func fileCount(_ directory: String) -> Int { JournalReader.files(inDirectory: directory).count }

    package var pollDescriptor: pollfd? { nil }
    package func nextDeadline(now: Date) -> Double? { nil }

    package func read(into sink: any FindingSink) -> ReadResult {
        state.lock()
        defer { state.unlock() }
        if !started {
            started = true
            for i in 0..<min(threads, files.count) {
                let thread = Thread { [self] in work() }
                thread.name = "connwatch-journal-\(i)"
                thread.start()
            }
        }
        while true {
            if let i = nextReady() {
                let f = files[i]
                let finding = f.pending[f.head].finding
                f.head += 1
                if f.head == f.pending.count { f.pending.removeAll(keepingCapacity: true); f.head = 0 }
                state.unlock()
                sink.accept(finding)
                let stop = sink.shouldStop
                state.lock()
                if stop { return .stopped }
                continue
            }
            if files.allSatisfy({ $0.done && $0.next == nil }) { return .finished }
            state.wait()
        }
    }

    /// The file whose next finding comes first, if no file can still produce an earlier one.
    func nextReady() -> Int? {
        var best: Int?
        for (i, f) in files.enumerated() {
            guard let key = f.next else { continue }
            if let b = best, !key.precedes(files[b].next!) { continue }
            best = i
        }
        guard let best, let key = files[best].next else { return nil }
        for (i, f) in files.enumerated() where i != best && f.next == nil && !f.done {
            // Later entries of f come after what its worker read last (or after its first entry).
            if let read = f.readThrough {
                if read.precedes(key) { return nil }
            } else if !key.precedes(f.first) {
                return nil
            }
        }
        return best
    }

    /// One worker thread: take the next file, read it to its end, posting findings and progress per poll.
    func work() {
        while true {
            state.lock()
            guard !stopping, taken < files.count else { state.unlock(); return }
            let f = files[taken]
            taken += 1
            state.unlock()
            read(f)
        }
    }

    func read(_ f: File) {
        defer {
            state.lock()
            f.done = true
            state.broadcast()
            state.unlock()
        }
        // Opened on this thread: an sd_journal handle belongs to one thread for its whole life.
        // Without matches the file's entries are read straight from the file (libsystemd's walk was most of
        // the time); with matches, or a file this reader does not know, through libsystemd.
        let reader: any JournalEntries
        if matches.isEmpty, let walk = JournalFileWalk(path: f.path) {
            reader = walk
        } else {
            guard let sd = try? JournalReader(.files([f.path])), (try? sd.addMatches(matches)) != nil else { return }
            sd.seekHead()
            reader = sd
        }
        let input = JournalInput(reader: reader, scanner: Scanner(ruleSet), context: context)
        var found: [(key: JournalOrderKey, finding: Finding)] = []
        while true {
            // A finding's cursor is its entry's: it says where the finding sorts.
            let n = input.poll { finding in
                if let key = finding.origin.cursor.flatMap(JournalOrderKey.init(cursor:)) { found.append((key, finding)) }
            }
            let readThrough = n > 0 ? input.lastCursor.flatMap(JournalOrderKey.init(cursor:)) : nil
            state.lock()
            f.pending += found
            if let readThrough { f.readThrough = readThrough }
            entriesRead += UInt64(n)
            let stop = stopping
            state.broadcast()
            state.unlock()
            found.removeAll(keepingCapacity: true)
            if n == 0 || stop { return }
        }
    }

    /// Nothing is held between files (no event grouping here); workers still reading stop after their batch.
    package func finish(into sink: any FindingSink) {
        state.lock()
        stopping = true
        state.unlock()
    }

    /// `scan` keeps no checkpoints.
    package func checkpoint(into state: inout CheckpointState) {}
}

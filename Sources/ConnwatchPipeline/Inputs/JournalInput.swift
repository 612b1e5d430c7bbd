import Foundation
import ConnwatchModel
import ConnwatchEngine

/// Reads journal entries in batches, scans each batch's MESSAGE fields as one buffer of lines (one
/// Vectorscan call per batch), and attaches the entry's origin fields to the findings. Only entries with
/// a finding pay for reading their other fields and cursor.
package final class JournalInput {
    /// libsystemd's walk, or (one file read once, `JournalFileScan`) the file's entries read directly.
    package let reader: any JournalEntries
    package let scanner: ConnwatchEngine.Scanner
    package var context: String?
    /// Cursor of the last entry read; the checkpoint once the batch's findings are out.
    package private(set) var lastCursor: String?
    package private(set) var entriesRead: UInt64 = 0
    package private(set) var bytesRead: UInt64 = 0
    /// How old the last entry was when it was read (0 once caught up): the input's lag.
    package private(set) var lagSeconds: Double = 0

    /// Entries from these SYSLOG_IDENTIFIERs are read but never reported (connwatch's own findings).
    package var ignoredIdentifiers: Set<String> = ["connwatch"]
    static let ownPID = String(getpid())

    /// The batch's messages, one per line; grown only for very long messages.
    var storage = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 64)
    var starts: [Int] = []
    /// Grouping events (the scanner has `events`): each entry's process, so that only consecutive entries of
    /// one process form an event.
    var keys: [Int] = []
    /// Grouping events: the entries of the possibly open last event, carried over to the next batch
    /// (`storage[0..<heldBytes]`, the first `heldEntries` of `starts`), and since when nothing was added.
    var heldEntries = 0
    var heldBytes = 0
    package private(set) var heldSince: Date?
    /// The process and last line of an event handed over at the timeout, until the next entries are scanned.
    var timeoutTail: (key: Int, line: [UInt8])?

    func grow(to size: Int) {
        let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: max(size, storage.count * 2), alignment: 64)
        bigger.copyMemory(from: UnsafeRawBufferPointer(storage))
        storage.deallocate()
        storage = bigger
    }

    deinit { storage.deallocate() }

    package init(reader: any JournalEntries, scanner: ConnwatchEngine.Scanner, context: String? = nil) {
        self.reader = reader
        self.scanner = scanner
        self.context = context
    }

    /// Entries per batch: small, because finding an entry's origin means stepping back to it (libsystemd
    /// has no cheap handle for an entry; a cursor per entry would cost more than reading the message).
    package static let batchEntries = 128

    /// Reads and scans new entries until about `maxBytes` of messages, `maxEntries` entries, or the end of
    /// the journal. Returns the number of entries read (0: nothing new).
    @discardableResult
    package func poll(maxBytes: Int = ChunkReader.defaultChunkBytes, maxEntries: Int = JournalInput.batchEntries,
                     emit: (Finding) -> Void) -> Int {
        var total = 0
        // Batches are small; keep reading them until the journal has no more or enough was read.
        while total < 4096 {
            let n = batch(maxBytes: maxBytes, maxEntries: maxEntries, emit: emit)
            total += n
            if n < maxEntries { break }
        }
        if total > 0 {
            lastCursor = cursorBeforeHeld() ?? lastCursor
            lagSeconds = max(0, Date().timeIntervalSince1970 - Double(reader.realtimeMicros()) / 1e6)
        } else {
            lagSeconds = 0
        }
        return total
    }

    /// The checkpoint: the last entry read, or with an open event held, the entry before it (so that a
    /// restart reads the event whole again). nil when there is no such entry.
    func cursorBeforeHeld() -> String? {
        guard heldEntries > 0 else { return reader.cursor() }
        let moved = reader.previous(heldEntries)
        let cursor = moved == heldEntries ? reader.cursor() : nil
        _ = reader.next(moved)
        return cursor
    }

    /// Seconds until a held event is due (grouping events), if one is held.
    package func nextDeadline(now: Date = Date()) -> Double? {
        guard let heldSince, let events = scanner.events else { return nil }
        return max(0, events.settings.timeout - now.timeIntervalSince(heldSince))
    }

    /// Hands over a held event: after the grouping timeout (marked as cut), or at the end of a one-shot scan.
    package func flushHeld(cut: EventCut?, emit: (Finding) -> Void) {
        guard heldEntries > 0 else { return }
        scanAndEmit(upTo: heldBytes, count: heldEntries, lastEventCut: cut, emit: emit)
        starts.removeAll(keepingCapacity: true)
        keys.removeAll(keepingCapacity: true)
        heldEntries = 0
        heldBytes = 0
        heldSince = nil
        lastCursor = reader.cursor()
    }

    /// Flushes a held event whose timeout passed.
    package func flushStale(now: Date = Date(), emit: (Finding) -> Void) {
        guard let due = nextDeadline(now: now), due <= 0, heldEntries > 0 else { return }
        // Not marked (nothing says the event was incomplete); the process's next entry, if it continues it,
        // begins an event marked `cut: timeout`.
        let tail = (key: keys[heldEntries - 1], line: EventBoundaries.lastLine(UnsafeRawBufferPointer(rebasing: storage[0..<heldBytes])))
        flushHeld(cut: nil, emit: emit)
        timeoutTail = tail
    }

    /// Grouping events: true inside one multi-line message, false where another process's entry begins.
    func recordBoundary(at offset: Int) -> Bool? {
        var lo = 0, hi = starts.count
        while hi - lo > 1 { let mid = (lo + hi) / 2; if starts[mid] <= offset { lo = mid } else { hi = mid } }
        if starts[lo] != offset { return true }
        return lo == 0 || keys[lo] == keys[lo - 1] ? nil : false
    }

    /// The fields that say which program wrote the current entry: a PID alone is not enough in a journal that
    /// several machines or containers write into (PID 1 of two containers, two hosts' sshd).
    static let processFields = ["_HOSTNAME", "_SYSTEMD_UNIT", "SYSLOG_IDENTIFIER", "_PID"]

    /// Consecutive entries with the same key may be one event: same host, unit, identifier and PID.
    func processKey() -> Int {
        var h = Hasher()
        for field in Self.processFields {
            // An absent field hashes differently from an empty one.
            if let bytes = reader.data(field) { h.combine(1); h.combine(bytes: bytes) } else { h.combine(0) }
        }
        return h.finalize()
    }

    func batch(maxBytes: Int, maxEntries: Int, emit: (Finding) -> Void) -> Int {
        let grouping = scanner.events != nil
        // Only entries of a held event stay from the last batch.
        starts.removeSubrange(heldEntries...)
        keys.removeSubrange(min(heldEntries, keys.count)...)
        let maxLine = scanner.ruleSet.maxLineBytes
        var fill = heldBytes
        var added = 0
        while fill < maxBytes, added < maxEntries, reader.next() {
            starts.append(fill)
            added += 1
            if grouping { keys.append(processKey()) }
            if let message = reader.message() {
                // Bound memory per entry: the line limit applies to journal messages too.
                let n = min(message.count, maxLine + 1)
                if fill + n + 1 > storage.count { grow(to: fill + n + 1) }
                storage.baseAddress!.advanced(by: fill).copyMemory(from: message.baseAddress!, byteCount: n)
                fill += n
            }
            if fill + 1 > storage.count { grow(to: fill + 1) }
            storage[fill] = 0x0A
            fill += 1
        }
        guard added > 0 else { return 0 }
        let count = starts.count
        entriesRead += UInt64(added)
        bytesRead += UInt64(fill - heldBytes)
        var scanEnd = fill
        if let events = scanner.events {
            events.recordBoundary = { [unowned self] in self.recordBoundary(at: $0) }
            // The last event may go on in entries not written yet: hold it (unless it is already at its bounds).
            scanEnd = events.lastEventStart(storage.baseAddress!.assumingMemoryBound(to: UInt8.self), count: fill) ?? fill
        }
        scanAndEmit(upTo: scanEnd, count: count, lastEventCut: nil, emit: emit)
        if grouping {
            // Carry the open event's entries to the front for the next batch.
            let first = starts.firstIndex { $0 >= scanEnd } ?? count
            heldEntries = count - first
            heldBytes = fill - scanEnd
            if heldBytes > 0, scanEnd > 0 {
                storage.baseAddress!.copyMemory(from: storage.baseAddress! + scanEnd, byteCount: heldBytes)
            }
            starts = starts[first...].map { $0 - scanEnd }
            keys = Array(keys[first...])
            heldSince = heldEntries > 0 ? Date() : nil
        }
        return added
    }

    /// Scans `storage[0..<end]` (the first entries of `count` read; the reader stands on the last of them).
    func scanAndEmit(upTo end: Int, count: Int, lastEventCut: EventCut?, emit: (Finding) -> Void) {
        guard end > 0 else { return }
        scanner.events?.recordBoundary = { [unowned self] in self.recordBoundary(at: $0) }
        if let tail = timeoutTail, let events = scanner.events {
            timeoutTail = nil
            events.firstEventContinuesFlushed = keys.first == tail.key
                && events.continuesFlushed(tail.line, UnsafeRawBufferPointer(rebasing: storage[0..<end]))
        }
        defer { scanner.events?.recordBoundary = nil; scanner.events?.firstEventContinuesFlushed = false }
        var findings: [Finding] = []
        scanner.scan(UnsafeRawBufferPointer(rebasing: storage[0..<end]), bufferOffset: 0, origin: Origin(input: "journal"),
                     context: context, lastEventCut: lastEventCut) { findings.append($0) }
        if !findings.isEmpty {
            attachOrigins(&findings, count: count)
            // Never read our own output back: connwatch's stdout lands in the journal under systemd.
            findings.removeAll { $0.origin.pid == Self.ownPID || $0.origin.identifier.map(ignoredIdentifiers.contains) == true }
        }
        for f in findings { emit(f) }
    }

    /// The reader stands on the batch's last entry: one sweep back to the earliest entry with a finding,
    /// reading each such entry's fields on the way, then one jump forward again.
    func attachOrigins(_ findings: inout [Finding], count: Int) {
        func entry(of f: Finding) -> Int {
            let offset = Int(f.origin.offset ?? 0)
            // The entry whose message holds this line: the last start at or before the offset.
            var lo = 0, hi = starts.count
            while hi - lo > 1 { let mid = (lo + hi) / 2; if starts[mid] <= offset { lo = mid } else { hi = mid } }
            return lo
        }
        let hitEntries = Set(findings.map(entry)).sorted(by: >)
        var origins: [Int: Origin] = [:]
        var position = count - 1
        for e in hitEntries {
            if position > e { _ = reader.previous(position - e); position = e }
            var o = Origin(input: "journal")
            o.cursor = reader.cursor()
            o.unit = reader.string("_SYSTEMD_UNIT")
            o.identifier = reader.string("SYSLOG_IDENTIFIER")
            o.pid = reader.string("_PID")
            o.hostname = reader.string("_HOSTNAME")
            o.realtimeMicros = reader.realtimeMicros()
            origins[e] = o
        }
        if position < count - 1 { _ = reader.next(count - 1 - position) }
        for i in findings.indices {
            let o = origins[entry(of: findings[i])]!
            findings[i].origin = o
        }
    }
}

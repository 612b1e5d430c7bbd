import Foundation

/// Reads journal entries in batches, scans each batch's MESSAGE fields as one buffer of lines (one
/// Vectorscan call per batch), and attaches the entry's origin fields to the findings. Only entries with
/// a finding pay for reading their other fields and cursor.
public final class JournalInput {
    public let reader: JournalReader
    public let scanner: Scanner
    public var context: String?
    public var host: String?
    /// Cursor of the last entry read; the checkpoint once the batch's findings are out.
    public private(set) var lastCursor: String?
    public private(set) var entriesRead: UInt64 = 0
    public private(set) var bytesRead: UInt64 = 0
    /// How old the last entry was when it was read (0 once caught up): the input's lag.
    public private(set) var lagSeconds: Double = 0

    /// Entries from these SYSLOG_IDENTIFIERs are read but never reported (connwatch's own findings).
    public var ignoredIdentifiers: Set<String> = ["connwatch"]
    static let ownPID = String(getpid())

    /// The batch's messages, one per line; grown only for very long messages.
    var storage = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 64)
    var starts: [Int] = []

    func grow(to size: Int) {
        let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: max(size, storage.count * 2), alignment: 64)
        bigger.copyMemory(from: UnsafeRawBufferPointer(storage))
        storage.deallocate()
        storage = bigger
    }

    deinit { storage.deallocate() }

    public init(reader: JournalReader, scanner: Scanner, context: String? = nil, host: String? = OneShotScan.hostname()) {
        self.reader = reader
        self.scanner = scanner
        self.context = context
        self.host = host
    }

    /// Entries per batch: small, because finding an entry's origin means stepping back to it (libsystemd
    /// has no cheap handle for an entry; a cursor per entry would cost more than reading the message).
    public static let batchEntries = 128

    /// Reads and scans new entries until about `maxBytes` of messages, `maxEntries` entries, or the end of
    /// the journal. Returns the number of entries read (0: nothing new).
    @discardableResult
    public func poll(maxBytes: Int = ChunkReader.defaultChunkBytes, maxEntries: Int = JournalInput.batchEntries,
                     emit: (Finding) -> Void) -> Int {
        var total = 0
        // Batches are small; keep reading them until the journal has no more or enough was read.
        while total < 4096 {
            let n = batch(maxBytes: maxBytes, maxEntries: maxEntries, emit: emit)
            total += n
            if n < maxEntries { break }
        }
        if total > 0 {
            lastCursor = reader.cursor()
            lagSeconds = max(0, Date().timeIntervalSince1970 - Double(reader.realtimeMicros()) / 1e6)
        } else {
            lagSeconds = 0
        }
        return total
    }

    func batch(maxBytes: Int, maxEntries: Int, emit: (Finding) -> Void) -> Int {
        starts.removeAll(keepingCapacity: true)
        let maxLine = scanner.ruleSet.maxLineBytes
        var fill = 0
        while fill < maxBytes, starts.count < maxEntries, reader.next() {
            starts.append(fill)
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
        let count = starts.count
        guard count > 0 else { return 0 }
        entriesRead += UInt64(count)
        bytesRead += UInt64(fill)
        var findings: [Finding] = []
        scanner.scan(UnsafeRawBufferPointer(rebasing: storage[0..<fill]), bufferOffset: 0, origin: Origin(input: "journal"),
                     context: context) { findings.append($0) }
        if !findings.isEmpty {
            attachOrigins(&findings, count: count)
            // Never read our own output back: connwatch's stdout lands in the journal under systemd.
            findings.removeAll { $0.origin.pid == Self.ownPID || $0.origin.identifier.map(ignoredIdentifiers.contains) == true }
        }
        for f in findings { emit(f) }
        return count
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
            findings[i].host = host
            if let usec = o.realtimeMicros { findings[i].time = Date(timeIntervalSince1970: Double(usec) / 1e6) }
        }
    }
}

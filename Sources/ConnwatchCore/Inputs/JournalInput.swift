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

    /// Entries from these SYSLOG_IDENTIFIERs are read but never reported (connwatch's own findings).
    public var ignoredIdentifiers: Set<String> = ["connwatch"]
    static let ownPID = String(getpid())

    var buffer: [UInt8] = []
    var starts: [Int] = []

    public init(reader: JournalReader, scanner: Scanner, context: String? = nil, host: String? = OneShotScan.hostname()) {
        self.reader = reader
        self.scanner = scanner
        self.context = context
        self.host = host
        buffer.reserveCapacity(ChunkReader.defaultChunkBytes + 65536)
    }

    /// Reads and scans new entries until about `maxBytes` of messages or the end of the journal.
    /// Returns the number of entries read (0: nothing new).
    @discardableResult
    public func poll(maxBytes: Int = ChunkReader.defaultChunkBytes, emit: (Finding) -> Void) -> Int {
        buffer.removeAll(keepingCapacity: true)
        starts.removeAll(keepingCapacity: true)
        let maxLine = scanner.ruleSet.maxLineBytes
        while buffer.count < maxBytes, reader.next() {
            starts.append(buffer.count)
            if let message = reader.data("MESSAGE") {
                // Bound memory per entry: the line limit applies to journal messages too.
                buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: message[0..<min(message.count, maxLine + 1)]))
            }
            buffer.append(0x0A)
        }
        let count = starts.count
        guard count > 0 else { return 0 }
        entriesRead += UInt64(count)
        bytesRead += UInt64(buffer.count)
        var findings: [Finding] = []
        buffer.withUnsafeBytes { raw in
            scanner.scan(raw, bufferOffset: 0, origin: Origin(input: "journal"), context: context) { findings.append($0) }
        }
        if !findings.isEmpty {
            attachOrigins(&findings, count: count)
            // Never read our own output back: connwatch's stdout lands in the journal under systemd.
            findings.removeAll { $0.origin.pid == Self.ownPID || $0.origin.identifier.map(ignoredIdentifiers.contains) == true }
        }
        lastCursor = reader.cursor()
        for f in findings { emit(f) }
        return count
    }

    /// The reader stands on the batch's last entry; step back to each entry with a finding and read its fields.
    func attachOrigins(_ findings: inout [Finding], count: Int) {
        var cache: [Int: Origin] = [:]
        for i in findings.indices {
            let offset = Int(findings[i].origin.offset ?? 0)
            // The entry whose message holds this line: the last start at or before the offset.
            var lo = 0, hi = starts.count
            while hi - lo > 1 { let mid = (lo + hi) / 2; if starts[mid] <= offset { lo = mid } else { hi = mid } }
            let entry = lo
            if cache[entry] == nil {
                let back = count - 1 - entry
                if back > 0 { _ = reader.previous(back) }
                var o = Origin(input: "journal")
                o.cursor = reader.cursor()
                o.unit = reader.string("_SYSTEMD_UNIT")
                o.identifier = reader.string("SYSLOG_IDENTIFIER")
                o.pid = reader.string("_PID")
                o.hostname = reader.string("_HOSTNAME")
                o.realtimeMicros = reader.realtimeMicros()
                if back > 0 { _ = reader.next(back) }
                cache[entry] = o
            }
            findings[i].origin = cache[entry]!
            findings[i].host = host
            if let usec = cache[entry]!.realtimeMicros {
                findings[i].time = Date(timeIntervalSince1970: Double(usec) / 1e6)
            }
        }
    }
}

import Foundation
import ConnwatchModel

package struct ReportInputError: Error, Sendable, CustomStringConvertible {
    package var description: String
    package init(_ d: String) { description = d }
}

extension Int {
    /// Counts come from files: a hostile `count` near Int.max must saturate a sum, not trap.
    mutating func addSaturating(_ n: Int) {
        let (sum, overflow) = addingReportingOverflow(n)
        self = overflow ? (n > 0 ? Int.max : Int.min) : sum
    }
}

/// Reads findings files (plain or gzip, as logrotate leaves them) and summarises a period. Files are streamed
/// line by line and aggregated as they are read (memory depends on the distinct rules, hosts and tenants, not on
/// the number of findings); several files, and large plain files in chunks, are read in parallel.
package struct ReportBuilder: Sendable {
    package var since: Date
    package var until: Date
    package var timeZone: TimeZone
    package var lang: Language
    /// Longer lines are skipped and counted: a findings line is at most a few times `max_line_bytes` (escaping),
    /// so anything beyond this is not a finding, and a line without end (`/dev/zero`) must not fill memory.
    package var maxLineBytes = 16 << 20
    /// Plain files larger than this are split into chunks read in parallel.
    package var chunkBytes = 32 << 20
    static let examplesPerSection = 3
    static let skippedShown = 20

    package init(since: Date, until: Date, timeZone: TimeZone, lang: Language) {
        self.since = since; self.until = until; self.timeZone = timeZone; self.lang = lang
    }

    /// The findings file and its rotated copies (`F.1`, `F.2.gz`, `F-20261120`, `F-20261120.gz`), oldest first.
    package static func rotatedFiles(of path: String) -> [String] {
        let dir = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: dir.isEmpty ? "." : dir)) ?? []
        let rotated = entries.filter { $0.hasPrefix(name + ".") || $0.hasPrefix(name + "-") }
            .map { (dir as NSString).appendingPathComponent($0) }
        let mtime: (String) -> Date = { (try? FileManager.default.attributesOfItem(atPath: $0)[.modificationDate] as? Date) ?? .distantPast }
        return rotated.sorted { mtime($0) < mtime($1) } + (FileManager.default.fileExists(atPath: path) ? [path] : [])
    }

    /// Reads `paths` and builds the report; unreadable files throw, unparsable or too long lines are listed in
    /// `skipped` with file and line.
    package func build(paths: [String], now: Date = Date()) throws(InputError) -> Report {
        var report = Report(generated: now, since: since, until: until, timeZone: timeZone.identifier, lang: lang.rawValue)
        report.sources = paths
        let period = ReportPeriod(since: since, until: until, timeZone: timeZone)
        let units = try plan(paths)
        let results = ReportResults(count: units.count)
        let builder = self
        DispatchQueue.concurrentPerform(iterations: units.count) { k in
            let acc = ReportAccumulator(period: period)
            do throws(InputError) {
                try builder.read(units[k], into: acc)
                results.set(k, .success(acc))
            } catch {
                results.set(k, .failure(error))
            }
        }
        // Merged in file order, so ties (same time) and the skipped list come out as a sequential read would.
        let total = ReportAccumulator(period: period)
        var lineBase = 0
        for (k, unit) in units.enumerated() {
            if unit.chunk == 0 { lineBase = 0 }
            let acc: ReportAccumulator
            switch results.get(k) {
            case .success(let a): acc = a
            case .failure(let e): throw e
            case nil: throw InputError(path: unit.path, message: "not read")
            }
            for s in acc.skipped where total.skipped.count < Self.skippedShown {
                total.skipped.append((lineBase + s.line, "\(unit.path):\(lineBase + s.line): \(s.message)"))
            }
            total.skippedCount.addSaturating(acc.skippedCount)
            acc.skipped = []
            lineBase += acc.lines
            total.merge(acc)
        }
        total.fill(&report)
        return report
    }

    /// One piece of reading work: a whole file, or a byte range of a large plain file (lines that start in it).
    struct ReadUnit: Sendable {
        var path: String
        var chunk: Int
        var range: Range<Int64>?
    }

    func plan(_ paths: [String]) throws(InputError) -> [ReadUnit] {
        var units: [ReadUnit] = []
        for path in paths {
            // Opened here too, so an unreadable file is reported before any work starts, in the order given.
            let opened = try OpenedInput.open(path)
            var st = stat()
            guard path != "-", !opened.compressed, stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG,
                  st.st_size > Int64(chunkBytes) else {
                units.append(ReadUnit(path: path, chunk: 0, range: nil))
                continue
            }
            let size = Int64(st.st_size)
            let pieces = max(2, Int((size + Int64(chunkBytes) - 1) / Int64(chunkBytes)))
            let step = (size + Int64(pieces) - 1) / Int64(pieces)
            for c in 0..<pieces {
                let start = Int64(c) * step
                units.append(ReadUnit(path: path, chunk: c, range: start..<min(size, start + step)))
            }
        }
        return units
    }

    /// Streams one unit into `acc`, line by line, with lines bounded by `maxLineBytes`.
    func read(_ unit: ReadUnit, into acc: ReportAccumulator) throws(InputError) {
        var source: any ByteSource
        var syncing = false       // a chunk starts inside a line that belongs to the previous chunk
        var base: Int64 = 0       // file offset of buffer[0]
        let end = unit.range?.upperBound ?? .max
        if let range = unit.range {
            let fd = open(unit.path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw InputError(path: unit.path, message: String(cString: strerror(errno))) }
            source = OwnedDescriptorSource(fd: fd, path: unit.path)
            if range.lowerBound > 0 {
                base = range.lowerBound - 1
                syncing = true
                guard lseek(fd, off_t(base), SEEK_SET) == off_t(base) else {
                    throw InputError(path: unit.path, message: String(cString: strerror(errno)))
                }
            }
        } else {
            source = try OpenedInput.open(unit.path).source
        }
        let readSize = 1 << 20
        var capacity = 2 * readSize
        var buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 16)
        defer { buffer.deallocate() }
        var lo = 0, hi = 0, scanned = 0
        var skipping = false
        func line(_ from: Int, _ to: Int) {
            acc.lines += 1
            if to > from { acc.add(UnsafeRawBufferPointer(rebasing: buffer[from..<to])) }
        }
        while true {
            while scanned < hi, let p = memchr(buffer.baseAddress! + scanned, 0x0A, hi - scanned) {
                let nl = buffer.baseAddress!.distance(to: p)
                if syncing {
                    syncing = false
                } else {
                    if base + Int64(lo) >= end { return }
                    if skipping { skipping = false; acc.lines += 1 } else { line(lo, nl) }
                }
                lo = nl + 1
                scanned = lo
            }
            scanned = hi
            if !syncing && base + Int64(lo) >= end { return }
            if syncing || skipping {
                base += Int64(hi); lo = 0; hi = 0; scanned = 0
            } else if hi - lo > maxLineBytes {
                acc.skip(line: acc.lines + 1, "line longer than \(maxLineBytes) bytes, skipped")
                skipping = true
                base += Int64(hi); lo = 0; hi = 0; scanned = 0
            }
            if lo > 0 {
                if hi > lo { memmove(buffer.baseAddress!, buffer.baseAddress! + lo, hi - lo) }
                base += Int64(lo); hi -= lo; scanned -= lo; lo = 0
            }
            if capacity - hi < readSize {
                // A long line: grow, up to the line bound plus one read.
                capacity *= 2
                let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 16)
                bigger.copyMemory(from: UnsafeRawBufferPointer(rebasing: buffer[0..<hi]))
                buffer.deallocate()
                buffer = bigger
            }
            let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[hi..<hi + readSize]))
            if n == 0 {
                if !syncing && !skipping && hi > lo { line(lo, hi) }
                if skipping { acc.lines += 1 }
                return
            }
            hi += n
        }
    }

    /// The local day `date` (YYYY-MM-DD) in `timeZone`, as [start, next day's start); nil for a date that does not
    /// exist (2026-13-01, 2026-02-30).
    package static func day(_ date: String, in timeZone: TimeZone) -> (Date, Date)? {
        guard date.utf8.count == 10, let start = localTime(date, in: timeZone) else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        guard let end = calendar.date(byAdding: .day, value: 1, to: calendar.startOfDay(for: start)) else { return nil }
        return (start, end)
    }

    /// A local `YYYY-MM-DD`, `YYYY-MM-DD HH:MM[:SS]` or `YYYY-MM-DDTHH:MM[:SS]` in `timeZone`; nil unless each
    /// field is in range for its month (no rolling 2026-13-01 over into 2027).
    package static func localTime(_ s: String, in timeZone: TimeZone) -> Date? {
        let b = Array(s.utf8)
        guard [10, 16, 19].contains(b.count), b[4] == 45, b[7] == 45 else { return nil }
        func num(_ from: Int, _ width: Int) -> Int? {
            var v = 0
            for c in b[from..<from + width] {
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            return v
        }
        guard let year = num(0, 4), let month = num(5, 2), let day = num(8, 2), (1...12).contains(month),
              day >= 1, day <= Timestamp.daysIn(month: month, year: year) else { return nil }
        var c = DateComponents(year: year, month: month, day: day, hour: 0, minute: 0, second: 0)
        if b.count > 10 {
            guard b[10] == 32 || b[10] == 84, b[13] == 58, let h = num(11, 2), let m = num(14, 2), h < 24, m < 60 else {
                return nil
            }
            c.hour = h; c.minute = m
            if b.count == 19 {
                guard b[16] == 58, let sec = num(17, 2), sec < 60 else { return nil }
                c.second = sec
            }
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return calendar.date(from: c)
    }

    /// Yesterday in `timeZone` as YYYY-MM-DD: what the daily timer reports on.
    package static func yesterday(now: Date = Date(), in timeZone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let d = calendar.date(byAdding: .day, value: -1, to: now)!
        let c = calendar.dateComponents([.year, .month, .day], from: d)
        return String(format: "%04d-%02d-%02d", c.year!, c.month!, c.day!)
    }
}

/// Results of the parallel reads, one slot per unit.
final class ReportResults: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Result<ReportAccumulator, InputError>?]
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ k: Int, _ r: Result<ReportAccumulator, InputError>) { lock.withLock { slots[k] = r } }
    func get(_ k: Int) -> Result<ReportAccumulator, InputError>? { lock.withLock { slots[k] } }
}

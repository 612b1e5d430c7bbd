import Foundation
import Testing
@testable import ConnwatchModel
@testable import ConnwatchEngine
@testable import ConnwatchPipeline

/// Collects what an input hands over, as the bytes `scan` would print.
final class EncodingSink: FindingSink {
    var bytes: [UInt8] = []
    var count = 0
    func accept(_ finding: Finding) { JSONLinesEncoder(lang: .en).encode(finding, into: &bytes); count += 1 }
    var shouldStop: Bool { false }
    func bufferEnded() {}

    var lines: [Substring] { String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false) }

    /// nil when both hold the same bytes, else the first line that differs (a short failure message).
    func firstDifference(from other: EncodingSink) -> String? {
        guard bytes != other.bytes else { return nil }
        let (a, b) = (lines, other.lines)
        let i = (0..<min(a.count, b.count)).first { a[$0] != b[$0] } ?? min(a.count, b.count)
        return "line \(i + 1): \(i < a.count ? String(a[i]) : "(end)") <> \(i < b.count ? String(b[i]) : "(end)")"
    }
}

/// `scan --journal DIR` on several threads (one sd_journal per file) against the single walk over the
/// directory, on journal files written by systemd-journal-remote whose entries interleave.
@Suite(.enabled(if: JournalFixture.available, "needs systemd-journal-remote (make test installs it)"))
struct JournalFileScanTests {
    func run(_ input: any Input) -> EncodingSink {
        let sink = EncodingSink()
        while input.read(into: sink) != .finished {}
        input.finish(into: sink)
        return sink
    }

    func singleWalk(_ dir: String) throws -> EncodingSink {
        let reader = try JournalReader(.directory(dir))
        reader.seekHead()
        return run(JournalStream(name: dir, journal: JournalInput(reader: reader, scanner: Scanner(JournalFixture.ruleSet)), descriptor: nil))
    }

    /// Files whose entries alternate in time (three writers of one boot, each its own sequence source), a
    /// file of another boot in the middle of their span, and one that follows them all.
    func interleavedJournal(entriesPerFile n: Int) throws -> String {
        let dir = try JournalFixture.directory()
        for (k, name) in ["a", "b", "c"].enumerated() {
            let entries = (0..<n).map { i in
                JournalFixture.Entry(message: (i + k) % 5 == 0 ? "\(name) \(i) AADSTS50020 failed" : "\(name) \(i) ok",
                                     unit: "\(name).service", identifier: name, pid: "\(10 + k)")
            }
            try JournalFixture.write(entries, to: "\(dir)/\(name).journal", first: k, step: 3)
        }
        let other = (0..<n / 2).map { i in JournalFixture.Entry(message: i % 3 == 0 ? "d \(i) Service timeout" : "d \(i) ok", pid: "99") }
        try JournalFixture.write(other, to: "\(dir)/d.journal", first: n, step: 2, boot: "fedcba9876543210fedcba9876543210")
        let last = (0..<n).map { i in JournalFixture.Entry(message: i % 4 == 0 ? "e \(i) AADSTS50020 failed" : "e \(i) ok") }
        try JournalFixture.write(last, to: "\(dir)/e.journal", first: 10 * n)
        return dir
    }

    @Test(.tags(.slow), .notInFastSet, arguments: [2, 3, 8])
    func parallelOutputIsTheSingleWalksByteForByte(threads: Int) throws {
        let dir = try interleavedJournal(entriesPerFile: 400)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let one = try singleWalk(dir)
        let scan = try JournalFileScan(name: dir, directory: dir, matches: [], ruleSet: JournalFixture.ruleSet, context: nil, threads: threads)
        let parallel = run(scan)
        // 3 x 80 + 67 + 100 entries with a finding.
        #expect(one.count == 407)
        // The single walk interleaves the files: the merge has something to get right.
        let firstLines = one.lines.prefix(12)
        #expect(Set(firstLines.compactMap { line in line.range(of: #""line":"[abc] "#, options: .regularExpression).map { String(line[$0]) } }).count == 3)
        #expect(parallel.count == one.count)
        #expect(parallel.firstDifference(from: one) == nil)
        #expect(scan.entriesRead == 3 * 400 + 200 + 400)
    }

    @Test func matchesApplyToEveryFile() throws {
        let dir = try interleavedJournal(entriesPerFile: 60)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let reader = try JournalReader(.directory(dir))
        try reader.addMatches(["SYSLOG_IDENTIFIER=b", "_PID=99"])
        reader.seekHead()
        let one = run(JournalStream(name: dir, journal: JournalInput(reader: reader, scanner: Scanner(JournalFixture.ruleSet)), descriptor: nil))
        let parallel = run(try JournalFileScan(name: dir, directory: dir, matches: ["SYSLOG_IDENTIFIER=b", "_PID=99"],
                                               ruleSet: JournalFixture.ruleSet, context: nil, threads: 2))
        #expect(one.count == 12 + 10)
        #expect(parallel.firstDifference(from: one) == nil)
        #expect(throws: JournalError.self) {
            try JournalFileScan(name: dir, directory: dir, matches: ["lower=case"], ruleSet: JournalFixture.ruleSet, context: nil, threads: 2)
        }
    }

    @Test func filesAreFoundAsLibsystemdFindsThem() throws {
        let dir = try JournalFixture.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let machine = dir + "/0123456789abcdef0123456789abcdef"
        try FileManager.default.createDirectory(atPath: machine, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir + "/not-a-machine", withIntermediateDirectories: true)
        try JournalFixture.write([.init(message: "x AADSTS50020 failed")], to: machine + "/system.journal")
        try JournalFixture.write([.init(message: "y AADSTS50020 failed")], to: dir + "/not-a-machine/y.journal", first: 1)
        try JournalFixture.write([.init(message: "z AADSTS50020 failed")], to: dir + "/z.journal", first: 2)
        try Data("not a journal".utf8).write(to: URL(fileURLWithPath: dir + "/broken.journal~"))
        try Data("ignored".utf8).write(to: URL(fileURLWithPath: dir + "/notes.txt"))
        #expect(JournalReader.files(inDirectory: dir) == [machine + "/system.journal", dir + "/broken.journal~", dir + "/z.journal"].sorted())
        // The broken file is left out, as the single walk leaves it out.
        let parallel = run(try JournalFileScan(name: dir, directory: dir, matches: [], ruleSet: JournalFixture.ruleSet, context: nil, threads: 2))
        #expect(parallel.count == 2)
        #expect(parallel.firstDifference(from: try singleWalk(dir)) == nil)
    }

    @Test func orderKeyFollowsLibsystemd() throws {
        func key(_ s: String, _ i: Int, _ b: String, _ m: Int, _ t: Int, _ x: Int = 0) -> JournalOrderKey {
            JournalOrderKey(cursor: "s=\(s);i=\(String(i, radix: 16));b=\(b);m=\(String(m, radix: 16));t=\(String(t, radix: 16));x=\(String(x, radix: 16))")!
        }
        // One sequence source: the sequence number decides, whatever the clocks say.
        #expect(key("s1", 1, "b1", 9, 9).precedes(key("s1", 2, "b1", 1, 1)))
        // Two sources, one boot: monotonic time.
        #expect(key("s1", 9, "b1", 1, 9).precedes(key("s2", 1, "b1", 2, 1)))
        // Two boots: wall-clock time; then the content hash.
        #expect(key("s1", 9, "b1", 9, 1).precedes(key("s2", 1, "b2", 1, 2)))
        #expect(key("s1", 1, "b1", 1, 1, 1).precedes(key("s2", 1, "b2", 1, 1, 2)))
        #expect(JournalOrderKey(cursor: "s=1;i=zz;b=2;m=1;t=1;x=1") == nil)
    }
}

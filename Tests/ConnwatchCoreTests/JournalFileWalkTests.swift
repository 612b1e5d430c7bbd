import Foundation
import Testing
@testable import ConnwatchModel
@testable import ConnwatchEngine
@testable import ConnwatchPipeline

/// A journal file read straight from the file (`JournalFileWalk`) against libsystemd's walk of the same file,
/// written by systemd-journal-remote in both layouts.
@Suite(.enabled(if: JournalFixture.available, "needs systemd-journal-remote (make test installs it)"))
struct JournalFileWalkTests {
    struct Seen: Equatable {
        var message: String?
        var cursor: String?
        var realtime: UInt64
        var unit: String?
        var identifier: String?
        var pid: String?
        var hostname: String?
        var absent: String?
    }

    func seen(_ r: any JournalEntries) -> Seen {
        Seen(message: r.message().map { String(decoding: $0, as: UTF8.self) }, cursor: r.cursor(), realtime: r.realtimeMicros(),
             unit: r.string("_SYSTEMD_UNIT"), identifier: r.string("SYSLOG_IDENTIFIER"), pid: r.string("_PID"),
             hostname: r.string("_HOSTNAME"), absent: r.string("NO_SUCH_FIELD"))
    }

    func everyEntry(_ r: any JournalEntries) -> [Seen] {
        var out: [Seen] = []
        while r.next() { out.append(seen(r)) }
        return out
    }

    /// Several units and processes (values shared between entries are stored once), and every 97th message
    /// long enough for the writer to store it compressed.
    func entries(_ n: Int, long: Bool = true) -> [JournalFixture.Entry] {
        (0..<n).map { i in
            let message = long && i % 97 == 5 ? "long \(i) AADSTS50020 " + String(repeating: "payload \(i) ", count: 120) : "entry \(i) ok"
            return JournalFixture.Entry(message: message, unit: "u\(i % 7).service", identifier: "id\(i % 3)", pid: "\(100 + i % 11)")
        }
    }

    func flags(_ path: String) throws -> UInt32 {
        let header = try Data(contentsOf: URL(fileURLWithPath: path)).prefix(16)
        return header.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 12, as: UInt32.self)) }
    }

    @Test(arguments: [true, false])
    func readsWhatLibsystemdReads(compact: Bool) throws {
        let dir = try JournalFixture.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/a.journal"
        try JournalFixture.write(entries(3000), to: path, environment: ["SYSTEMD_JOURNAL_COMPACT": compact ? "1" : "0"])
        #expect(try flags(path) & 16 == (compact ? 16 : 0), "the writer made the layout asked for")
        let sd = try JournalReader(.files([path]))
        sd.seekHead()
        let expected = everyEntry(sd)
        #expect(expected.count == 3000)
        let walk = try #require(JournalFileWalk(path: path))
        #expect(walk.compact == compact)
        let got = everyEntry(walk)
        #expect(got.count == expected.count)
        let firstDifference = zip(got, expected).enumerated().first { $0.element.0 != $0.element.1 }
        #expect(firstDifference == nil)
        // The long messages are stored compressed and were read through libsystemd.
        #expect(walk.fallback != nil)
        #expect(got[5].message?.hasPrefix("long 5 AADSTS50020 payload 5 ") == true)
        // At the end it stays on the last entry and steps back and on, as sd_journal does.
        #expect(!walk.next())
        #expect(walk.cursor() == expected.last?.cursor)
        #expect(walk.previous(10) == 10)
        #expect(seen(walk) == expected[2989])
        #expect(walk.next(4) == 4)
        #expect(seen(walk) == expected[2993])
        #expect(walk.next(100) == 6)
        #expect(seen(walk) == expected[2999])
    }

    @Test func aDamagedFileEndsTheWalkWhereItIsDamaged() throws {
        let dir = try JournalFixture.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/a.journal"
        try JournalFixture.write(entries(600), to: path)
        let sd = try JournalReader(.files([path]))
        sd.seekHead()
        let expected = everyEntry(sd)
        let original = try Data(contentsOf: URL(fileURLWithPath: path))

        // An entry object overwritten in the middle: the entries before it, then nothing.
        let entryOffset = try #require(JournalFileWalk(path: path)).entries[250]
        var damaged = original
        damaged[Int(entryOffset)] = 0
        try damaged.write(to: URL(fileURLWithPath: dir + "/damaged.journal"))
        let walk = try #require(JournalFileWalk(path: dir + "/damaged.journal"))
        #expect(everyEntry(walk) == Array(expected.prefix(250)))
        #expect(!walk.next())

        // A file cut short inside an entry (a copy stopped part way): the entries before it, never anything
        // else. Short messages only: libsystemd, which reads the compressed ones, refuses a cut file.
        try JournalFixture.write(entries(600, long: false), to: dir + "/short-messages.journal")
        let whole = try Data(contentsOf: URL(fileURLWithPath: dir + "/short-messages.journal"))
        let full = try #require(JournalFileWalk(path: dir + "/short-messages.journal"))
        let all = everyEntry(full)
        #expect(all.count == 600)
        for k in [450, 300, 100] {
            try whole.prefix(Int(full.entries[k]) + 40).write(to: URL(fileURLWithPath: dir + "/cut.journal"))
            let cut = try #require(JournalFileWalk(path: dir + "/cut.journal"))
            let got = everyEntry(cut)
            #expect(got.count <= k && got.count > 0)
            #expect(got == Array(all.prefix(got.count)))
        }

        // Not a journal file, or one too short for a header: not read by this reader.
        try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: dir + "/garbage.journal"))
        #expect(JournalFileWalk(path: dir + "/garbage.journal") == nil)
        try original.prefix(100).write(to: URL(fileURLWithPath: dir + "/short.journal"))
        #expect(JournalFileWalk(path: dir + "/short.journal") == nil)
        #expect(JournalFileWalk(path: dir + "/missing.journal") == nil)
    }

    /// `scan --journal DIR` on threads reads the files through the walk: the same bytes as libsystemd's single
    /// walk over the directory, long (compressed) messages with findings included.
    @Test func parallelScanThroughTheWalkIsTheSingleWalks() throws {
        let dir = try JournalFixture.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try JournalFixture.write(entries(500), to: dir + "/a.journal", first: 0, step: 2)
        try JournalFixture.write(entries(400), to: dir + "/b.journal", first: 1, step: 2, environment: ["SYSTEMD_JOURNAL_COMPACT": "0"])
        let sd = try JournalReader(.directory(dir))
        sd.seekHead()
        let one = EncodingSink()
        let single = JournalStream(name: dir, journal: JournalInput(reader: sd, scanner: Scanner(JournalFixture.ruleSet)), descriptor: nil)
        while single.read(into: one) != .finished {}
        let scan = try JournalFileScan(name: dir, directory: dir, matches: [], ruleSet: JournalFixture.ruleSet, context: nil, threads: 2)
        let parallel = EncodingSink()
        while scan.read(into: parallel) != .finished {}
        // Every 97th entry from the 5th of each file: a long AADSTS50020 message.
        #expect(one.count == 6 + 5)
        #expect(parallel.firstDifference(from: one) == nil)
        #expect(one.lines.contains { $0.contains(#""line":"long 5 AADSTS50020 payload 5 "#) })
    }
}

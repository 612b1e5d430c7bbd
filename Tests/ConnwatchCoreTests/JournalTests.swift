import Foundation
import Testing
@testable import ConnwatchModel
@testable import ConnwatchEngine
@testable import ConnwatchPipeline

/// Journal files written by the real systemd-journal-remote, read through the real libsystemd.
enum JournalFixture {
    static let remote = "/lib/systemd/systemd-journal-remote"
    static let boot = "0123456789abcdef0123456789abcdef"

    struct Entry {
        var message: String
        var unit = "connector.service"
        var identifier = "connector"
        var pid = "42"
    }

    /// Writes `entries` to `path`; timestamps rise from `first` by `step` so later files sort after earlier
    /// ones (or, with a step above 1, interleave with other files'). `environment` reaches the writer
    /// (SYSTEMD_JOURNAL_COMPACT=0: the regular layout instead of the compact one).
    static func write(_ entries: [Entry], to path: String, first: Int = 0, step: Int = 1, boot: String = boot,
                      environment: [String: String] = [:]) throws {
        var export = ""
        for (i, e) in entries.enumerated() {
            let n = first + i * step
            export += "__REALTIME_TIMESTAMP=\(1_763_700_000_000_000 + n * 1000)\n__MONOTONIC_TIMESTAMP=\(1_000_000 + n * 1000)\n"
            export += "_BOOT_ID=\(boot)\n_SYSTEMD_UNIT=\(e.unit)\nSYSLOG_IDENTIFIER=\(e.identifier)\n_PID=\(e.pid)\n_HOSTNAME=h1\n"
            export += "MESSAGE=\(e.message)\n\n"
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: remote)
        p.arguments = ["--output=\(path)", "-"]
        if !environment.isEmpty { p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let input = Pipe()
        p.standardInput = input
        p.standardError = FileHandle.nullDevice
        try p.run()
        input.fileHandleForWriting.write(Data(export.utf8))
        try input.fileHandleForWriting.close()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw JournalError("systemd-journal-remote exited \(p.terminationStatus)") }
    }

    static func directory() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cw-journal-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static let ruleSet: RuleSet = try! RuleSet.load(directories: [try! rulesDirectory([
        "apps.yaml": appsYAML, "codes.yaml": codesYAML, "aadsts.yaml": aadstsRuleYAML,
        "c.yaml": ruleYAML(id: "connector.timeout", patterns: ["Service timeout"]),
    ])])

    static var available: Bool { FileManager.default.isExecutableFile(atPath: remote) }
}

@Suite(.enabled(if: JournalFixture.available, "needs systemd-journal-remote (make test installs it)"))
struct JournalTests {
    func entries(_ n: Int, every: Int = 10) -> [JournalFixture.Entry] {
        (0..<n).map { i in JournalFixture.Entry(message: i % every == 0 ? "entry \(i) AADSTS50020 failed" : "entry \(i) ok") }
    }

    func drain(_ input: JournalInput) -> [Finding] {
        var out: [Finding] = []
        while input.poll(maxBytes: 4096, emit: { out.append($0) }) > 0 {}
        return out
    }

    @Test func readsEveryEntryWithItsOrigin() throws {
        let dir = try JournalFixture.directory()
        var list = entries(100)
        list[5] = .init(message: "Service timeout talking to box", unit: "box-sync.service", identifier: "boxsync", pid: "77")
        try JournalFixture.write(list, to: dir + "/a.journal")
        let reader = try JournalReader(.directory(dir))
        reader.seekHead()
        let input = JournalInput(reader: reader, scanner: Scanner(JournalFixture.ruleSet))
        let findings = drain(input)
        #expect(input.entriesRead == 100)
        #expect(findings.count == 11)
        let timeout = try #require(findings.first { $0.rule == "connector.timeout" })
        #expect(timeout.origin.unit == "box-sync.service")
        #expect(timeout.origin.identifier == "boxsync")
        #expect(timeout.origin.pid == "77")
        #expect(timeout.origin.hostname == "h1")
        #expect(timeout.origin.realtimeMicros == UInt64(1_763_700_000_000_000 + 5 * 1000))
        #expect(timeout.origin.cursor?.contains(";i=6;") == true)
        #expect(findings.filter { $0.rule == "aadsts.code" }.map(\.line).first == "entry 0 AADSTS50020 failed")
        #expect(Set(findings.compactMap(\.origin.cursor)).count == 11)
    }

    @Test func matchesAreORed() throws {
        let dir = try JournalFixture.directory()
        try JournalFixture.write([
            .init(message: "AADSTS50020 a", unit: "a.service", identifier: "a"),
            .init(message: "AADSTS50020 b", unit: "b.service", identifier: "b"),
            .init(message: "AADSTS50020 c", unit: "c.service", identifier: "c"),
        ], to: dir + "/a.journal")
        let reader = try JournalReader(.files([dir + "/a.journal"]))
        try reader.addMatches(["_SYSTEMD_UNIT=a.service", "SYSLOG_IDENTIFIER=c"])
        reader.seekHead()
        let findings = drain(JournalInput(reader: reader, scanner: Scanner(JournalFixture.ruleSet)))
        #expect(findings.map(\.line) == ["AADSTS50020 a", "AADSTS50020 c"])
        #expect(throws: JournalError.self) { try reader.addMatches(["not a match"]) }
    }

    @Test func resumesExactlyAfterTheCursor() throws {
        let dir = try JournalFixture.directory()
        try JournalFixture.write(entries(1000, every: 1), to: dir + "/a.journal")
        let first = try JournalReader(.directory(dir))
        first.seekHead()
        let a = JournalInput(reader: first, scanner: Scanner(JournalFixture.ruleSet))
        var seen: [String] = []
        for _ in 0..<3 { a.poll(maxBytes: 2000) { seen.append($0.line) } }
        let cursor = try #require(a.lastCursor)
        let second = try JournalReader(.directory(dir))
        #expect(second.seekAfter(cursor: cursor))
        let b = JournalInput(reader: second, scanner: Scanner(JournalFixture.ruleSet))
        seen += drain(b).map(\.line)
        #expect(seen.count == 1000, "0 lost, 0 repeated")
        #expect(Set(seen).count == 1000)
        #expect(seen.last == "entry 999 AADSTS50020 failed")
    }

    @Test func aVacuumedCursorIsReportedNotLooped() throws {
        let dir = try JournalFixture.directory()
        try JournalFixture.write(entries(10), to: dir + "/a.journal")
        let reader = try JournalReader(.directory(dir))
        let gone = "s=00000000000000000000000000000000;i=99;b=\(JournalFixture.boot);m=f4240;t=6441367fd8800;x=1"
        #expect(!reader.seekAfter(cursor: gone))
        #expect(!reader.seekAfter(cursor: "garbage"))
        reader.seekHead()
        #expect(drain(JournalInput(reader: reader, scanner: Scanner(JournalFixture.ruleSet))).count == 1)
    }

    @Test func followsANewJournalFileAppearing() throws {
        let dir = try JournalFixture.directory()
        try JournalFixture.write(entries(10), to: dir + "/a.journal")
        let reader = try JournalReader(.directory(dir))
        reader.seekHead()
        let input = JournalInput(reader: reader, scanner: Scanner(JournalFixture.ruleSet))
        #expect(drain(input).count == 1)
        let fd = try reader.descriptor()
        try JournalFixture.write([.init(message: "later AADSTS50020 in a new file")], to: dir + "/b.journal", first: 100)
        // Wait (bounded) for libsystemd's inotify descriptor, then let it pick the new file up.
        var pfd = pollfd(fd: fd, events: reader.events(), revents: 0)
        var later: [Finding] = []
        let deadline = Date().addingTimeInterval(5)
        while later.isEmpty && Date() < deadline {
            _ = poll(&pfd, 1, 200)
            reader.process()
            input.poll { later.append($0) }
        }
        #expect(later.map(\.line) == ["later AADSTS50020 in a new file"])
    }
}

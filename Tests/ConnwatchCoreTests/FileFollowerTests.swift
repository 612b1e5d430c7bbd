import Foundation
import Testing
@testable import ConnwatchModel
@testable import ConnwatchEngine
@testable import ConnwatchPipeline

/// Real files, real renames and truncations, real inotify.
@Suite struct FileFollowerTests {
    static let ruleSet: RuleSet = try! RuleSet.load(directories: [try! rulesDirectory([
        "r.yaml": ruleYAML(id: "connector.n", patterns: [#"HIT (?<n>\d+)"#]),
    ])])

    let dir: String = {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("cw-follow-\(UUID().uuidString)").path
        try! FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }()

    func follower(_ glob: String = "*.log", checkpoints: [FileCheckpoint] = [], startAtEnd: Bool = false,
                  timeout: Double = 5, rotateWait: Double = 5, seenThrough: Int64? = nil,
                  truncated: [TruncatedFile] = []) throws -> FileFollower {
        let f = try FileFollower(name: "t", patterns: [dir + "/" + glob], context: nil, scanner: Scanner(Self.ruleSet),
                                 partialLineTimeout: timeout, checkpoints: checkpoints, startAtEnd: startAtEnd,
                                 seenThrough: seenThrough, truncated: truncated)
        f.rotateWait = rotateWait
        return f
    }

    func append(_ name: String, _ text: String) {
        let fd = open(dir + "/" + name, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        _ = text.withCString { write(fd, $0, strlen($0)) }
        close(fd)
    }

    func pump(_ f: FileFollower) -> [String] {
        var out: [String] = []
        f.handleEvents()
        f.pump { out.append($0.field("n")!) }
        return out
    }

    @Test func growsAndSeesOnlyNewLines() throws {
        append("app.log", "HIT 1\nnothing\nHIT 2\n")
        let f = try follower()
        #expect(pump(f) == ["1", "2"])
        #expect(pump(f) == [])
        append("app.log", "HIT 3\n")
        #expect(pump(f) == ["3"])
    }

    @Test func startAtEndSkipsExistingContentOnFirstRunOnly() throws {
        append("app.log", "HIT 1\n")
        let f = try follower(startAtEnd: true)
        #expect(pump(f) == [])
        append("app.log", "HIT 2\n")
        #expect(pump(f) == ["2"])
        // A file created after start is read from its beginning.
        append("new.log", "HIT 3\n")
        #expect(pump(f) == ["3"])
    }

    @Test func partialLastLineIsHeldThenCompletedOrFlushed() throws {
        append("app.log", "HIT 1\nHIT 2")
        let f = try follower(timeout: 0.2)
        #expect(pump(f) == ["1"])
        #expect(f.nextDeadline() != nil)
        append("app.log", "0\n")
        #expect(pump(f) == ["20"])
        append("app.log", "HIT 3")
        #expect(pump(f) == [])
        var flushed: [String] = []
        f.flushStalePartialLines(now: Date().addingTimeInterval(0.1)) { flushed.append($0.field("n")!) }
        #expect(flushed.isEmpty, "not stale before the timeout")
        f.flushStalePartialLines(now: Date().addingTimeInterval(0.25)) { flushed.append($0.field("n")!) }
        #expect(flushed == ["3"])
        #expect(f.checkpoints.first?.offset == 18)
    }

    @Test func copytruncateStartsAgainAtZero() throws {
        append("app.log", "HIT 1\nHIT 2\n")
        let f = try follower()
        #expect(pump(f) == ["1", "2"])
        try FileManager.default.copyItem(atPath: dir + "/app.log", toPath: dir + "/app.log.1")
        truncate(dir + "/app.log", 0)
        append("app.log", "HIT 3\n")
        #expect(pump(f) == ["3"])
    }

    @Test func deleteAndRecreate() throws {
        append("app.log", "HIT 1\n")
        let f = try follower(rotateWait: 0)
        #expect(pump(f) == ["1"])
        append("app.log", "HIT 2\n")
        unlink(dir + "/app.log")
        append("app.log", "HIT 3\n")
        #expect(pump(f).sorted() == ["2", "3"], "the deleted file is read to its end, the new one from 0")
        #expect(f.openFiles == 1, "the deleted file was released (no grace period asked for)")
    }

    @Test func renamedNamesMatchingTheGlobAreNotReadTwice() throws {
        append("app.log", "HIT 1\n")
        let f = try follower("app.log*")
        #expect(pump(f) == ["1"])
        rename(dir + "/app.log", dir + "/app.log.1")
        append("app.log", "HIT 2\n")
        #expect(pump(f) == ["2"])
        #expect(pump(f) == [])
    }

    @Test func renameWhileStoppedNeitherRereadsNorSkips() throws {
        append("app.log", "HIT 1\nHIT 2\n")
        let first = try follower()
        #expect(pump(first) == ["1", "2"])
        let saved = first.checkpoints
        // Stopped: the writer adds a line, logrotate renames, the app writes to a new file.
        append("app.log", "HIT 3\n")
        rename(dir + "/app.log", dir + "/app.log.1")
        append("app.log", "HIT 4\n")
        let second = try follower("app.log*", checkpoints: saved, startAtEnd: true)
        #expect(pump(second).sorted() == ["3", "4"])
    }

    @Test func globPicksUpNewFilesAndDirectories() throws {
        let f = try FileFollower(name: "t", patterns: [dir + "/*/*.log"], context: nil, scanner: Scanner(Self.ruleSet),
                                 partialLineTimeout: 5, checkpoints: [], startAtEnd: false)
        #expect(pump(f) == [])
        try FileManager.default.createDirectory(atPath: dir + "/sub", withIntermediateDirectories: true)
        #expect(pump(f) == [])
        append("sub/x.log", "HIT 1\n")
        #expect(pump(f) == ["1"])
    }

    @Test func symlinksAreFollowed() throws {
        let other = dir + "-target"
        try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: true)
        let fd = open(other + "/real.txt", O_WRONLY | O_CREAT, 0o644); close(fd)
        symlink(other + "/real.txt", dir + "/link.log")
        let f = try follower()
        #expect(pump(f) == [])
        let w = open(other + "/real.txt", O_WRONLY | O_APPEND); _ = "HIT 7\n".withCString { write(w, $0, 6) }; close(w)
        #expect(pump(f) == ["7"])
    }

    @Test func tenMegabyteLineStaysBounded() throws {
        append("app.log", "HIT 1 " + String(repeating: "x", count: 10 << 20) + "\nHIT 2\n")
        let f = try follower()
        var findings: [Finding] = []
        f.handleEvents()
        f.pump { findings.append($0) }
        #expect(findings.map { $0.field("n") } == ["1", "2"])
        #expect(findings[0].truncated)
        #expect(findings[0].line.utf8.count == RuleSet.defaultMaxLineBytes)
    }

    /// A writer thread appends 1,000,000 numbered lines and rotates by rename in the middle of the burst;
    /// every line must be seen exactly once.
    @Test(.tags(.slow), .notInFastSet) func rotateByRenameMidBurstLosesNothing() throws {
        let total = Int(ProcessInfo.processInfo.environment["CW_ROTATE_LINES"] ?? "1000000")!
        let f = try follower("app.log")
        let path = dir + "/app.log"
        let writer = Thread {
            var fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            var batch = ""
            for i in 0..<total {
                batch += "HIT \(i)\n"
                if batch.utf8.count > 16_384 || i == total - 1 {
                    _ = batch.withCString { write(fd, $0, strlen($0)) }
                    batch = ""
                }
                if i == total / 2 {
                    _ = batch.withCString { write(fd, $0, strlen($0)) }
                    batch = ""
                    rename(path, path + ".1")
                    close(fd)
                    fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
                }
            }
            close(fd)
        }
        var seen = [UInt8](repeating: 0, count: total)
        var count = 0
        #expect(pump(f) == []) // following (watches set) before the first line is written
        writer.start()
        var pfd = pollfd(fd: f.inotify, events: Int16(POLLIN), revents: 0)
        // The debug build on a machine busy with other tests scans a few thousand lines a second: pumps stop
        // every 10,000 findings so that the deadline is looked at.
        let deadline = Date().addingTimeInterval(400)
        while count < total && Date() < deadline {
            if !f.unfinished { _ = poll(&pfd, 1, 100) }
            f.handleEvents()
            var batch = 0
            f.pump(emit: { finding in
                let n = Int(finding.field("n")!)!
                seen[n] &+= 1
                count += 1
                batch += 1
            }, shouldStop: { batch >= 10_000 })
        }
        #expect(count == total)
        #expect(seen.allSatisfy { $0 == 1 }, "every line exactly once")
        if let bad = seen.firstIndex(where: { $0 != 1 }) {
            print("first bad line \(bad) seen \(seen[bad]) times; missing \(seen.filter { $0 == 0 }.count), repeated \(seen.filter { $0 > 1 }.count)")
        }
    }
}

extension FileFollowerTests {
    @Test func openDescriptorsAreBoundedAndParkedFilesResume() throws {
        for i in 0..<20 { append("f\(i).log", "HIT \(i)\n") }
        let f = try follower()
        f.maxOpenFiles = 5
        #expect(pump(f).count == 20)
        #expect(f.openFiles == 5)
        // Parked files are not read again, and resume at their offset when they grow.
        #expect(pump(f) == [])
        append("f3.log", "HIT 103\n")
        append("f17.log", "HIT 117\n")
        #expect(pump(f).sorted() == ["103", "117"])
        #expect(f.openFiles <= 5)
        #expect(f.checkpoints.count == 20)
    }
}

extension FileFollowerTests {
    @Test func crlfAndInvalidUTF8WhileFollowing() throws {
        let f = try follower()
        #expect(pump(f) == [])
        let fd = open(dir + "/app.log", O_WRONLY | O_CREAT | O_APPEND, 0o644)
        let bytes: [UInt8] = Array("HIT 1\r\n".utf8) + [0xFF, 0xFE, 0x00] + Array(" HIT 2\r\n".utf8)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        var findings: [Finding] = []
        f.handleEvents()
        f.pump { findings.append($0) }
        #expect(findings.map { $0.field("n") } == ["1", "2"])
        #expect(findings.map(\.line) == ["HIT 1", "\u{FFFD}\u{FFFD}\u{0} HIT 2"])
    }
}

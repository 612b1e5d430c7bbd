import Foundation
import Testing
@testable import ConnwatchModel
@testable import ConnwatchEngine
@testable import ConnwatchPipeline

/// The follower under rotation, restarts (a new follower from the old one's checkpoints), truncation, inode
/// reuse, directories that come and go, and more files than descriptors: real files, real renames, real inotify.
/// Every line carries a unique number; each test counts how often each number was found.
@Suite struct FileRotationTests {
    let t = FileFollowerTests()
    var dir: String { t.dir }

    /// Findings per line number.
    final class Tally {
        var seen: [Int: Int] = [:]
        var origins: [(n: Int, inode: UInt64?, line: String)] = []
        func add(_ finding: Finding) {
            let n = Int(finding.field("n")!)!
            seen[n, default: 0] += 1
            origins.append((n, finding.origin.inode, finding.line))
        }
        /// The first few (a failure message stays readable).
        func lost(_ range: Range<Int>) -> [Int] { Array(range.lazy.filter { self.seen[$0] == nil }.prefix(10)) }
        var repeated: [Int] { Array(seen.filter { $0.value > 1 }.map(\.key).sorted().prefix(10)) }
        func lostCount(_ range: Range<Int>) -> Int { range.filter { seen[$0] == nil }.count }
    }

    func pump(_ f: FileFollower, _ tally: Tally, shouldStop: () -> Bool = { false }) {
        f.handleEvents()
        f.pump(emit: tally.add, shouldStop: shouldStop)
    }

    /// Pumps as the daemon waits (for an event or the follower's next deadline) until `done`, 10 s at most.
    func pumpAsTheDaemonDoes(_ f: FileFollower, _ tally: Tally, until done: () -> Bool) {
        let until = Date().addingTimeInterval(10)
        while !done() && Date() < until {
            var pfd = pollfd(fd: f.inotify, events: Int16(POLLIN), revents: 0)
            _ = poll(&pfd, 1, Int32((f.nextDeadline() ?? 0.1) * 1000) + 1)
            pump(f, tally)
        }
    }

    func lines(_ r: Range<Int>) -> String { r.map { "HIT \($0)\n" }.joined() }

    /// Waits until the clock of file times has ticked past `name`'s birth: a listing from now on is certainly
    /// later (within the same tick the follower cannot tell, and takes the safe side).
    func tickPast(_ name: String) {
        let born = FileIdentity.birth(path: dir + "/" + name) ?? 0
        while FileIdentity.fileClockNow() <= born { usleep(1000) }
    }

    func inode(_ name: String) -> UInt64 {
        var st = stat()
        return stat(dir + "/" + name, &st) == 0 ? UInt64(st.st_ino) : 0
    }

    /// logrotate / RotatingFileHandler numbering: app.log → app.log.1 → app.log.2 … with `app.log*` in the glob.
    func rotateNumbered(keep: Int) {
        unlink(dir + "/app.log.\(keep)")
        for i in stride(from: keep - 1, through: 1, by: -1) { rename(dir + "/app.log.\(i)", dir + "/app.log.\(i + 1)") }
        rename(dir + "/app.log", dir + "/app.log.1")
    }

    @Test func numberedRotationInTheGlobNeverRereads() throws {
        let f = try t.follower("app.log*")
        let tally = Tally()
        var n = 0
        for round in 0..<30 {
            t.append("app.log", lines(n..<(n + 10))); n += 10
            // Pump on some rounds only: renames also happen while unread lines wait.
            if round % 3 != 1 { pump(f, tally) }
            rotateNumbered(keep: 4)
        }
        t.append("app.log", lines(n..<(n + 10))); n += 10
        pump(f, tally)
        pump(f, tally)
        // Lines of files deleted (rotated past app.log.4) before they were read are lost: they were never
        // pumped while present. Everything else exactly once.
        #expect(tally.repeated.isEmpty, "repeated: \(tally.repeated.prefix(10))")
        #expect(tally.lost(0..<n).isEmpty, "lost: \(tally.lost(0..<n).prefix(10))")
    }

    @Test func dateextRotationInTheGlobNeverRereads() throws {
        let f = try t.follower("app.log*")
        let tally = Tally()
        var n = 0
        for day in 1...20 {
            t.append("app.log", lines(n..<(n + 25))); n += 25
            if day % 4 != 0 { pump(f, tally) }
            rename(dir + "/app.log", dir + "/app.log-202612\(String(format: "%02d", day))")
        }
        t.append("app.log", lines(n..<(n + 25))); n += 25
        pump(f, tally)
        #expect(tally.repeated.isEmpty)
        #expect(tally.lost(0..<n).isEmpty)
    }

    /// A file that drops out of the glob for one look (renamed between a listing and a stat, or renamed out
    /// and back) keeps its position.
    @Test func fileLeavingTheGlobForOneLookKeepsItsPosition() throws {
        let f = try t.follower("app.log*")
        let tally = Tally()
        t.append("app.log", lines(0..<5))
        pump(f, tally)
        rename(dir + "/app.log", dir + "/elsewhere")
        pump(f, tally)
        rename(dir + "/elsewhere", dir + "/app.log.1")
        t.append("app.log.1", lines(5..<8))
        pump(f, tally)
        #expect(tally.seen == Dictionary(uniqueKeysWithValues: (0..<8).map { ($0, 1) }))
        #expect(f.checkpoints.count == 1)
    }

    /// logrotate `create`: the application writes to the renamed file for a while before it reopens.
    @Test func lateWritesToARotatedFileAreReadDuringTheGracePeriod() throws {
        let f = try t.follower("app.log", rotateWait: 0.6)
        let tally = Tally()
        let writer = open(dir + "/app.log", O_WRONLY | O_CREAT | O_APPEND, 0o644)
        defer { close(writer) }
        func write(_ s: String) { _ = s.withCString { Glibc.write(writer, $0, strlen($0)) } }
        write(lines(0..<3))
        tickPast("app.log")
        pump(f, tally)
        rename(dir + "/app.log", dir + "/app.log.1")
        t.append("app.log", lines(100..<102))   // the new file
        pump(f, tally)
        write(lines(3..<6))                      // late writer, still on the renamed file
        pump(f, tally)
        #expect(tally.lost(0..<6).isEmpty && tally.lost(100..<102).isEmpty)
        #expect(f.openFiles == 2, "the rotated file is kept open during the grace period")
        let deadline = try #require(f.nextDeadline())
        #expect(deadline <= 0.6)
        write(lines(6..<7))                      // written just before the grace period ends: still read
        f.pump(clock: { Date().addingTimeInterval(deadline + 0.05) }, emit: tally.add)
        #expect(tally.seen[6] == 1, "drained at the end of the grace period")
        #expect(f.openFiles == 1, "released after the grace period")
        #expect(f.checkpoints.count == 1)
        #expect(tally.repeated.isEmpty)
    }

    /// Stopped, the file is renamed out of the glob: the next start finds it in its directory and drains it.
    @Test func renamedOutOfTheGlobWhileStoppedIsFoundAndDrained() throws {
        let first = try t.follower("app.log")
        let tally = Tally()
        t.append("app.log", lines(0..<10))
        tickPast("app.log")
        pump(first, tally)
        let saved = first.checkpoints
        t.append("app.log", lines(10..<20))      // unread when connwatch stops
        rename(dir + "/app.log", dir + "/app.log-20261201")
        t.append("app.log", lines(20..<30))
        let second = try t.follower("app.log", checkpoints: saved, startAtEnd: true, rotateWait: 0)
        pump(second, tally)
        #expect(tally.lost(0..<30).isEmpty)
        #expect(tally.repeated.isEmpty)
        #expect(second.checkpoints.map(\.path) == [dir + "/app.log"], "the drained file was let go")
    }

    /// Numbered rotation with a glob naming only the live file: a file renamed out (app.log → app.log.1) is
    /// renamed again (→ app.log.2) before any rescan looked: followed through its renames by their events.
    @Test func renamedOutAndRenamedAgainBeforeALookIsRead() throws {
        let f = try t.follower("app.log", rotateWait: 0)
        let tally = Tally()
        pump(f, tally)
        var n = 0
        for _ in 0..<6 {
            t.append("app.log", lines(n..<(n + 10))); n += 10
            rotateNumbered(keep: 9)
        }
        t.append("app.log", lines(n..<(n + 10))); n += 10
        pump(f, tally)
        pump(f, tally)
        #expect(tally.lost(0..<n).isEmpty)
        #expect(tally.repeated.isEmpty)
    }

    /// More events than the inotify queue holds (fs.inotify.max_queued_events, 16384 by default) while the
    /// follower does not read: the overflow is noticed, and the rotated files created and renamed away meanwhile
    /// are found by a sweep of the directory (born after the last complete listing). Neither a rotated file
    /// from before (already known) nor another application's file nor a compressed one is read.
    @Test func inotifyQueueOverflowIsRecoveredBySweep() throws {
        t.append("other.log", lines(900_000..<900_002))
        t.append("app.log.old", lines(900_002..<900_004))   // a rotated name, there before the first look
        tickPast("app.log.old")
        let f = try t.follower("app.log", rotateWait: 0)
        let tally = Tally()
        pump(f, tally)
        #expect(f.files.count == 0)
        let limit = Int((try? String(contentsOfFile: "/proc/sys/fs/inotify/max_queued_events", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 16384
        var n = 0, rotation = 0
        // Each rotation queues about five events (create, modify, close, the rename's two).
        while rotation * 4 < limit + 1000 {
            t.append("app.log", lines(n..<(n + 2))); n += 2
            rotation += 1
            rename(dir + "/app.log", dir + "/app.log.\(rotation)")
        }
        t.append("app.log", lines(n..<(n + 2))); n += 2
        t.append("app.log.9.gz", lines(900_004..<900_006))
        t.append("other.log", lines(900_006..<900_008))
        pump(f, tally)
        pump(f, tally)
        #expect(f.overflows > 0, "the queue overflowed (\(rotation) rotations)")
        #expect(tally.lostCount(0..<n) == 0, "lost: \(tally.lost(0..<n))")
        #expect(tally.repeated.isEmpty)
        #expect(tally.seen.keys.allSatisfy { $0 < n }, "only the rotated files were read")
    }

    /// Stopped, the application rotates (dateext) twice with a glob naming only app.log: the file that was
    /// created and renamed away while connwatch was stopped is found at the next start (born after the saved
    /// listing moment), the known one resumed, an older rotated file not read. Rotated names as logrotate gives
    /// them: `dateext` (app.log-DATE), `dateext` with `extension .log` (app-DATE.log), and a date after a dot.
    @Test(arguments: ["app.log-DATE", "app-DATE.log", "app.log.DATE"])
    func fileCreatedAndRotatedAwayWhileStoppedIsFound(rotatedName: String) throws {
        func rotated(_ date: Int) -> String { rotatedName.replacingOccurrences(of: "DATE", with: "\(date)") }
        t.append(rotated(20261130), lines(900_000..<900_002))
        tickPast(rotated(20261130))
        let first = try t.follower("app.log")
        let tally = Tally()
        t.append("app.log", lines(0..<10))
        pump(first, tally)
        let saved = first.checkpoints
        let seen = try #require(first.seenThroughNanoseconds)
        t.append("app.log", lines(10..<20))
        rename(dir + "/app.log", dir + "/" + rotated(20261201))
        t.append("app.log", lines(20..<30))
        rename(dir + "/app.log", dir + "/" + rotated(20261202))
        t.append("app.log", lines(30..<40))
        let second = try t.follower("app.log", checkpoints: saved, rotateWait: 0, seenThrough: seen)
        pump(second, tally)
        pump(second, tally)
        #expect(tally.lost(0..<40).isEmpty)
        #expect(tally.repeated.isEmpty)
        #expect(tally.seen[900_000] == nil, "rotated before the saved listing: not ours to read")
    }

    /// A drained rotated file born after the last complete listing is kept known until a later listing: a sweep
    /// at a restart from those checkpoints does not read it again.
    @Test func drainedFileBornAfterTheLastListingIsNotReadAgainBySweep() throws {
        let f = try t.follower("app.log", rotateWait: 0)
        let tally = Tally()
        pump(f, tally)
        t.append("app.log", lines(0..<10))
        rename(dir + "/app.log", dir + "/app.log.1")
        t.append("app.log", lines(10..<20))
        pump(f, tally)     // the rename's events adopt app.log.1 (born after the listing that started this pump)
        pump(f, tally)
        let second = try t.follower("app.log", checkpoints: f.checkpoints, rotateWait: 0, seenThrough: f.seenThroughNanoseconds)
        pump(second, tally)
        #expect(tally.lost(0..<20).isEmpty)
        #expect(tally.repeated.isEmpty)
    }

    /// Fluent Bit's rotate_link scenario: the glob names a symlink (app.log → app-1.log), and rotation points it
    /// at a new file (a new link renamed over the old one, as `ln -sfn` with a temporary name does). The old
    /// target is read to its end (also what is written to it after the switch, within `rotate_wait`), the new
    /// one from its start.
    @Test func symlinkRepointedToANewFileIsRotation() throws {
        let f = try t.follower("app.log", rotateWait: 0.3)
        let tally = Tally()
        t.append("app-1.log", lines(0..<10))
        symlink(dir + "/app-1.log", dir + "/app.log")
        pump(f, tally)
        t.append("app-1.log", lines(10..<20))       // unread when the link moves
        t.append("app-2.log", lines(100..<110))
        symlink(dir + "/app-2.log", dir + "/app.log.tmp")
        rename(dir + "/app.log.tmp", dir + "/app.log")
        pump(f, tally)
        t.append("app-1.log", lines(20..<25))       // a late writer on the old target
        t.append("app-2.log", lines(110..<120))
        pumpAsTheDaemonDoes(f, tally) { f.files.count == 1 }
        #expect(f.files.count == 1, "the old target let go after rotate_wait")
        #expect(tally.lost(0..<25).isEmpty && tally.lost(100..<120).isEmpty)
        #expect(tally.repeated.isEmpty)
    }

    /// logrotate `olddir`: the followed file is renamed into a directory outside the glob (not watched). It is
    /// read to its end through its descriptor, a late writer's lines within `rotate_wait` included, then let go.
    @Test func renamedIntoAnotherDirectoryIsReadToItsEnd() throws {
        let f = try t.follower("app.log", rotateWait: 0.3)
        let tally = Tally()
        t.append("app.log", lines(0..<10))
        pump(f, tally)
        t.append("app.log", lines(10..<20))         // unread when it moves
        try FileManager.default.createDirectory(atPath: dir + "/old", withIntermediateDirectories: false)
        rename(dir + "/app.log", dir + "/old/app.log.1")
        t.append("old/app.log.1", lines(20..<25))   // a late writer
        t.append("app.log", lines(100..<110))
        pumpAsTheDaemonDoes(f, tally) { f.files.count == 1 && tally.seen.count == 35 }
        #expect(f.files.count == 1, "the moved file let go after rotate_wait")
        #expect(tally.lost(0..<25).isEmpty && tally.lost(100..<110).isEmpty)
        #expect(tally.repeated.isEmpty)
    }

    /// Deleted and created again with the same inode and the same fixed header (IIS/W3C): a new file. The
    /// reuse is made certain by giving the new file's inode to the old file's checkpoint.
    @Test(arguments: [true, false])
    func recreatedFileWithReusedInodeAndSameHeaderIsNew(withBirthTime: Bool) throws {
        let header = "#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n#Fields: date time s-ip cs-method cs-uri-stem\n"
        t.append("app.log", header + lines(0..<5))
        let first = try t.follower()
        let tally = Tally()
        pump(first, tally)
        var old = try #require(first.checkpoints.first)
        #expect(old.format == FileCheckpoint.currentFormat && !old.tail.isEmpty)
        unlink(dir + "/app.log")
        t.append("app.log", header + lines(100..<130))
        old.inode = inode("app.log")
        if !withBirthTime { old.birth = nil }
        let second = try t.follower(checkpoints: [old])
        pump(second, tally)
        #expect(tally.lost(100..<130).isEmpty, "the new file is read from its start")
    }

    /// The same file after a restart is recognised (birth time, first bytes and bytes before the offset agree).
    @Test func sameFileAfterRestartResumes() throws {
        t.append("app.log", lines(0..<5))
        let first = try t.follower()
        let tally = Tally()
        pump(first, tally)
        t.append("app.log", lines(5..<9))
        let second = try t.follower(checkpoints: first.checkpoints)
        pump(second, tally)
        #expect(tally.seen == Dictionary(uniqueKeysWithValues: (0..<9).map { ($0, 1) }))
    }

    /// copytruncate while reading is paused, and the application writes more than had been read before
    /// reading resumes: the new content is read from 0, not from the old offset.
    /// A partial line held when the truncation happens was written before it: scanned as a line, once.
    @Test(arguments: [false, true])
    func copytruncateWhilePausedIsNoticed(noticedWhilePaused: Bool) throws {
        let f = try t.follower("app.log")
        let tally = Tally()
        t.append("app.log", lines(0..<10) + "HIT 50")
        pump(f, tally)
        #expect(tally.seen[50] == nil, "held: no newline yet")
        // Paused (not pumped): copy, truncate, and the application writes past the old offset.
        try FileManager.default.copyItem(atPath: dir + "/app.log", toPath: dir + "/app.log.1")
        truncate(dir + "/app.log", 0)
        if noticedWhilePaused { f.noticeTruncation() }
        t.append("app.log", lines(1000..<1040))
        if noticedWhilePaused { f.noticeTruncation() }
        pump(f, tally)
        #expect(tally.lost(1000..<1040).isEmpty)
        #expect(tally.seen[50] == 1, "the held partial line is scanned at the truncation")
        #expect(tally.repeated.isEmpty)
    }

    /// copytruncate, then the application writes exactly as many bytes as had been read before connwatch looks
    /// (fixed-width lines): the size is the offset again, yet the file changed. Compared when its modification
    /// time moves, so the new lines are read without waiting for more (found by reloadKeepsPositionsAndCopies).
    @Test func truncatedAndRewrittenToTheSameSizeIsNoticed() throws {
        let f = try t.follower("app.log", rotateWait: 0)
        let tally = Tally()
        t.append("app.log", lines(10..<60))
        pump(f, tally)
        usleep(20_000)  // a later modification time than the first write's (the kernel's clock tick)
        truncate(dir + "/app.log", 0)
        t.append("app.log", lines(60..<110))
        pumpAsTheDaemonDoes(f, tally) { tally.lostCount(60..<110) == 0 }
        #expect(tally.lost(10..<110).isEmpty)
        #expect(tally.repeated.isEmpty)
    }

    /// The same for a file closed to keep descriptors bounded.
    @Test func copytruncateOfAClosedFileIsNoticed() throws {
        let f = try t.follower()
        f.maxOpenFiles = 1
        let tally = Tally()
        t.append("a.log", lines(0..<10))
        t.append("b.log", lines(10..<20))
        pump(f, tally)
        let closed = f.files.values.first { $0.handle == nil }!
        let name = (closed.path as NSString).lastPathComponent
        truncate(dir + "/" + name, 0)
        t.append(name, lines(2000..<2040))
        pump(f, tally)
        #expect(tally.lost(0..<20).isEmpty && tally.lost(2000..<2040).isEmpty)
        #expect(tally.repeated.isEmpty)
    }

    @Test(arguments: ["logs/*.log", "*/logs/*.log"])
    func directoryRemovedAndCreatedAgainIsWatchedAgain(glob: String) throws {
        let base = glob.hasPrefix("*") ? dir + "/app" : dir
        let logs = base + "/logs"
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
        let f = try t.follower(glob, rotateWait: 0)
        let tally = Tally()
        t.append(String(logs.dropFirst(dir.count + 1)) + "/a.log", lines(0..<3))
        pump(f, tally)
        for round in 1...3 {
            try FileManager.default.removeItem(atPath: glob.hasPrefix("*") ? base : logs)
            pump(f, tally)
            try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
            // Only an inotify event can tell the follower: wait for it as the daemon does.
            var pfd = pollfd(fd: f.inotify, events: Int16(POLLIN), revents: 0)
            #expect(poll(&pfd, 1, 2000) == 1, "round \(round): the new directory raised an event")
            pump(f, tally)
            t.append(String(logs.dropFirst(dir.count + 1)) + "/a.log", lines((round * 10)..<(round * 10 + 3)))
            #expect(poll(&pfd, 1, 2000) == 1, "round \(round): the new file raised an event")
            pump(f, tally)
        }
        #expect(tally.lost(0..<3).isEmpty)
        for round in 1...3 { #expect(tally.lost((round * 10)..<(round * 10 + 3)).isEmpty, "round \(round)") }
        #expect(tally.repeated.isEmpty)
    }

    /// A glob with a wildcard directory level: files that appear in a new subdirectory (created with its file at
    /// once, before connwatch watches it, as `mkdir -p` and a logger do) are found, at one and two new levels.
    @Test func newSubdirectoryWithItsFileIsFound() throws {
        let f = try t.follower("*/*/app.log", rotateWait: 0)
        let tally = Tally()
        try FileManager.default.createDirectory(atPath: dir + "/a/x", withIntermediateDirectories: true)
        t.append("a/x/app.log", lines(0..<3))
        pump(f, tally)
        try FileManager.default.createDirectory(atPath: dir + "/a/y", withIntermediateDirectories: true)
        t.append("a/y/app.log", lines(10..<13))
        try FileManager.default.createDirectory(atPath: dir + "/b/z", withIntermediateDirectories: true)
        t.append("b/z/app.log", lines(20..<23))
        pumpAsTheDaemonDoes(f, tally) { tally.lostCount(10..<13) == 0 && tally.lostCount(20..<23) == 0 }
        t.append("b/z/app.log", lines(30..<33))
        pumpAsTheDaemonDoes(f, tally) { tally.lostCount(30..<33) == 0 }
        #expect(tally.lost(0..<3).isEmpty && tally.lost(10..<13).isEmpty && tally.lost(20..<23).isEmpty && tally.lost(30..<33).isEmpty)
        #expect(tally.repeated.isEmpty)
    }

    /// A restart in the middle of a line longer than max_line_bytes: the rest of it is that line's tail.
    @Test func checkpointInsideAnOverlongLineRemembersTheTail() throws {
        let max = RuleSet.defaultMaxLineBytes
        t.append("app.log", lines(0..<2) + "HIT 2 " + String(repeating: "x", count: max * 3))
        let first = try t.follower()
        var findings: [Finding] = []
        first.handleEvents()
        first.pump { findings.append($0) }
        #expect(findings.map { $0.field("n") } == ["0", "1", "2"])
        let saved = first.checkpoints
        #expect(saved.first?.longLineTail == true)
        // The rest of the line, with text that would match, then two whole lines.
        t.append("app.log", String(repeating: "y", count: max) + " HIT 999\n" + lines(3..<5))
        let second = try t.follower(checkpoints: saved)
        let tally = Tally()
        pump(second, tally)
        #expect(tally.seen == [3: 1, 4: 1], "nothing from beyond max_line_bytes")
    }

    /// More files with a backlog than descriptors, and reading stopped often (as when findings wait for the
    /// outputs): every file is read to its end, without any new inotify event, never above the bound.
    @Test func moreFilesThanDescriptorsAreReadInTurns() throws {
        let files = 300
        for i in 0..<files { t.append("f\(i).log", lines((i * 10)..<(i * 10 + 10))) }
        let f = try t.follower()
        f.maxOpenFiles = 16
        let tally = Tally()
        var peak = 0
        var sinceStop = 0
        let emit: (Finding) -> Void = { tally.add($0); sinceStop += 1; peak = Swift.max(peak, f.openFiles) }
        f.handleEvents()
        var pumps = 0
        repeat {
            sinceStop = 0
            f.pump(emit: emit, shouldStop: { sinceStop >= 37 })
            pumps += 1
        } while f.unfinished && pumps < 10_000
        #expect(!f.unfinished)
        #expect(tally.lostCount(0..<(files * 10)) == 0)
        #expect(tally.repeated.isEmpty)
        #expect(peak <= 16 && f.openFiles <= 16)
        #expect(f.checkpoints.count == files)
        // They keep growing (round robin): still every line, still bounded.
        for i in 0..<files { t.append("f\(i).log", lines((10_000 + i)..<(10_001 + i))) }
        pump(f, tally)
        #expect(tally.lostCount(10_000..<(10_000 + files)) == 0)
        #expect(tally.repeated.isEmpty)
        #expect(peak <= 16)
    }

    /// Very fast rename rotation: every line found once, and its origin names the inode it was written to.
    @Test(.tags(.slow), .notInFastSet)
    func fastRenameRotationKeepsOriginsRight() throws {
        let total = 60_000
        let f = try t.follower("app.log", rotateWait: 1)
        let path = dir + "/app.log"
        #expect(f.checkpoints.isEmpty)
        f.pump { _ in }
        let writer = Thread {
            var fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            var st = stat()
            fstat(fd, &st)
            for i in 0..<total {
                let line = "HIT \(i) ino=\(st.st_ino)\n"
                _ = line.withCString { write(fd, $0, strlen($0)) }
                if i % 20 == 19 {
                    rename(path, path + ".\(i)")
                    close(fd)
                    fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
                    fstat(fd, &st)
                }
            }
            close(fd)
        }
        let tally = Tally()
        writer.start()
        var pfd = pollfd(fd: f.inotify, events: Int16(POLLIN), revents: 0)
        let deadline = Date().addingTimeInterval(60)
        while tally.seen.count < total && Date() < deadline {
            _ = poll(&pfd, 1, 100)
            pump(f, tally)
        }
        #expect(tally.lostCount(0..<total) == 0)
        #expect(tally.repeated.isEmpty)
        let wrong = tally.origins.filter { !$0.line.hasSuffix("ino=\($0.inode ?? 0)") }
        #expect(wrong.count == 0, "origin names another inode: \(wrong.prefix(3))")
    }

    @Test func checkpointFormatOneStillLoadsAndFormatTwoRoundTrips() throws {
        let v1 = #"{"path":"/var/log/a.log","device":2049,"inode":77,"offset":120,"fingerprint":"48495420310a"}"#
        let old = try JSONDecoder().decode(FileCheckpoint.self, from: Data(v1.utf8))
        #expect(old.format == 1 && old.offset == 120 && old.tail.isEmpty && old.birth == nil && !old.longLineTail && old.departed == nil)
        for departed in [true, false] {
            let now = FileCheckpoint(path: "/a", device: 1, inode: 2, offset: 3, fingerprint: "00", tail: "ff", birth: 5, longLineTail: true,
                                     departed: departed)
            let json = String(decoding: try JSONEncoder().encode(now), as: UTF8.self)
            #expect(json.contains(#""format":2"#) && json.contains(#""birth_ns":5"#) && json.contains(#""long_line_tail":true"#)
                    && json.contains(#""departed":\#(departed)"#))
            #expect(try JSONDecoder().decode(FileCheckpoint.self, from: Data(json.utf8)) == now)
        }
        let future = #"{"format":9,"path":"/a","device":1,"inode":2,"offset":3,"fingerprint":""}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(FileCheckpoint.self, from: Data(future.utf8)) }
    }

    /// The globs changed away from a file by a reload (a new follower from the old one's checkpoints, other
    /// patterns) and back by another: its checkpoint is carried over as it is while the globs leave it (the file is
    /// not read meanwhile, though rotate_wait is 0), and it is read on from there when they take it again. A file
    /// the old follower had seen depart, and an older checkpoint (no `departed`) under a rotated name, are still
    /// read to their end as rotated files.
    @Test func globsChangedAwayAndBackKeepTheCheckpoint() throws {
        t.append("app.log", lines(0..<10))
        let tally = Tally()
        let first = try t.follower("app.log")
        pump(first, tally)
        let read = try #require(first.checkpoints.first)
        #expect(read.departed == false)
        t.append("app.log", lines(10..<20))
        let away = try t.follower("other*.log", checkpoints: first.checkpoints, rotateWait: 0)
        pump(away, tally)
        pump(away, tally)
        #expect(tally.lostCount(10..<20) == 10, "read while the globs left it")
        #expect(away.checkpoints == [read])
        // Carried over a second reload while away.
        let again = try t.follower("other*.log", checkpoints: away.checkpoints, rotateWait: 0)
        pump(again, tally)
        let back = try t.follower("app.log", checkpoints: again.checkpoints)
        pump(back, tally)
        #expect(tally.lost(0..<20).isEmpty)
        #expect(tally.repeated.isEmpty)

        // Renamed out of the glob: departed, read to its end by the next follower whatever its globs.
        let r = try t.follower("rot.log")
        t.append("rot.log", lines(100..<110))
        pump(r, tally)
        t.append("rot.log", lines(110..<115))
        rename(dir + "/rot.log", dir + "/rot.log.1")
        r.handleEvents()
        r.needsRescan = true
        r.rescan()
        let departed = try #require(r.checkpoints.first { $0.path.hasSuffix("/rot.log.1") })
        #expect(departed.departed == true)
        var old = departed
        old.departed = nil
        for c in [departed, old] {
            let next = try t.follower("rot.log", checkpoints: [c], rotateWait: 0)
            let before = tally.seen
            pumpAsTheDaemonDoes(next, tally) { tally.lostCount(110..<115) == 0 }
            #expect(tally.lost(100..<115).isEmpty)
            tally.seen = before
        }
        #expect(tally.repeated.isEmpty)
    }

    /// A format-1 checkpoint (first bytes only) resumes the same file where it was.
    @Test func formatOneCheckpointResumes() throws {
        t.append("app.log", lines(0..<4))
        let first = try t.follower()
        let tally = Tally()
        pump(first, tally)
        let c = try #require(first.checkpoints.first)
        let v1 = FileCheckpoint(path: c.path, device: c.device, inode: c.inode, offset: c.offset, fingerprint: c.fingerprint, format: 1)
        t.append("app.log", lines(4..<6))
        pump(try t.follower(checkpoints: [v1]), tally)
        #expect(tally.seen == Dictionary(uniqueKeysWithValues: (0..<6).map { ($0, 1) }))
    }
}

import Foundation
import Testing

/// `connwatch run` with a file input and a findings file, under the rotation, restart and many-file scenarios
/// of issue 10 (as Vector's file source, Fluent Bit's in_tail rotation scripts and fail2ban's monitor tests run
/// them): real files, real renames, a writer process (Tests/integration/log_writer.py) running while the daemon
/// is signalled. Every line is an AADSTS error with a unique correlation id; each test counts written vs found
/// per id.
@Suite(.serialized) struct FileRotationCLITests {
    /// Lines written (the writer's manifest and the test's own appends) and findings per line.
    struct Score: CustomStringConvertible {
        var written: Int, found: Int, lost: Int, repeated: Int
        var description: String { "written \(written), found \(found), lost \(lost), repeated \(repeated)" }
    }

    static let findingsFile = "outputs:\n  file: {path: @DIR@/findings.json, fsync: interval}\n"

    func harness(_ paths: [String] = ["logs/app.log"], options: String = "", fsync: String = "interval") throws -> DaemonHarness {
        try DaemonHarness(extraConfig: Self.findingsFile.replacingOccurrences(of: "interval", with: fsync), paths: paths,
                          fileOptions: options)
    }

    /// The same line as log_writer.py's.
    static func line(_ n: Int, _ extra: String = "") -> String {
        "2026-12-01T10:00:00Z app[42]: MSAL error: AADSTS50126: Error validating credentials due to invalid username or password. Trace ID: 0f6c1f6e-3c2d-4b8e-9d55-0b3e5e2c7a00 Correlation ID: 00000000-0000-4000-8000-\(String(format: "%012d", n)) Timestamp: 2026-12-01 10:00:00Z\(extra)\n"
    }

    /// Appends lines and records them as written.
    func write(_ h: DaemonHarness, _ range: Range<Int>, to name: String = "app.log") {
        h.append(range.map { Self.line($0) }.joined(), to: name)
        record(h, range)
    }

    func record(_ h: DaemonHarness, _ range: Range<Int>) {
        let fd = open(h.dir + "/written", O_WRONLY | O_CREAT | O_APPEND, 0o644)
        _ = range.map { "\($0)\n" }.joined().withCString { Glibc.write(fd, $0, strlen($0)) }
        close(fd)
    }

    /// Starts log_writer.py in the logs directory.
    func writer(_ h: DaemonHarness, _ mode: String, _ args: [String]) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", root + "/Tests/integration/log_writer.py", mode, h.dir + "/logs", "--manifest", h.dir + "/written"] + args
        p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        try p.run()
        return p
    }

    func finish(_ p: Process, timeout: Double = 60) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if p.isRunning { p.terminate(); p.waitUntilExit(); return false }
        return p.terminationStatus == 0
    }

    func written(_ h: DaemonHarness) -> Set<Int> {
        Set(((try? String(contentsOfFile: h.dir + "/written", encoding: .utf8)) ?? "").split(separator: "\n").compactMap { Int($0) })
    }

    func found(_ h: DaemonHarness) -> [Int: Int] {
        var counts: [Int: Int] = [:]
        for o in jsonObjects(inFile: h.dir + "/findings.json") {
            if let id = o["correlation_id"] as? String, let n = Int(id.suffix(12)) { counts[n, default: 0] += 1 }
        }
        return counts
    }

    func score(_ h: DaemonHarness) -> Score {
        let w = written(h), f = found(h)
        return Score(written: w.count, found: f.count, lost: w.subtracting(f.keys).count,
                     repeated: f.values.reduce(0) { $0 + $1 - 1 })
    }

    /// Waits until every written line has been found (or the deadline passes).
    func waitAllFound(_ h: DaemonHarness, timeout: Double = 30) -> Bool {
        h.waitFor(timeout: timeout) { written(h).isSubset(of: found(h).keys) }
    }

    /// Started and following (the daemon logs "following" right after READY=1).
    func started(_ h: DaemonHarness, runs: Int) -> Bool {
        h.waitFor { h.logged().components(separatedBy: "info: following").count - 1 >= runs }
    }

    func report(_ name: String, _ s: Score, _ more: String = "") {
        print("scenario \(name): \(s)\(more.isEmpty ? "" : ", " + more)")
    }

    // MARK: rotation while running

    @Test(.tags(.slow), .notInFastSet, arguments: [("numbered", "logs/app.log*"), ("dateext", "logs/app.log*"), ("dateext", "logs/app.log")])
    func rotationWhileRunning(mode: String, glob: String) throws {
        let h = try harness([glob])
        try h.start()
        #expect(started(h, runs: 1))
        let w = try writer(h, mode, ["--lines", "3000", "--rate", "3000", "--every", "100"])
        #expect(finish(w))
        #expect(waitAllFound(h))
        #expect(h.stop().0 == 0)
        let s = score(h)
        report("\(mode) rotation, glob \(glob)", s)
        #expect(s.written == 3000 && s.lost == 0 && s.repeated == 0, "\(s)")
    }

    /// logrotate `create` + postrotate: the application writes to the renamed file for 300 ms before it reopens.
    @Test(.tags(.slow), .notInFastSet)
    func lateWritersAfterCreateRotation() throws {
        let h = try harness(["logs/app.log"])
        try h.start()
        #expect(started(h, runs: 1))
        let w = try writer(h, "late", ["--lines", "1500", "--rate", "2000", "--every", "300", "--late", "10", "--late-ms", "300"])
        #expect(finish(w))
        #expect(waitAllFound(h))
        #expect(h.stop().0 == 0)
        let s = score(h)
        report("create rotation with late writer, glob app.log", s)
        #expect(s.written == 1540 && s.lost == 0 && s.repeated == 0, "\(s)")
    }

    /// Rotated by rename while connwatch is stopped, the glob naming only app.log: the renamed file's unread
    /// tail is found in the directory and read.
    @Test(.tags(.slow), .notInFastSet)
    func renameRotationWhileStopped() throws {
        let h = try harness(["logs/app.log"])
        write(h, 0..<500)
        try h.start()
        #expect(waitAllFound(h))
        #expect(h.stop().0 == 0)
        write(h, 500..<1000)
        try FileManager.default.moveItem(atPath: h.dir + "/logs/app.log", toPath: h.dir + "/logs/app.log-20261201")
        write(h, 1000..<1500)
        try h.start()
        #expect(waitAllFound(h))
        #expect(h.stop().0 == 0)
        let s = score(h)
        report("rename rotation while stopped, glob app.log", s)
        #expect(s.written == 1500 && s.lost == 0 && s.repeated == 0, "\(s)")
    }

    /// Deleted and created again while stopped, with the same fixed header (IIS/W3C); ext4 usually hands the
    /// freed inode to the new file.
    @Test(.tags(.slow), .notInFastSet)
    func recreatedWithSameHeaderWhileStopped() throws {
        let h = try harness(["logs/app.log"])
        let header = "#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n#Fields: date time s-ip cs-method cs-uri-stem sc-status\n"
        h.append(header)
        write(h, 0..<200)
        try h.start()
        #expect(waitAllFound(h))
        #expect(h.stop().0 == 0)
        var st = stat()
        stat(h.dir + "/logs/app.log", &st)
        let oldInode = st.st_ino
        unlink(h.dir + "/logs/app.log")
        h.append(header)
        write(h, 1000..<1400)
        stat(h.dir + "/logs/app.log", &st)
        try h.start()
        #expect(waitAllFound(h))
        #expect(h.stop().0 == 0)
        let s = score(h)
        report("recreated with same header while stopped", s, "inode reused: \(st.st_ino == oldInode)")
        #expect(s.lost == 0 && s.repeated == 0, "\(s)")
    }

    // MARK: many files

    /// 2,000 files, each with a backlog when the daemon starts: every line found, descriptors bounded.
    @Test(.tags(.slow), .notInFastSet)
    func twoThousandFilesWithABacklog() throws {
        let h = try harness(["logs/*.log"], options: "    max_open_files: 256\n")
        for i in 0..<2000 { write(h, (i * 10)..<(i * 10 + 10), to: "f\(i).log") }
        let t = Date()
        try h.start()
        let pid = try #require(h.process?.processIdentifier)
        var peak = 0
        // The debug build writes about 1,000 findings/s (JSON encoding): 20,000 take 20-60 s, more on a machine
        // busy with other tests.
        let done = h.waitFor(timeout: 300) {
            peak = max(peak, openDescriptors(pid))
            return written(h).isSubset(of: found(h).keys)
        }
        let seconds = Date().timeIntervalSince(t)
        #expect(done)
        #expect(h.stop().0 == 0)
        let s = score(h)
        report("2000 files with a backlog", s, String(format: "all found in %.1f s, peak descriptors %d", seconds, peak))
        #expect(s.written == 20_000 && s.lost == 0 && s.repeated == 0, "\(s)")
        #expect(peak <= 256 + 32, "the bound (256 log files plus the daemon's own descriptors) holds")
    }

    /// 2,000 files written round-robin: with `max_open_files: 256` the bound holds at every sample; with a
    /// descriptor limit below `max_open_files` (prlimit on the running daemon) EMFILE lowers the bound, logged
    /// once, and nothing is lost.
    @Test(.tags(.slow), .notInFastSet, arguments: [false, true])
    func twoThousandFilesRoundRobin(limitDescriptors: Bool) throws {
        let h = try harness(["logs/*.log"], options: "    max_open_files: \(limitDescriptors ? 5000 : 256)\n")
        try h.start()
        #expect(started(h, runs: 1))
        let pid = try #require(h.process?.processIdentifier)
        if limitDescriptors {
            #expect(try run("/usr/bin/prlimit", ["--pid", "\(pid)", "--nofile=300:300"]).status == 0)
        }
        let w = try writer(h, "roundrobin", ["--lines", "8000", "--rate", "4000", "--files", "2000"])
        var peak = 0
        let done = h.waitFor(timeout: 120) {
            peak = max(peak, openDescriptors(pid))
            return !w.isRunning && written(h).count == 8000 && written(h).isSubset(of: found(h).keys)
        }
        #expect(done)
        #expect(finish(w))
        #expect(h.stop().0 == 0)
        let s = score(h)
        report("2000 files round-robin\(limitDescriptors ? ", RLIMIT_NOFILE 300, max_open_files 5000" : ", max_open_files 256")", s, "peak descriptors \(peak)")
        #expect(s.written == 8000 && s.lost == 0 && s.repeated == 0, "\(s)")
        if limitDescriptors {
            #expect(peak <= 300)
            #expect(h.logged().components(separatedBy: "out of file descriptors").count == 2, "logged once")
        } else {
            #expect(peak <= 256 + 32)
        }
    }

    // MARK: truncation, directories, long lines

    /// copytruncate while reading is paused (the findings file cannot grow: EFBIG), and the application writes
    /// more than had been read before space returns: what it wrote after the truncation is read.
    @Test(.tags(.slow), .notInFastSet)
    func copytruncateWhileReadingIsPaused() throws {
        let h = try harness(["logs/app.log"], fsync: "always")
        write(h, 0..<100)
        try h.start()
        let pid = try #require(h.process?.processIdentifier)
        #expect(waitAllFound(h))
        let size = (try FileManager.default.attributesOfItem(atPath: h.dir + "/findings.json")[.size] as? Int) ?? 0
        #expect(try run("/usr/bin/prlimit", ["--pid", "\(pid)", "--fsize=\(size + 300):"]).status == 0)
        write(h, 100..<110)
        #expect(h.waitFor { h.logged().contains("cannot write findings") })
        try FileManager.default.copyItem(atPath: h.dir + "/logs/app.log", toPath: h.dir + "/logs/app.log.1")
        truncate(h.dir + "/logs/app.log", 0)
        write(h, 1000..<1300)  // ~3x what had been read
        #expect(try run("/usr/bin/prlimit", ["--pid", "\(pid)", "--fsize=unlimited:"]).status == 0)
        #expect(waitAllFound(h, timeout: 40))
        #expect(h.stop().0 == 0)
        let s = score(h)
        report("copytruncate while reading is paused", s)
        #expect(s.lost == 0 && s.repeated == 0, "\(s)")
    }

    /// The log directory removed and created again (an application redeploy), three times.
    @Test(.tags(.slow), .notInFastSet)
    func logDirectoryRemovedAndCreatedAgain() throws {
        let h = try harness(["logs/*.log"])
        write(h, 0..<50)
        try h.start()
        #expect(waitAllFound(h))
        for round in 1...3 {
            try FileManager.default.removeItem(atPath: h.dir + "/logs")
            try FileManager.default.createDirectory(atPath: h.dir + "/logs", withIntermediateDirectories: false)
            write(h, (round * 100)..<(round * 100 + 50))
            #expect(waitAllFound(h, timeout: 10), "round \(round)")
        }
        #expect(h.stop().0 == 0)
        let s = score(h)
        report("log directory removed and created again", s)
        #expect(s.written == 200 && s.lost == 0 && s.repeated == 0, "\(s)")
    }

    /// A clean restart while a 10 MiB line is half written: the rest is that line's tail, not a new line.
    @Test(.tags(.slow), .notInFastSet)
    func restartInsideATenMegabyteLine() throws {
        let h = try harness(["logs/app.log"])
        write(h, 0..<5)
        let half = 5 << 20
        h.append(String(Self.line(5).dropLast()) + " " + String(repeating: "x", count: half))
        record(h, 5..<6)
        try h.start()
        #expect(waitAllFound(h))
        #expect(h.stop().0 == 0)
        // The rest of the line holds an error with another id, far beyond max_line_bytes: not a finding.
        h.append(String(repeating: "y", count: half) + " " + Self.line(999))
        write(h, 6..<10)
        try h.start()
        #expect(waitAllFound(h))
        #expect(h.stop().0 == 0)
        let s = score(h)
        report("clean restart inside a 10 MiB line", s, "finding from beyond max_line_bytes: \(found(h)[999] ?? 0)")
        #expect(found(h)[999] == nil)
        #expect(s.written == 10 && s.lost == 0 && s.repeated == 0, "\(s)")
    }

    // MARK: restarts under rotation

    /// 20 clean restarts (SIGTERM) while the application rotates: nothing lost, nothing repeated. With a glob
    /// that names only the live file, each file lives longer than a restart takes: a file created and rotated
    /// away entirely while connwatch is stopped is not seen (the README says so).
    @Test(.tags(.slow), .notInFastSet, arguments: [("numbered", "logs/app.log*", 150), ("dateext", "logs/app.log*", 150), ("dateext", "logs/app.log", 1200)])
    func sigtermLoopDuringRotation(mode: String, glob: String, every: Int) throws {
        let h = try harness([glob], options: "    rotate_wait: 1\n")
        try h.start()
        #expect(started(h, runs: 1))
        let w = try writer(h, mode, ["--lines", "6000", "--rate", "600", "--every", "\(every)"])
        for run in 2...21 {
            Thread.sleep(forTimeInterval: 0.3) // the restart interval: the writer goes on meanwhile
            #expect(h.stop(SIGTERM).0 == 0)
            try h.start()
            #expect(started(h, runs: run))
        }
        #expect(finish(w))
        #expect(waitAllFound(h))
        #expect(h.stop().0 == 0)
        let s = score(h)
        report("SIGTERM loop (20 restarts), \(mode) rotation, glob \(glob)", s)
        #expect(s.written == 6000 && s.lost == 0 && s.repeated == 0, "\(s)")
    }

    /// SIGKILL loop while the application rotates: nothing lost; repeats at most what was written in the last
    /// fsync interval (1 s) before each kill, rotated files never read again.
    @Test(.tags(.slow), .notInFastSet, arguments: [("numbered", "logs/app.log*", 100), ("dateext", "logs/app.log*", 100)])
    func sigkillLoopDuringRotation(mode: String, glob: String, every: Int) throws {
        let h = try harness([glob], options: "    rotate_wait: 1\n")
        let rate = 300.0
        try h.start()
        #expect(started(h, runs: 1))
        let w = try writer(h, mode, ["--lines", "3000", "--rate", "\(Int(rate))", "--every", "\(every)"])
        let kills = 10
        for run in 2...(kills + 1) {
            Thread.sleep(forTimeInterval: 0.8) // the kill interval: the writer goes on meanwhile
            _ = h.stop(SIGKILL)
            try h.start()
            #expect(started(h, runs: run))
        }
        #expect(finish(w))
        #expect(waitAllFound(h))
        #expect(h.stop().0 == 0)
        let s = score(h)
        let bound = Int(Double(kills) * rate * 1.5)
        report("SIGKILL loop (\(kills) kills), \(mode) rotation, glob \(glob)", s, "bound \(bound)")
        #expect(s.written == 3000 && s.lost == 0, "\(s)")
        // Known, open in issue 10: a kill can land before the rotated files' positions were checkpointed, and
        // numbered rotation then reads them again (one CI run: 5693 repeats of 3000 lines; other runs within bound).
        withKnownIssue("issue 10: SIGKILL during numbered rotation can repeat more than one checkpoint interval",
                       isIntermittent: true) {
            #expect(s.repeated <= bound, "\(s)")
        }
    }

    /// Thousands of renames a second, glob app.log: every line found once, and each finding's origin names the
    /// inode the line was written to.
    @Test(.tags(.slow), .notInFastSet)
    func veryFastRenameRotation() throws {
        let h = try harness(["logs/app.log"], options: "    rotate_wait: 1\n")
        try h.start()
        #expect(started(h, runs: 1))
        let w = try writer(h, "fastrename", ["--lines", "20000", "--rate", "200000", "--every", "5"])
        let t = Date()
        #expect(finish(w))
        let writeSeconds = Date().timeIntervalSince(t)
        // Known, open in issue 10: with only app.log in the glob, a file renamed away before it was ever opened can
        // be missed at thousands of renames a second (one CI run: 1565 of 20,000 lines lost; other runs none).
        let allFound = waitAllFound(h, timeout: 240) // 20,000 findings from 4,000 files: debug build, busy machine
        #expect(h.stop().0 == 0)
        let s = score(h)
        let objects = jsonObjects(inFile: h.dir + "/findings.json")
        let wrong = objects.filter { o in
            let inode = (o["origin"] as? [String: Any])?["inode"] as? Int
            return !((o["line"] as? String)?.hasSuffix("ino=\(inode ?? -1)") ?? false)
        }
        report("very fast rename rotation (4000 renames)", s, String(format: "%.0f renames/s, wrong origin inode: %d", 4000 / writeSeconds, wrong.count))
        #expect(s.written == 20_000 && s.repeated == 0, "\(s)")
        withKnownIssue("issue 10: lines lost under thousands of renames a second with glob app.log", isIntermittent: true) {
            #expect(allFound && s.lost == 0, "\(s)")
        }
        #expect(wrong.isEmpty)
    }
}

/// Descriptors the process holds now.
func openDescriptors(_ pid: Int32) -> Int {
    (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? 0
}

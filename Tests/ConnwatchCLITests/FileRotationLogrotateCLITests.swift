import Foundation
import Testing

/// The real logrotate run against a log the application writes while `connwatch run` follows it, some rotations
/// made while connwatch is stopped. logrotate's own race (lines written between its copy and its truncation are in
/// no file) is not connwatch's to recover: the lines to find are those the log files hold at the end (gzip files
/// inflated).
@Suite(.serialized) struct FileRotationLogrotateCLITests {
    let base = FileRotationCLITests()
    static let logrotate = "/usr/sbin/logrotate"

    /// Lines the writer adds to app.log between two rotations.
    static let linesPerRotation = 180

    /// Complete lines in a file now (0 when it is absent).
    func linesIn(_ path: String) -> Int {
        guard let data = FileManager.default.contents(atPath: path) else { return 0 }
        return data.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
    }

    /// Line numbers held by the log files now (gzip files inflated).
    func linesInFiles(_ h: DaemonHarness) throws -> Set<Int> {
        var numbers = Set<Int>()
        let logs = h.dir + "/logs"
        for name in try FileManager.default.contentsOfDirectory(atPath: logs) {
            let path = logs + "/" + name
            let text = name.hasSuffix(".gz") ? try run("/usr/bin/env", ["gzip", "-dc", path]).stdout
                                             : ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "")
            for line in text.split(separator: "\n") {
                guard let r = line.range(of: "00000000-0000-4000-8000-") else { continue }
                if let n = Int(line[r.upperBound...].prefix(12)) { numbers.insert(n) }
            }
        }
        return numbers
    }

    /// logrotate `copytruncate` 10 times (3 of them while connwatch is stopped) as the application writes 300
    /// lines/s. Without compression every line the files hold is found, once: the copies are read from where the
    /// log was read up to (also the lines written between connwatch's last read and the truncation), never from 0.
    /// With `compress` + `delaycompress` a copy is compressed at the next rotation, here about 0.6 s (180 lines)
    /// later: a copy connwatch knew is read on from its gzip copy, but one a busy debug build had not looked at by
    /// then is not read (compressed files are not followed), so only "nothing repeated" is asserted.
    @Test(.tags(.slow), .notInFastSet, .enabled(if: FileManager.default.isExecutableFile(atPath: logrotate), "logrotate is not installed"),
          arguments: [("logs/app.log*", false), ("logs/app.log", false), ("logs/app.log*", true), ("logs/app.log", true)])
    func copytruncate(glob: String, compress: Bool) throws {
        let h = try base.harness([glob], options: "    rotate_wait: 1\n")
        let conf = h.dir + "/logrotate.conf"
        try "\(h.dir)/logs/app.log {\n  copytruncate\n  rotate 50\n\(compress ? "  compress\n  delaycompress\n" : "")  missingok\n}\n"
            .write(toFile: conf, atomically: true, encoding: .utf8)
        try h.start()
        #expect(base.started(h, runs: 1))
        // Never renamed by the writer (every > lines): logrotate alone rotates.
        let w = try base.writer(h, "dateext", ["--lines", "2400", "--rate", "300", "--every", "100000"])
        var runs = 1
        for rotation in 0..<10 {
            // The rotation interval: app.log (truncated by the last rotation) holds ~180 new lines, 0.6 s of the
            // writer at 300 lines/s, or more when a loaded machine slowed this loop down; restarts take lines too,
            // so the last rotations may come after the writer is done.
            #expect(h.waitFor(timeout: 30) { linesIn(h.dir + "/logs/app.log") >= Self.linesPerRotation || !w.isRunning })
            let stopped = rotation % 3 == 2
            if stopped { #expect(h.stop().0 == 0) }
            let r = try run(Self.logrotate, ["-s", h.dir + "/logrotate.state", "-f", conf])
            #expect(r.status == 0, "\(r.stderr)")
            if stopped {
                try h.start()
                runs += 1
                #expect(base.started(h, runs: runs))
            }
        }
        #expect(base.finish(w))
        let present = try linesInFiles(h)
        let done = h.waitFor(timeout: 60) { present.isSubset(of: base.found(h).keys) }
        #expect(h.stop().0 == 0)
        let found = base.found(h)
        let s = base.score(h)
        let missing = present.subtracting(found.keys)
        let repeatedLines = found.filter { $0.value > 1 }.keys.sorted()
        base.report("logrotate copytruncate\(compress ? "+compress+delaycompress" : "") (10 rotations, 3 while stopped), glob \(glob)", s,
                    "in the files \(present.count), of them not found \(missing.count) \(missing.sorted().prefix(5)), repeated \(repeatedLines.prefix(5))")
        if !compress { #expect(done && missing.isEmpty, "\(s)") }
        // A copy held or waiting at a stop (SIGTERM) was read again from 0 after the restart (170-240 lines, in 3
        // of about 60 runs under load): its checkpoint now says it is not compared yet, and what was read of its
        // truncated original is saved beside it (FileRotationCopyTests covers it deterministically).
        #expect(s.repeated == 0, "\(s)")
        #expect(Set(found.keys).isSubset(of: base.written(h)))
    }
}

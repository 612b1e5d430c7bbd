import Foundation
import Testing

/// `connwatch scan --journal DIR` reads each journal file on its own thread (`--threads`, default the online
/// CPUs) and writes the same bytes as the single walk of `--threads 1`, on files written by the real
/// systemd-journal-remote whose entries interleave in time.
@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: "/lib/systemd/systemd-journal-remote"),
                "needs systemd-journal-remote (make test installs it)"))
struct ParallelJournalScanCLITests {
    /// One journal file of `count` entries stamped `first`, `first + step`, …; every `every`-th an error.
    func writeJournal(_ path: String, count: Int, first: Int, step: Int, identifier: String, every: Int) throws {
        var export = ""
        for i in 0..<count {
            let n = first + i * step
            export += "__REALTIME_TIMESTAMP=\(1_763_700_000_000_000 + n * 1000)\n__MONOTONIC_TIMESTAMP=\(1_000_000 + n * 1000)\n"
            export += "_BOOT_ID=0123456789abcdef0123456789abcdef\n_SYSTEMD_UNIT=\(identifier).service\nSYSLOG_IDENTIFIER=\(identifier)\n"
            export += "_PID=\(100 + step)\nMESSAGE=\(i % every == 0 ? errorLine : quietLine) #\(identifier)\(i)\n\n"
        }
        let result = try run("/lib/systemd/systemd-journal-remote", ["--output=\(path)", "-"], stdin: Data(export.utf8))
        #expect(result.status == 0, "systemd-journal-remote: \(result.stderr)")
    }

    @Test(.tags(.slow), .notInFastSet)
    func threadsWriteTheSingleWalksBytes() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cw-jpar-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Three writers alternating in time, then one after them.
        for (k, name) in ["a", "b", "c"].enumerated() {
            try writeJournal("\(dir)/\(name).journal", count: 300, first: k, step: 3, identifier: name, every: 4 + k)
        }
        try writeJournal("\(dir)/d.journal", count: 200, first: 2000, step: 1, identifier: "d", every: 5)
        let args = ["scan", "--format", "json", "--no-throttle", "--journal", dir]
        let one = try connwatch(args + ["--threads", "1"])
        #expect(one.status == 0, "\(one.stderr)")
        let lines = one.stdout.split(separator: "\n")
        #expect(lines.count == 75 + 60 + 50 + 40)
        // The single walk interleaves the writers: the parallel merge has something to get right.
        let writers = lines.prefix(12).compactMap { line in line.range(of: #"#[abc]"#, options: .regularExpression).map { String(line[$0]) } }
        #expect(Set(writers).count == 3)
        for threads in ["2", "4"] {
            let parallel = try connwatch(args + ["--threads", threads])
            #expect(parallel.status == 0, "\(parallel.stderr)")
            #expect(parallel.stdout == one.stdout, "--threads \(threads)")
        }
        // The default (online CPUs) too, and a match applies to every file.
        #expect(try connwatch(args).stdout == one.stdout)
        let onlyB = try connwatch(args + ["--match", "SYSLOG_IDENTIFIER=b", "--threads", "2"])
        #expect(onlyB.stdout == (try connwatch(args + ["--match", "SYSLOG_IDENTIFIER=b", "--threads", "1"])).stdout)
        #expect(onlyB.stdout.split(separator: "\n").count == 60)
        let bad = try connwatch(args + ["--match", "lower=case", "--threads", "2"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("invalid journal match 'lower=case'"))
    }
}

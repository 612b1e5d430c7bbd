import Foundation
import Testing

/// `connwatch scan --threads N` writes the same bytes as `--threads 1` (the `time` stamp aside): files, a gzip
/// file, standard input and a gzip stream on a pipe of the benchmark corpus, with the shipped rules.
@Suite struct ParallelScanCLITests {
    /// The output without each finding's `time` (when it was written, the one thing that differs).
    func withoutTime(_ s: String) -> String {
        s.replacingOccurrences(of: #""time":"[^"]*","#, with: "", options: .regularExpression)
    }

    @Test(.tags(.slow), .notInFastSet)
    func sameOutputAsOneThread() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cw-par-cli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let plain = dir + "/corpus.log", other = dir + "/other.log"
        #expect(try run("/usr/bin/env", ["python3", root + "/Benchmarks/gen-corpus.py", plain, "3", "--seed", "3", "--error-rate", "0.01"]).status == 0)
        #expect(try run("/usr/bin/env", ["python3", root + "/Benchmarks/gen-corpus.py", other, "1", "--seed", "4", "--error-rate", "0.01"]).status == 0)
        #expect(try run("/bin/sh", ["-c", "gzip -c \"$0\" > \"$0.gz\"", other]).status == 0)
        // Line by line and grouping multi-line events (the corpus has Java stack traces; its findings are on single lines).
        for grouping in [[], ["--multiline", "auto"]] {
            let args = ["scan", "--format", "json", "--no-throttle"] + grouping + [plain, other + ".gz", dir + "/missing.log", other]
            let one = try connwatch(args + ["--threads", "1"])
            #expect(one.status == 2, "a missing input is an error: \(one.stderr)")
            #expect(one.stderr.contains("missing.log: No such file or directory"))
            let lines = one.stdout.split(separator: "\n")
            #expect(lines.count > 300)
            #expect(withoutTime(one.stdout) != one.stdout, "the stamp is there to strip")
            for threads in ["2", "3"] {
                let many = try connwatch(args + ["--threads", threads])
                #expect(many.status == one.status)
                #expect(withoutTime(many.stdout) == withoutTime(one.stdout), "--threads \(threads) \(grouping)")
            }
        }
        // The default (online CPUs) and standard input, plain: a file redirected by the shell (fed through a pipe
        // by this process, the findings would fill the stdout pipe before the input is written: both block).
        func fromStdin(_ threads: [String]) throws -> Run {
            try run("/bin/sh", ["-c", "f=$1; shift; exec \"$0\" scan --format json --no-throttle \"$@\" - < \"$f\"", binary(), plain] + threads,
                    env: ["CONNWATCH_RULES_DIR": root + "/Rules", "LANG": "C.UTF-8"])
        }
        let stdinOne = try fromStdin(["--threads", "1"])
        let stdinMany = try fromStdin([])
        #expect(stdinOne.status == 0)
        #expect(withoutTime(stdinMany.stdout) == withoutTime(stdinOne.stdout))
        let plainOnly = try connwatch(["scan", "--format", "json", "--no-throttle", "--threads", "1", plain])
        #expect(stdinOne.stdout.split(separator: "\n").count == plainOnly.stdout.split(separator: "\n").count)
        // A gzip stream on a pipe: inflated by the workers in turn (several threads) or on its own thread (one),
        // handed over as it arrives; the same findings either way, and as many as the uncompressed file gives.
        func gzipThroughPipe(_ threads: [String]) throws -> Run {
            try run("/bin/sh", ["-c", "f=$1; shift; gzip -c \"$f\" | \"$0\" scan --format json --no-throttle \"$@\" -", binary(), other] + threads,
                    env: ["CONNWATCH_RULES_DIR": root + "/Rules", "LANG": "C.UTF-8"])
        }
        let pipeOne = try gzipThroughPipe(["--threads", "1"])
        let pipeMany = try gzipThroughPipe(["--threads", "2"])
        #expect(pipeOne.status == 0, "\(pipeOne.stderr)")
        #expect(pipeMany.status == 0, "\(pipeMany.stderr)")
        #expect(withoutTime(pipeMany.stdout) == withoutTime(pipeOne.stdout))
        let otherOnly = try connwatch(["scan", "--format", "json", "--no-throttle", "--threads", "1", other])
        #expect(pipeOne.stdout.split(separator: "\n").count == otherOnly.stdout.split(separator: "\n").count)
        #expect(otherOnly.stdout.split(separator: "\n").count > 10)
    }

    /// With the throttle on, one thread offers each line's finding to the throttle before building it (a repeat is
    /// only counted) and several threads build every finding and fold them after: the same findings, counts and
    /// summaries either way. Compared without the wall-clock stamps, and sorted: the summaries written at the end
    /// come in no set order.
    @Test(.tags(.slow), .notInFastSet)
    func throttledFindingsAreTheSameForAnyThreadCount() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cw-par-throttle-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let log = dir + "/corpus.log"
        #expect(try run("/usr/bin/env", ["python3", root + "/Benchmarks/gen-corpus.py", log, "1", "--seed", "5", "--error-rate", "0.02"]).status == 0)
        func findings(_ threads: String) throws -> [String] {
            let r = try connwatch(["scan", "--format", "json", "--threads", threads, log])
            #expect(r.status == 0, "\(r.stderr)")
            return withoutTime(r.stdout).replacingOccurrences(of: #","throttle":\{[^}]*\}"#, with: "", options: .regularExpression)
                .split(separator: "\n").map(String.init).sorted()
        }
        let one = try findings("1")
        #expect(one.contains { $0.contains(#""count":1,"#) })
        #expect(one.contains { $0.range(of: #""count":([2-9]|[1-9][0-9]+),"#, options: .regularExpression) != nil }, "repeats were folded")
        #expect(try findings("2") == one)
    }

    @Test func threadsMustBePositive() throws {
        let r = try connwatch(["scan", "--threads", "0", "-"], stdin: Data())
        #expect(r.status != 0)
        #expect(r.stderr.contains("--threads"))
    }
}

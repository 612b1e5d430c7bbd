import Foundation
import Testing
@testable import ConnwatchModel
@testable import ConnwatchRules
@testable import ConnwatchEngine
@testable import ConnwatchPipeline

/// `scan --threads N`: the same findings, in the same order, as one thread and as the daemon's sequential
/// `ChunkReader` path, whatever the cuts between pieces do to lines and events.
@Suite struct ParallelScanTests {
    /// The AADSTS rule (one finding per code) with a small max_line_bytes, so that over-long lines are cheap.
    static let ruleSet: RuleSet = try! RuleSet.load(directories: [try! rulesDirectory([
        "apps.yaml": appsYAML, "codes.yaml": codesYAML, "aadsts.yaml": aadstsRuleYAML,
    ])], maxLineBytes: 1024)

    struct Result {
        var findings: [Finding] = []
        var errors: [String] = []
        var totals = ParallelMatcher.Totals()
    }

    func parallel(_ paths: [String], _ ruleSet: RuleSet = ParallelScanTests.ruleSet, threads: Int, chunkBytes: Int = 4096,
                  multiline: Multiline? = nil) -> Result {
        var r = Result()
        let matcher = ParallelMatcher(ruleSet, threads: threads, context: nil, events: multiline, chunkBytes: chunkBytes)
        r.totals = matcher.scan(paths: paths, emit: { r.findings.append($0) }, failed: { r.errors.append($0.description) })
        return r
    }

    /// Findings with the origin reduced to its offset (the reference path reads no file).
    func offsets(_ findings: [Finding]) -> [Finding] {
        findings.map { var f = $0; f.origin = Origin(input: "test", offset: f.origin.offset); return f }
    }

    func file(_ name: String, _ bytes: [UInt8]) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cw-par-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Lines of every length around the 4 KiB pieces (so that many lines cross a cut), every third with CRLF,
    /// the last without a newline: each code is found once, at its line's offset, without the CR.
    @Test(arguments: [1, 2, 3])
    func linesAcrossCutsCRLFAndNoTrailingNewline(threads: Int) throws {
        var bytes: [UInt8] = []
        var expected: [(offset: UInt64, code: String, line: String)] = []
        for i in 0..<3000 {
            let code = String(50000 + i)
            let line = String(repeating: "x", count: (i * 37) % 300) + " failed: AADSTS\(code) tail \(i)"
            expected.append((UInt64(bytes.count), code, line))
            bytes += Array(line.utf8)
            if i < 2999 { bytes += i % 3 == 0 ? [13, 10] : [10] }
        }
        let path = try file("lines.log", bytes)
        let r = parallel([path], threads: threads)
        #expect(r.errors.isEmpty)
        #expect(r.findings.count == expected.count)
        let offsetsFound: [UInt64?] = r.findings.map(\.origin.offset)
        let offsetsExpected: [UInt64?] = expected.map(\.offset)
        #expect(offsetsFound == offsetsExpected)
        let codes: [String?] = r.findings.map { $0.field("code") }
        let codesExpected: [String?] = expected.map(\.code)
        #expect(codes == codesExpected)
        let lines: [String] = r.findings.map(\.line)
        #expect(lines == expected.map(\.line))
        #expect(r.findings.allSatisfy { $0.origin.path == path && $0.origin.input == "file" })
        #expect(r.totals.bytes == UInt64(bytes.count))
        #expect(r.totals.findings == expected.count)
    }

    /// Lines longer than a piece and than max_line_bytes: the head is scanned (truncated), the tail skipped,
    /// and the lines after them keep their offsets; the same as the sequential reader.
    @Test func overLongLines() throws {
        var bytes: [UInt8] = []
        var starts: [UInt64] = []
        func add(_ s: String) { starts.append(UInt64(bytes.count)); bytes += Array(s.utf8) + [10] }
        add("first AADSTS50020 line")
        add("AADSTS70008 at the head " + String(repeating: "a", count: 10_000))            // found, truncated
        add(String(repeating: "b", count: 5000) + " AADSTS500208 only in the tail")         // beyond max_line_bytes
        add("after AADSTS50020 again")
        add(String(repeating: "c", count: 20_000) + String(repeating: "d", count: 3000))    // no code at all
        add("AADSTS70008 last " + String(repeating: "e", count: 900))                       // under the limit
        let path = try file("long.log", bytes)
        let reference = offsets(try scanBytes(bytes, Self.ruleSet, chunkBytes: 4096))
        for threads in [1, 3] {
            let r = parallel([path], threads: threads)
            #expect(offsets(r.findings) == reference, "threads \(threads)")
            let found: [UInt64?] = r.findings.map(\.origin.offset)
            let wanted: [UInt64?] = [starts[0], starts[1], starts[3], starts[5]]
            #expect(found == wanted)
            #expect(r.findings.map(\.truncated) == [false, true, false, false])
            #expect(r.findings[1].line.utf8.count <= 1024)
        }
    }

    @Test func emptyFileGivesNothing() throws {
        let path = try file("empty.log", [])
        let r = parallel([path], threads: 2)
        #expect(r.findings.isEmpty)
        #expect(r.errors.isEmpty)
        #expect(r.totals.bytes == 0)
    }

    /// Several inputs spread over the workers: findings stay in input order, each with its own origin, and
    /// an input that cannot be opened is reported at its place without stopping the others.
    @Test func severalInputsInOrderWithAMissingOne() throws {
        func lines(_ tag: Int, _ n: Int) -> [UInt8] {
            Array((0..<n).map { "\(tag) noise line \($0)\n\(tag) AADSTS\(50000 + $0) in input \(tag)\n" }.joined().utf8)
        }
        let a = try file("a.log", lines(1, 700)), b = try file("b.log", lines(2, 3)), c = try file("c.log", lines(3, 900))
        let empty = try file("e.log", [])
        let missing = a + ".missing"
        let r = parallel([a, missing, b, empty, c], threads: 3)
        #expect(r.errors == ["\(missing): No such file or directory"])
        #expect(r.findings.count == 700 + 3 + 900)
        let paths: [String?] = r.findings.map(\.origin.path)
        let expectedPaths: [String?] = Array(repeating: a, count: 700) + Array(repeating: b, count: 3) + Array(repeating: c, count: 900)
        #expect(paths == expectedPaths)
        let codes: [String?] = r.findings.map { $0.field("code") }
        let codesA: [String?] = (0..<700).map { (i: Int) -> String? in String(50000 + i) }
        let codesC: [String?] = (0..<900).map { (i: Int) -> String? in String(50000 + i) }
        #expect(Array(codes.prefix(700)) == codesA)
        #expect(Array(codes.suffix(900)) == codesC)
        let reference = offsets(try scanBytes(lines(3, 900), Self.ruleSet))
        #expect(offsets(Array(r.findings.suffix(900))) == reference)
        #expect(r.totals.findings == 1603)
    }

    /// Several gzip archives (inflated by the workers in turn with several threads, on the inflating thread
    /// with one): a good one of two members, a corrupt one, one whose second member ends early, a good one.
    /// Each bad archive is reported at its place, naming it, after the findings of the lines inflated before
    /// its damage; the archives after it are scanned whole; every thread count finds the same.
    @Test(arguments: [1, 2, 3])
    func severalArchivesOneCorruptOneCutMidMember(threads: Int) throws {
        func lines(_ tag: Int, _ n: Int) -> [UInt8] {
            Array((0..<n).map { "\(tag) noise \($0 &* 2654435761 % 1000003)\n\(tag) AADSTS\(50000 + $0) in archive \(tag)\n" }.joined().utf8)
        }
        func gz(_ name: String, _ bytes: [UInt8]) throws -> [UInt8] {
            Array(try Data(contentsOf: URL(fileURLWithPath: try gzipFile(try file(name, bytes)))))
        }
        let twoMembers = try gz("a1.log", lines(1, 600)) + gz("a2.log", lines(1, 400))
        var corrupt = try gz("b.log", lines(2, 3000))
        for i in (corrupt.count / 2)..<(corrupt.count / 2 + 32) { corrupt[i] = 0xFF }
        let second = try gz("c2.log", lines(3, 3000))
        let cut = try gz("c1.log", lines(3, 500)) + second.prefix(second.count / 2)
        let a = try file("a.log.gz", twoMembers), b = try file("b.log.gz", corrupt), c = try file("c.log.gz", cut)
        let d = try file("d.log.gz", try gz("d.log", lines(4, 800)))
        let r = parallel([a, b, c, d], threads: threads)
        #expect(r.errors.count == 2)
        #expect(r.errors.first?.hasPrefix("\(b): corrupt gzip data (") == true)
        #expect(r.errors.last == "\(c): truncated gzip data (unexpected end of file)")
        let byPath = Dictionary(grouping: r.findings, by: { $0.origin.path ?? "" })
        #expect(byPath[a]?.count == 1000)
        #expect(byPath[d]?.count == 800)
        // Archive order kept, each bad one's findings a prefix of what its whole data holds.
        let ranks: [Int] = r.findings.map { [a, b, c, d].firstIndex(of: $0.origin.path ?? "") ?? -1 }
        #expect(ranks.first == 0)
        #expect(zip(ranks, ranks.dropFirst()).allSatisfy { $0 <= $1 })
        // Damaged deflate data may inflate to garbage before igzip notices (as with zcat): the lines before the
        // damage are found as they are.
        let bCodes: [String?] = (byPath[b] ?? []).map { $0.field("code") }
        #expect(Array(bCodes.prefix(1000)) == (0..<1000).map { String(50000 + $0) })
        let cCodes: [String?] = (byPath[c] ?? []).map { $0.field("code") }
        #expect(cCodes.count >= 500, "the first member whole")
        #expect(cCodes.count < 3500)
        #expect(Array(cCodes.prefix(500)) == (0..<500).map { String(50000 + $0) })
        #expect(offsets(byPath[d] ?? []) == offsets(try scanBytes(lines(4, 800), Self.ruleSet)))
        #expect(r.totals.bytes == UInt64(lines(1, 600).count + lines(1, 400).count + lines(4, 800).count))
        if threads > 1 {
            let one = parallel([a, b, c, d], threads: 1)
            #expect(offsets(r.findings) == offsets(one.findings))
            #expect(r.errors == one.errors)
        }
    }

    /// Multi-line events with small pieces: a cut never splits an event, so every Java trace is one finding
    /// with its nine lines, as in one sequential pass.
    @Test func multilineEventsAreNotSplitByCuts() throws {
        let noise = (0..<7).map { "2024-03-01 12:11:0\($0),000 INFO [main] tick \($0)\n" }.joined()
        var text = ""
        for i in 0..<200 { text += String(repeating: noise, count: i % 5) + MultilineEventTests.java }
        let bytes = Array(text.utf8)
        let path = try file("java.log", bytes)
        let java = Multiline.parse("java")!
        let reference = offsets(try scanBytes(bytes, MultilineEventTests.ruleSet, chunkBytes: 4096, multiline: java))
        #expect(reference.count == 200)
        for threads in [1, 2, 4] {
            let r = parallel([path], MultilineEventTests.ruleSet, threads: threads, multiline: java)
            #expect(offsets(r.findings) == reference, "threads \(threads)")
            #expect(r.findings.allSatisfy { $0.event?.lines.count == 9 })
        }
    }

    /// The benchmark corpus (Benchmarks/gen-corpus.py, 1 % planted errors) with the shipped rules: every thread
    /// count finds exactly what the sequential reader finds, in the same order.
    @Test(.tags(.slow), .notInFastSet) func generatedCorpusSameAsSequential() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cw-par-corpus-\(UUID().uuidString).log").path
        let gen = Process()
        gen.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        gen.arguments = ["python3", repositoryRoot + "/Benchmarks/gen-corpus.py", path, "3", "--seed", "7", "--error-rate", "0.01"]
        gen.standardError = FileHandle.nullDevice
        try gen.run()
        gen.waitUntilExit()
        #expect(gen.terminationStatus == 0)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let ruleSet = ShippedCatalogTests.ruleSet
        let reference = offsets(try scanBytes(bytes, ruleSet, chunkBytes: 64 << 10))
        #expect(reference.count > 100)
        for threads in [1, 2, 3] {
            let r = parallel([path], ruleSet, threads: threads, chunkBytes: 64 << 10)
            #expect(r.errors.isEmpty)
            #expect(offsets(r.findings) == reference, "threads \(threads)")
        }
    }

    // MARK: through scan's pipeline

    /// What `scan`'s pipeline writes (Delivery → throttle → findings file) for `paths` on `threads` workers, with
    /// the clock's stamps removed (`time`, and a throttle summary's window times: all that differs between runs), and for
    /// each unreadable input the number of findings written before it was reported (its place in the order).
    func pipelineOutput(_ paths: [String], _ ruleSet: RuleSet, threads: Int, multiline: Multiline? = nil,
                        throttle: Bool = false) throws -> (text: String, errors: [String], delivered: Int) {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("cw-par-out-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let delivery = Delivery(outputs: [try FileOutput(.init(path: out, fsync: .never), lang: .en)],
                                throttle: Throttle(.init(enabled: throttle)), policy: .writeWhenFull)
        let job = OneShotScan(ruleSet)
        job.scanner.events = try multiline.map { try EventBoundaries($0) }
        job.threads = threads
        job.chunkBytes = 4096
        var errors: [String] = []
        let input = OneShotFiles(paths: paths, job: job) { errors.append("\($0.path) after \(delivery.delivered)") }
        Pipeline(inputs: [input], ruleSet: ruleSet, delivery: delivery).runToEnd()
        delivery.closeAllWindows()
        _ = try delivery.flush(urgent: true)
        let text = try String(contentsOfFile: out, encoding: .utf8)
            .replacingOccurrences(of: #""(time|window_start|window_end|first_seen|last_seen)":"[^"]*""#, with: "", options: .regularExpression)
        return (text, errors, delivery.delivered)
    }

    /// Lines across the 4 KiB cuts, CRLF, lines of exactly max_line_bytes, one byte more and far beyond, a last
    /// line without its newline; the same file gzip-compressed; a missing file between them: every thread count
    /// writes the same bytes as one thread (which reads with the daemon's ChunkReader), with the throttle off
    /// and on, and reports the missing file after the findings of the inputs before it.
    @Test(.tags(.slow), .notInFastSet) func pipelineWritesTheSameBytesForAnyThreadCount() throws {
        var bytes: [UInt8] = []
        for i in 0..<1200 {
            var line = String(repeating: "x", count: (i * 53) % 300) + " failed: AADSTS\(50000 + i % 40) tail \(i)"
            if i % 250 == 7 { line = "AADSTS70008 head " + String(repeating: "h", count: 1024 - 17) }            // exactly max_line_bytes
            if i % 250 == 8 { line = "AADSTS70008 head " + String(repeating: "h", count: 1024 - 16) }            // one byte over
            if i % 250 == 9 { line = "AADSTS50020 head " + String(repeating: "l", count: 9000) }                 // over two pieces
            if i % 250 == 10 { line = String(repeating: "t", count: 5000) + " AADSTS500208 in the tail" }        // cut before the code
            bytes += Array(line.utf8)
            if i < 1199 { bytes += i % 3 == 0 ? [13, 10] : [10] }
        }
        let plain = try file("lines.log", bytes)
        let compressed = try gzipFile(plain)
        let missing = plain + ".missing"
        let paths = [plain, compressed, missing, plain]
        for throttle in [false, true] {
            let one = try pipelineOutput(paths, Self.ruleSet, threads: 1, throttle: throttle)
            #expect(one.delivered > (throttle ? 40 : 3000))
            // Three inputs of the same lines, the missing one after two of them.
            if !throttle { #expect(one.errors == ["\(missing) after \(2 * one.delivered / 3)"]) }
            #expect(one.errors.count == 1)
            #expect(one.text.contains(#""truncated":true"#))
            for threads in [2, 3] {
                let many = try pipelineOutput(paths, Self.ruleSet, threads: threads, throttle: throttle)
                #expect(many.text == one.text, "threads \(threads), throttle \(throttle)")
                #expect(many.errors == one.errors)
                #expect(many.delivered == one.delivered)
            }
        }
    }

    /// Multi-line events in a plain and a gzip file, cut into 4 KiB pieces: no event is split, and every thread
    /// count writes the bytes one thread writes.
    @Test func pipelineGroupsEventsTheSameForAnyThreadCount() throws {
        let noise = (0..<7).map { "2024-03-01 12:11:0\($0),000 INFO [main] tick \($0)\r\n" }.joined()
        var text = ""
        for i in 0..<150 { text += String(repeating: noise, count: i % 4) + MultilineEventTests.java }
        let plain = try file("java.log", Array(text.utf8))
        let paths = [plain, try gzipFile(plain)]
        let java = Multiline.parse("java")!
        let one = try pipelineOutput(paths, MultilineEventTests.ruleSet, threads: 1, multiline: java)
        #expect(one.delivered == 300)
        #expect(one.errors.isEmpty)
        #expect(one.text.components(separatedBy: #""event":{"lines":["#).count == 301, "each finding is a whole event")
        for threads in [2, 4] {
            let many = try pipelineOutput(paths, MultilineEventTests.ruleSet, threads: threads, multiline: java)
            #expect(many.text == one.text, "threads \(threads)")
        }
    }
}

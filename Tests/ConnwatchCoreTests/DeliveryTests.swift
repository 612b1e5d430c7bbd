import Foundation
import Testing
@testable import ConnwatchModel
@testable import ConnwatchRules
@testable import ConnwatchPipeline
@testable import ConnwatchEngine

func sampleFinding(rule: String = "aadsts.code", code: String = "50076", tenant: String? = nil, line: String = "AADSTS50076 x",
                   severity: Severity = .medium) -> Finding {
    var f = Finding(rule: rule, kind: .aadsts, severity: severity, title: Localized(en: "MFA required", ko: "MFA 필요"),
                    remediation: Localized(en: "fix", ko: "조치"), origin: Origin(input: "file", path: "/var/log/a.log"), line: line)
    f.fields = [("code", code)] + (tenant.map { [("tenant_id", $0)] } ?? [])
    return f
}

@Suite struct ThrottleTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func firstIsPassedAtOnceRepeatsBecomeOneSummaryAtWindowEnd() {
        let throttle = Throttle(.init(window: 300))
        var out: [Finding] = []
        throttle.offer(sampleFinding(), now: t0) { out.append($0) }
        #expect(out.count == 1, "first sight is never delayed")
        for i in 1...9 { throttle.offer(sampleFinding(line: "repeat \(i)"), now: t0 + Double(i)) { out.append($0) } }
        #expect(out.count == 1)
        // Another tenant is another finding.
        throttle.offer(sampleFinding(tenant: "t-2"), now: t0 + 10) { out.append($0) }
        #expect(out.count == 2)
        #expect(throttle.nextDeadline() == t0 + 300)
        throttle.expire(now: t0 + 299) { out.append($0) }
        #expect(out.count == 2)
        throttle.expire(now: t0 + 300) { out.append($0) }
        #expect(out.count == 3)
        let summary = out[2]
        #expect(summary.count == 9)
        #expect(summary.line == "repeat 9")
        #expect(summary.throttle == ThrottleWindow(start: t0, end: t0 + 300, firstSeen: t0, lastSeen: t0 + 9))
        #expect(throttle.throttledByRule["aadsts.code"] == 9)
        // The window closed: the next occurrence is a first sight again.
        throttle.offer(sampleFinding(), now: t0 + 301) { out.append($0) }
        #expect(out.count == 4 && out[3].count == 1 && out[3].throttle == nil)
        // The other tenant's window had no repeats: no summary.
        throttle.expire(now: t0 + 310) { out.append($0) }
        #expect(out.count == 4)
    }

    @Test func floodOfDistinctKeysStaysBoundedAndLosesNoCount() {
        let throttle = Throttle(.init(window: 300, maxKeys: 1000))
        var emitted = 0, occurrences = 0
        for i in 0..<100_000 {
            // 50,000 distinct codes, each seen twice.
            throttle.offer(sampleFinding(code: String(i % 50_000)), now: t0 + Double(i) / 1e5) { emitted += 1; occurrences += $0.count }
            #expect(throttle.openWindows <= 1000)
        }
        throttle.flushAll(now: t0 + 2) { emitted += 1; occurrences += $0.count }
        #expect(occurrences == 100_000, "every occurrence is counted in a first sight or a summary")
        #expect(throttle.openWindows == 0)
        #expect(emitted == 100_000, "keys evicted before their repeat come back as first sights")
    }

    /// The throttle knows its oldest open window without looking it up: expiry, eviction at `maxKeys` and
    /// reopened keys interleaved must leave it the oldest, as a plain model of the windows says.
    @Test func oldestOpenWindowStaysRightThroughEvictionExpiryAndReopening() {
        let window: TimeInterval = 10
        let throttle = Throttle(.init(window: window, maxKeys: 4))
        // The model: open windows in opening order, each with its start and repeats.
        var model: [(code: String, start: Date, repeats: Int)] = []
        var summaries: [(code: String, count: Int)] = []
        var modelSummaries: [(code: String, count: Int)] = []
        func close(_ i: Int) {
            if model[i].repeats > 0 { modelSummaries.append((model[i].code, model[i].repeats)) }
            model.remove(at: i)
        }
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        var now = t0
        for _ in 0..<5_000 {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            now = now.addingTimeInterval(Double(seed >> 60) / 4) // 0 to 3.75 s: some windows end between offers, some keys are evicted
            let code = String((seed >> 40) % 7)
            while let first = model.first, first.start.addingTimeInterval(window) <= now { close(0) }
            if let i = model.firstIndex(where: { $0.code == code }) {
                model[i].repeats += 1
            } else {
                while model.count >= 4 { close(0) }
                model.append((code, now, 0))
            }
            throttle.offer(sampleFinding(code: code), now: now) { f in
                if f.throttle != nil { summaries.append((f.field("code")!, f.count)) }
            }
            #expect(throttle.openWindows == model.count)
            let oldestEnd: Date? = model.first.map { $0.start.addingTimeInterval(window) }
            #expect(throttle.nextDeadline() == oldestEnd)
        }
        let same = summaries.elementsEqual(modelSummaries) { $0.code == $1.code && $0.count == $1.count }
        #expect(same, "the same summaries, in the same order, as the model's")
        #expect(modelSummaries.count > 100, "the sequence exercised eviction and expiry with repeats")
    }

    @Test func disabledPassesEverything() {
        let throttle = Throttle(.init(enabled: false))
        var n = 0
        for _ in 0..<5 { throttle.offer(sampleFinding(), now: t0) { _ in n += 1 } }
        #expect(n == 5 && throttle.openWindows == 0)
    }
}

@Suite struct FileOutputTests {
    func tempDir() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cw-out-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    func lines(_ path: String) -> [String] {
        (try? String(contentsOfFile: path, encoding: .utf8))?.split(separator: "\n").map(String.init) ?? []
    }

    @Test func appendsOneJSONLinePerFindingAndFollowsRotation() throws {
        let dir = try tempDir()
        let path = dir + "/sub/findings.json"
        let out = try FileOutput(.init(path: path, fsync: .always), lang: .ko)
        #expect(FileManager.default.fileExists(atPath: path), "created (with its directory) at start")
        var st = stat()
        stat(path, &st)
        #expect(st.st_mode & 0o777 == 0o640)
        out.accept(sampleFinding(line: "one"))
        out.accept(sampleFinding(line: "two"))
        #expect(try out.flush(now: Date()) == .durable)
        // logrotate `create`: rename, new file; the output notices the inode change by itself.
        try FileManager.default.moveItem(atPath: path, toPath: path + ".1")
        out.accept(sampleFinding(line: "three"))
        _ = try out.flush(now: Date())
        // Deleted: recreated.
        try FileManager.default.removeItem(atPath: path)
        out.accept(sampleFinding(line: "four"))
        _ = try out.flush(now: Date())
        // copytruncate: O_APPEND writes land at the new end.
        try Data().write(to: URL(fileURLWithPath: path))
        out.accept(sampleFinding(line: "five"))
        _ = try out.flush(now: Date())
        let old = lines(path + ".1"), new = lines(path)
        #expect(old.count == 2 && new.count == 1)
        let parsed = try (old + new).map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(parsed.map { $0["line"] as? String } == ["one", "two", "five"])
        #expect(parsed[0]["title"] as? String == "MFA 필요")
    }

    @Test func fsyncIntervalHoldsDurabilityUntilTheSync() throws {
        let dir = try tempDir()
        let out = try FileOutput(.init(path: dir + "/f.json", fsync: .interval, fsyncInterval: 10), lang: .en)
        let t = Date()
        out.accept(sampleFinding())
        #expect(try out.flush(now: t) == .written)
        #expect(lines(dir + "/f.json").count == 1, "written at once, synced later")
        #expect(out.nextDeadline() != nil)
        #expect(try out.flush(now: t.addingTimeInterval(11)) == .durable)
        #expect(out.nextDeadline() == nil)
        out.accept(sampleFinding())
        out.urgeNextFlush()
        #expect(try out.flush(now: t.addingTimeInterval(12)) == .durable, "stop and reload sync at once")
        let never = try FileOutput(.init(path: dir + "/n.json", fsync: .never), lang: .en)
        never.accept(sampleFinding())
        #expect(try never.flush(now: t) == .durable)
    }

    @Test func aFullDiskKeepsTheQueueRetriesWithBackoffAndLosesNothing() throws {
        let dir = try tempDir()
        let path = dir + "/findings.json"
        // /dev/full fails every write with ENOSPC: the findings file "is" on a full disk.
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: "/dev/full")
        let out = try FileOutput(.init(path: path, fsync: .never), lang: .en)
        for i in 0..<3 { out.accept(sampleFinding(line: "n\(i)")) }
        let t = Date()
        #expect(throws: OutputError.self) { try out.flush(now: t) }
        do { _ = try out.flush(now: t) } catch { #expect(error.errno == ENOSPC && error.kind == "write") }
        #expect(out.pending == 3)
        #expect(out.nextDeadline() == t.addingTimeInterval(1), "first retry after 1 s")
        #expect(throws: OutputError.self) { try out.flush(now: t.addingTimeInterval(1)) }
        #expect(out.nextDeadline() == t.addingTimeInterval(3), "then 2 s later")
        // Space returns (the path is a real file again): everything is written once, in order.
        try FileManager.default.removeItem(atPath: path)
        #expect(throws: OutputError.self) { try out.flush(now: t.addingTimeInterval(2)) } // still backing off
        #expect(try out.flush(now: t.addingTimeInterval(3)) == .durable)
        #expect(out.pending == 0)
        #expect(lines(path).compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }.map { $0["line"] as? String } == ["n0", "n1", "n2"])
    }

    @Test func anUnwritablePathFailsAtStartWithTheReason() throws {
        let dir = try tempDir()
        try Data().write(to: URL(fileURLWithPath: dir + "/file"))
        #expect { _ = try FileOutput(.init(path: dir + "/file/findings.json"), lang: .en) } throws: { error in
            (error as? OutputError)?.description.contains(dir + "/file/findings.json") == true
        }
    }
}

@Suite struct MessageIDTests {
    @Test func stableDistinct128BitIDs() {
        let a = MessageID.of(rule: "aadsts.code"), b = MessageID.of(rule: "graph.access-denied")
        #expect(a.count == 32 && a.allSatisfy { $0.isHexDigit && !$0.isUppercase })
        #expect(a != b)
        #expect(a == MessageID.of(rule: "aadsts.code"))
        // Pinned: the id is an interface (journalctl MESSAGE_ID=…, forwarder filters); it must never change.
        #expect(MessageID.of(rule: "aadsts.code") == pinnedAADSTS)
    }
}
// FNV-1a 128 of "connwatch:aadsts.code" (checked against an independent implementation).
let pinnedAADSTS = "d35d388748789fc721992da9d9a2bcc1"

/// stdout and the checkpoint store retry like the findings file: the same backoff, the same deadlines, the
/// same "keep what is not out". The clock is injected (`now:`), so no test waits for time to pass.
@Suite struct RetryTests {
    let t = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func stdoutOnAFullDiskKeepsItsQueueAndWritesItOnceWhenSpaceReturns() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cw-stdout-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        // The output's descriptor is /dev/full (every write: ENOSPC); later a real file takes its place (dup2),
        // as when space returns under a redirection.
        let fd = open("/dev/full", O_WRONLY)
        try #require(fd >= 0)
        defer { close(fd) }
        let out = StdoutOutput(encoder: JSONLinesEncoder(lang: .en), fd: fd)
        for i in 0..<3 { out.accept(sampleFinding(line: "n\(i)")) }
        do { _ = try out.flush(now: t); Issue.record("a write to /dev/full succeeded") } catch {
            #expect(error.errno == ENOSPC && error.output == "stdout" && error.kind == "write")
        }
        #expect(out.pending == 3)
        #expect(out.nextDeadline() == t.addingTimeInterval(1), "first retry after 1 s")
        #expect(throws: OutputError.self) { try out.flush(now: t.addingTimeInterval(0.5) )}
        #expect(throws: OutputError.self) { try out.flush(now: t.addingTimeInterval(1)) }
        #expect(out.nextDeadline() == t.addingTimeInterval(3), "then 2 s later")
        let file = open(dir + "/stdout", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        dup2(file, fd)
        close(file)
        #expect(throws: OutputError.self, "still backing off") { try out.flush(now: t.addingTimeInterval(2)) }
        #expect(try out.flush(now: t.addingTimeInterval(3)) == .durable)
        #expect(out.pending == 0 && out.nextDeadline() == nil)
        let lines = try String(contentsOfFile: dir + "/stdout", encoding: .utf8).split(separator: "\n")
        #expect(lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }.map { $0["line"] as? String } == ["n0", "n1", "n2"])
        // An urgent flush (stop, reload) does not wait for the backoff.
        let full = open("/dev/full", O_WRONLY)
        dup2(full, fd)
        close(full)
        out.accept(sampleFinding())
        #expect(throws: OutputError.self) { try out.flush(now: t.addingTimeInterval(4)) }
        out.urgeNextFlush()
        #expect(out.nextDeadline() == nil)
    }

    @Test func checkpointStoreRetriesWithTheSameBackoff() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cw-state-\(UUID().uuidString)").path
        // The state directory's place is taken by a file: every save fails (ENOTDIR) until it is a directory.
        try Data().write(to: URL(fileURLWithPath: dir))
        let store = CheckpointStore(directory: dir)
        var state = CheckpointState()
        state.journals["j"] = "cursor-1"
        do { try store.save(state, now: t); Issue.record("saved under a file") } catch {
            #expect(error.output == "checkpoints" && error.kind == "checkpoint" && error.errno == ENOTDIR)
            #expect(error.description.contains(dir + "/checkpoints.json"))
        }
        #expect(store.nextDeadline() == t.addingTimeInterval(1))
        try FileManager.default.removeItem(atPath: dir)
        #expect(throws: OutputError.self, "backing off: not tried yet") { try store.save(state, now: t.addingTimeInterval(0.5)) }
        try store.save(state, now: t.addingTimeInterval(1))
        #expect(store.nextDeadline() == nil)
        #expect(try CheckpointStore(directory: dir).load() == state)
        var st = stat()
        stat(dir + "/checkpoints.json", &st)
        #expect(st.st_mode & 0o777 == 0o600)
    }
}

@Suite struct SinkTests {
    /// One batch size for `scan` and the daemon: the daemon's inputs pause at it, `scan` writes at it.
    @Test func aFullBatchPausesTheDaemonAndIsWrittenAtOnceByScan() throws {
        let fd = open("/dev/null", O_WRONLY)
        defer { close(fd) }
        let paused = Delivery(outputs: [StdoutOutput(encoder: JSONLinesEncoder(lang: .en), fd: fd)], throttle: Throttle(.init(enabled: false)))
        for _ in 0..<(Delivery.batchLimit - 1) { paused.accept(sampleFinding()) }
        #expect(paused.demand == .ready && !paused.shouldStop)
        paused.accept(sampleFinding())
        #expect(paused.demand == .full && paused.shouldStop)
        #expect(try paused.flush())
        #expect(paused.demand == .ready)

        let writing = Delivery(outputs: [StdoutOutput(encoder: JSONLinesEncoder(lang: .en), fd: fd)], throttle: Throttle(.init(enabled: false)),
                               policy: .writeWhenFull)
        for _ in 0..<(Delivery.batchLimit * 2 + 1) { writing.accept(sampleFinding()) }
        #expect(writing.pending == 1 && writing.demand == .ready)

        let full = open("/dev/full", O_WRONLY)
        defer { close(full) }
        let failing = Delivery(outputs: [StdoutOutput(encoder: JSONLinesEncoder(lang: .en), fd: full)], throttle: Throttle(.init(enabled: false)),
                               policy: .writeWhenFull)
        for _ in 0..<Delivery.batchLimit { failing.accept(sampleFinding()) }
        guard case .failed(let error) = failing.demand else { Issue.record("no failure: \(failing.demand)"); return }
        #expect(error.errno == ENOSPC && failing.shouldStop)
        #expect(failing.pending == Delivery.batchLimit, "nothing dropped")
    }
}

@Suite struct FoldBeforeBuildTests {
    /// Counts the findings the delivery was offered before they were built, and those it built (its delivery is
    /// not overlapped: `build` runs on the calling thread, hence unchecked).
    final class CountingFolder: RepeatFolder, @unchecked Sendable {
        let delivery: Delivery
        var offered = 0, built = 0
        init(_ delivery: Delivery) { self.delivery = delivery }
        func take(rule: String, app: String?, fields: [(name: String, value: String)], lineBytes: Int,
                  build: @escaping @Sendable () -> Finding) -> Bool {
            offered += 1
            return delivery.take(rule: rule, app: app, fields: fields, lineBytes: lineBytes) { [self] in
                built += 1
                return build()
            }
        }
    }

    /// The daemon's file inputs ask the throttle before a line's finding is built; what reaches the findings
    /// file must be what building every finding and offering it gives: the same first sights, and summaries
    /// with the same counts, last line, fields and stamps.
    @Test func aRepeatFoldedBeforeItsFindingIsBuiltLeavesTheSameRecords() throws {
        let ruleSet = try RuleSet.load(directories: [shippedRules])
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        func aadsts(_ tenant: String, _ trace: Int, tail: String = "") -> String {
            "2026-11-21T07:00:00Z app[1]: AADSTS700016: Application with identifier 'app' was not found in the directory '\(tenant)'. Trace ID: \(trace)\(tail)"
        }
        var lines: [String] = []
        for i in 0..<40 {
            lines.append(aadsts("tenant-0", i))
            // Distinct keys beyond max_keys: windows closed early, their keys first sights again later.
            lines.append(aadsts("tenant-\(i % 7)", 1000 + i))
            if i % 5 == 0 {
                // Longer than a summary keeps: built and cut, not folded.
                lines.append(aadsts("tenant-0", 2000 + i, tail: " " + String(repeating: "x", count: 3000)))
                // Two codes on a line (per_match): two findings, never folded.
                lines.append("Nov 21 07:49:01 web01 sync[2]: AADSTS50076 then AADSTS50079 for tenant '11111111-2222-3333-4444-555555555555' trace \(i)")
                // A secret where the key's value is: compared redacted.
                lines.append(aadsts("password=hunter\(i)2x", 3000 + i))
            }
        }
        /// `folded`: findings never built. `overlapped`: the daemon's delivery (throttle, build and encoding on
        /// its second thread), the scanner handing over straight to it, windows closed only by the lines' clock.
        func run(folding: Bool, overlapped: Bool = false) throws -> (records: [String], folded: Int, throttled: [String: Int]) {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cw-fold-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let delivery = Delivery(outputs: [try FileOutput(.init(path: dir + "/f.json", fsync: .never), lang: .en)],
                                    throttle: Throttle(.init(window: 30, maxKeys: 5)), overlapped: overlapped)
            var now = t0
            delivery.clock = { now }
            let scanner = Scanner(ruleSet)
            let folder = CountingFolder(delivery)
            if folding { scanner.folder = overlapped ? delivery : folder }
            for (i, line) in lines.enumerated() {
                now = t0 + Double(i) / 2
                if !overlapped { delivery.closeWindows(now: now) }
                Array((line + "\n").utf8).withUnsafeBytes { raw in
                    scanner.scan(raw, bufferOffset: UInt64(i) * 4096, origin: Origin(input: "file", path: "/var/log/a.log"),
                                 context: nil) { delivery.accept($0) }
                }
            }
            delivery.closeAllWindows(now: t0 + 1000)
            _ = try delivery.flush(now: t0 + 1000)
            let text = try String(contentsOfFile: dir + "/f.json", encoding: .utf8)
            return (text.split(separator: "\n").map(String.init), folder.offered - folder.built, delivery.throttle.throttledByRule)
        }
        let built = try run(folding: false), folded = try run(folding: true), overlapped = try run(folding: true, overlapped: true)
        #expect(built.folded == 0)
        #expect(folded.folded >= 40, "repeats were folded before they were built: \(folded.folded)")
        #expect(folded.records == built.records)
        #expect(folded.throttled == built.throttled)
        #expect(overlapped.records == built.records, "the overlapped delivery writes the same records in the same order")
        #expect(overlapped.throttled == built.throttled)
        #expect(built.records.contains { $0.contains("\"throttle\":") }, "summaries are among the records")
        #expect(!built.records.contains { $0.contains("hunter") }, "no secret reaches the findings file")
    }

    /// Reading pauses at the batch limit whether the delivery is overlapped or not: what its thread holds counts
    /// as pending before it is finished, so a flood of distinct findings stops the input at exactly one batch.
    @Test(arguments: [false, true]) func aFullBatchPausesReading(overlapped: Bool) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cw-batch-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let delivery = Delivery(outputs: [try FileOutput(.init(path: dir + "/f.json", fsync: .never), lang: .en)],
                                throttle: Throttle(.init()), overlapped: overlapped)
        var lines = 0
        while !delivery.shouldStop && lines < 3 * Delivery.batchLimit {
            // Every other one built by the scanner (a line `take` does not fold), in the order given.
            let tenant = "tenant-\(lines)"
            let f = sampleFinding(tenant: tenant)
            if lines % 2 == 0 {
                delivery.accept(f)
            } else {
                #expect(delivery.take(rule: f.rule, app: f.app, fields: f.fields, lineBytes: f.line.utf8.count) { f })
            }
            lines += 1
        }
        #expect(lines == Delivery.batchLimit)
        #expect(delivery.pending == Delivery.batchLimit)
        _ = try delivery.flush()
        #expect(!delivery.shouldStop)
        let records = try String(contentsOfFile: dir + "/f.json", encoding: .utf8).split(separator: "\n")
        #expect(records.count == Delivery.batchLimit)
        #expect(records.last?.contains("tenant-\(Delivery.batchLimit - 1)") == true)
    }
}

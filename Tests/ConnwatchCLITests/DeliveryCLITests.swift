import Foundation
import Testing

func jsonObjects(inFile path: String) -> [[String: Any]] {
    ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").compactMap {
        try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
    }
}

@Suite(.serialized) struct DeliveryCLITests {
    let example = root + "/examples/logs/cloud-connectors.log"

    @Test func scanWritesTheFindingsFileAndRejectsUnknownOutputs() throws {
        let dir = try tempFile("x", "").replacingOccurrences(of: "/x", with: "")
        let path = dir + "/out/findings.json"
        let first = try connwatch(["scan", "--no-throttle", "--output", "file:" + path, example])
        #expect(first.status == 0 && first.stdout.isEmpty, "only the file output was asked for")
        let stdout = try connwatch(["scan", "--no-throttle", example]).stdout
        #expect(try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").count == stdout.split(separator: "\n").count)
        _ = try connwatch(["scan", "--no-throttle", "--output", "file:" + path, "--output", "stdout", example])
        #expect(jsonObjects(inFile: path).count == 2 * stdout.split(separator: "\n").count, "appended, not replaced")
        let bad = try connwatch(["scan", "--output", "kafka", example])
        #expect(bad.status == 2 && bad.stderr.contains("--output 'kafka': expected stdout, journal or file:PATH"))
        let unwritable = try connwatch(["scan", "--output", "file:/proc/none/findings.json", example])
        #expect(unwritable.status == 2 && unwritable.stderr.contains("/proc/none/findings.json"))
    }

    @Test func scanThrottlesRepeatsUnlessAskedNotTo() throws {
        let line = "Nov 21 07:02:44 h app[1]: AADSTS50126: Error validating credentials due to invalid username or password.\n"
        let path = try tempFile("r.log", String(repeating: line, count: 50))
        let folded = try jsonLines(connwatch(["scan", path]).stdout)
        #expect(folded.count == 2)
        #expect(folded.map { $0["count"] as? Int } == [1, 49])
        #expect((folded[1]["throttle"] as? [String: Any])?["window_start"] != nil)
        #expect(try jsonLines(connwatch(["scan", "--no-throttle", path]).stdout).count == 50)
    }

    /// A running journald owns the socket journal_sink.py needs.
    static let journaldRunning: Bool = {
        FileManager.default.fileExists(atPath: "/run/systemd/journal/socket") && ((try? run("/usr/bin/python3", ["-c",
            "import socket;s=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM);s.connect('/run/systemd/journal/socket')"]))?.status == 0)
    }()

    /// The journal output through the real libsystemd client, into a real journal file (journal_sink.py stands in
    /// for journald's socket and hands entries to systemd-journal-remote), read back with the real journalctl.
    @Test(.tags(.slow), .notInFastSet, .enabled(if: !journaldRunning, "a running journald owns /run/systemd/journal/socket"))
    func journalEntriesAreQueryableAndNeverReadBack() throws {
        let dir = try tempFile("x", "").replacingOccurrences(of: "/x", with: "")
        let journal = dir + "/j/sink.journal"
        try FileManager.default.createDirectory(atPath: dir + "/j", withIntermediateDirectories: true)
        let sink = Process()
        sink.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        sink.arguments = [root + "/Tests/integration/journal_sink.py", journal]
        let ready = Pipe()
        sink.standardOutput = ready
        try sink.run()
        defer { if sink.isRunning { sink.terminate(); sink.waitUntilExit() } }
        let first = String(decoding: ready.fileHandleForReading.availableData, as: UTF8.self)
        try #require(first.hasPrefix("ready"), "journal sink did not start: \(first)")

        // 1. scan --output journal: one entry per finding, found by MESSAGE_ID, priority and identifier.
        let expected = try jsonLines(connwatch(["scan", "--no-throttle", example]).stdout)
        #expect(try connwatch(["scan", "--no-throttle", "--output", "journal", example]).status == 0)
        func entries(_ filter: [String]) throws -> [[String: Any]] {
            try jsonLines(run("/usr/bin/journalctl", ["--file", journal, "-o", "json"] + filter).stdout)
        }
        // systemd-journal-remote writes what the sink hands it a moment later: poll until it is all there.
        #expect(try eventually { try entries(["-t", "connwatch"]).count >= expected.count })
        let all = try entries(["-t", "connwatch"])
        #expect(all.count == expected.count)
        let aadsts = try entries(["MESSAGE_ID=d35d388748789fc721992da9d9a2bcc1"])
        #expect(aadsts.count == expected.filter { $0["rule"] as? String == "aadsts.code" }.count && !aadsts.isEmpty)
        #expect(Set(aadsts.compactMap { $0["CONNWATCH_CODE"] as? String }) == Set(expected.filter { $0["rule"] as? String == "aadsts.code" }.compactMap { $0["code"] as? String }))
        let warnings = try entries(["-p", "warning", "-t", "connwatch"])
        #expect(warnings.count == expected.filter { ["medium", "high", "critical"].contains($0["severity"] as? String) }.count)
        let e = try #require(aadsts.first)
        #expect((e["MESSAGE"] as? String)?.contains("aadsts.code AADSTS") == true)
        let embedded = try JSONSerialization.jsonObject(with: Data(((e["CONNWATCH_FINDING"] as? String) ?? "").utf8)) as? [String: Any]
        #expect(embedded?["rule"] as? String == "aadsts.code" && embedded?["code"] as? String == e["CONNWATCH_CODE"] as? String)
        #expect(e["CONNWATCH_ORIGIN"] as? String == example && e["CONNWATCH_TRACE_ID"] != nil && e["PRIORITY"] != nil)

        // 2. The daemon reads this journal and writes its findings into it: its own entries (journal output,
        // and stdout as journald would capture it under SYSLOG_IDENTIFIER=connwatch) must not come back.
        let h = try DaemonHarness(extraConfig: """
          - type: journal
            name: sink
            files: [\(journal)]
            start: end
        outputs:
          stdout: {format: json}
          journal: {}

        """)
        try h.start()
        defer { h.stop() }
        let lines = ["Nov 21 07:02:44 h app[1]: AADSTS50126: Error validating credentials due to invalid username or password. #1",
                     "Nov 21 07:02:45 h app[1]: AADSTS700016: Application with identifier 'x' was not found in the directory. #2"]
        h.append(lines.joined(separator: "\n") + "\n")
        // What journald would record of connwatch's stdout: the raw line inside a JSON finding.
        let echo = try tempFile("echo.fields", "SYSLOG_IDENTIFIER=connwatch\nMESSAGE={\"line\":\"AADSTS50126: Error validating credentials #3\"}\n")
        #expect(try run("/usr/bin/logger", ["--journald=" + echo]).status == 0)
        #expect(h.waitFor { (try? entries(["-t", "connwatch", "--since", "-1min"]).count) ?? 0 >= all.count + 2 })
        // A last matching entry from another program, after connwatch's own: once its finding is out, the daemon
        // has read (and must have ignored) everything before it.
        let sentinel = try tempFile("sentinel.fields", "SYSLOG_IDENTIFIER=other\nMESSAGE=AADSTS50126: Error validating credentials due to invalid username or password. #4\n")
        #expect(try run("/usr/bin/logger", ["--journald=" + sentinel]).status == 0)
        #expect(h.waitFor { jsonObjects(inFile: h.outputs[0]).contains { ($0["line"] as? String)?.hasSuffix("#4") == true } })
        let findings = jsonObjects(inFile: h.outputs[0])
        #expect(findings.count == 3, "exactly the two planted lines and the sentinel; got \(findings.map { $0["line"] ?? "" })")
        #expect(findings.filter { ($0["origin"] as? [String: Any])?["input"] as? String == "file" }.count == 2)
    }
}

/// The daemon's findings file and metrics, with real rlimits, renames and signals.
@Suite(.serialized) struct DaemonDeliveryTests {
    func numbers(inFiles paths: [String]) -> [Int] {
        paths.flatMap { jsonObjects(inFile: $0) }.compactMap { ($0["n"] as? String).flatMap { Int($0) } }
    }

    @Test(.tags(.slow), .notInFastSet) func findingsFileSurvivesAFullDiskRotationAndReload() throws {
        // Inside the input's glob (logs/*.log) on purpose: connwatch must not read its own findings file.
        let h = try DaemonHarness(extraConfig: """
        outputs:
          file: {path: @DIR@/logs/connwatch-findings.log, fsync: always}
        metrics:
          textfile: @DIR@/metrics/connwatch.prom
          interval: 200ms

        """)
        let findings = h.dir + "/logs/connwatch-findings.log"
        let metrics = h.dir + "/metrics/connwatch.prom"
        try FileManager.default.createDirectory(atPath: h.dir + "/metrics", withIntermediateDirectories: true)
        try h.addTestRule()
        h.append(DaemonHarness.lines(0..<100))
        try h.start()
        let pid = try #require(h.process?.processIdentifier)
        #expect(h.waitFor { numbers(inFiles: [findings]).count == 100 })

        // "Disk full": the file may not grow past its size + 300 bytes (writes fail with EFBIG).
        let size = (try FileManager.default.attributesOfItem(atPath: findings)[.size] as? Int) ?? 0
        #expect(try run("/usr/bin/prlimit", ["--pid", "\(pid)", "--fsize=\(size + 300):"]).status == 0)
        h.append(DaemonHarness.lines(100..<200))
        #expect(h.notify.next(containing: "output failing: file") != nil, "STATUS says the findings file fails")
        #expect(h.waitFor { h.logged().contains("File too large") }, "the reason is logged")
        let during = numbers(inFiles: [findings])
        #expect(during.count < 200)
        // Space returns: everything accepted arrives, once.
        #expect(try run("/usr/bin/prlimit", ["--pid", "\(pid)", "--fsize=unlimited:"]).status == 0)
        #expect(h.waitFor(timeout: 40) { numbers(inFiles: [findings]).count >= 200 })
        #expect(h.waitFor { h.logged().contains("output works again") })
        #expect(h.logged().components(separatedBy: "cannot write findings").count == 2, "logged once, not per retry")

        // logrotate `create` without a signal: the daemon notices the new inode.
        try FileManager.default.moveItem(atPath: findings, toPath: findings + ".1")
        h.append(DaemonHarness.lines(200..<250))
        #expect(h.waitFor { numbers(inFiles: [findings]).count == 50 })
        // logrotate with `postrotate systemctl reload`: SIGHUP reopens too.
        try FileManager.default.moveItem(atPath: findings, toPath: findings + ".2")
        try h.reload()
        #expect(h.logged().contains("reloaded"))
        h.append(DaemonHarness.lines(250..<260))
        #expect(h.waitFor { numbers(inFiles: [findings]).count == 10 })
        // Metrics, written atomically by swift-prometheus's exposition.
        #expect(h.waitFor { ((try? String(contentsOfFile: metrics, encoding: .utf8)) ?? "").contains("connwatch_input_lines_total{input=\"app\"} 260") })
        let text = try String(contentsOfFile: metrics, encoding: .utf8)
        #expect(h.stop().status == 0)
        let all = numbers(inFiles: [findings + ".1", findings + ".2", findings])
        #expect(all.count == 260, "nothing repeated")
        #expect(Set(all) == Set(0..<260), "nothing lost")
        #expect(h.numbers().count == 0, "stdout is not an output when 'outputs' leaves it out")
        for expected in ["connwatch_findings_total{rule=\"connector.test\",severity=\"low\"} 260", "connwatch_input_bytes_total{input=\"app\"} 3010",
                         "connwatch_errors_total{kind=\"write\"} 1", "connwatch_errors_total{kind=\"fsync\"} 0",
                         "connwatch_rule_reloads_total{result=\"ok\"} 1", "connwatch_input_behind_bytes{input=\"app\"} 0.0",
                         "# TYPE connwatch_input_bytes_total counter", "connwatch_output_pending_findings{output=\"file \(findings)\"} 0"] {
            #expect(text.contains(expected), "metrics lack \(expected)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: h.dir + "/metrics") == ["connwatch.prom"], "no temporary files left")
    }

    @Test(.tags(.slow), .notInFastSet) func throttleFoldsRepeatsAndFlushesItsWindowsAtStop() throws {
        let h = try DaemonHarness(extraConfig: "throttle:\n  window: 1s\n", throttle: true)
        try h.addTestRule()
        try h.start()
        h.append(DaemonHarness.lines(0..<5))
        #expect(h.waitFor { h.numbers().count == 2 })
        let objects = jsonObjects(inFile: h.outputs[0])
        #expect(objects.map { $0["count"] as? Int } == [1, 4])
        #expect(objects[1]["throttle"] != nil && objects[0]["throttle"] == nil)
        #expect(h.stop().status == 0)

        let long = try DaemonHarness(extraConfig: "throttle:\n  window: 1h\n", throttle: true)
        try long.addTestRule()
        long.append(DaemonHarness.lines(0..<3))
        try long.start()
        // READY=1 comes after the first read and write: all three lines were read, one finding written.
        #expect(long.notify.lastStatus() == "3 lines, 1 findings")
        #expect(long.numbers().count == 1, "repeats wait for the window's end")
        #expect(long.stop().status == 0)
        #expect(jsonObjects(inFile: long.outputs[0]).map { $0["count"] as? Int } == [1, 2], "stop writes the open window's summary")
    }
}

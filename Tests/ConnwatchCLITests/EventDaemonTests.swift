import Foundation
import Testing

extension DaemonHarness {
    /// Every finding written so far (all runs), as JSON objects.
    func findings() -> [[String: Any]] {
        outputs.flatMap { path -> [[String: Any]] in
            let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        }
    }
}

/// `scan --multiline`: one finding per event, with the shipped rules.
@Suite struct ScanMultilineCLITests {
    @Test func oneFindingPerEventWithItsLinesAndItsOwnTime() throws {
        let log = try tempFile("app.log", """
        2022-12-01 19:02:02,311 ERROR graph-sync token request failed: AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.
        Trace ID: 22c04acd-a816-42bc-bb4f-5f1c8dcb4c02
        Correlation ID: 3c90998d-702c-4bd9-9ae3-02eeb373883b
        Timestamp: 2022-12-01 19:02:02Z
        2022-12-01 19:02:03,000 INFO graph-sync retrying in 30 s

        """)
        let r = try connwatch(["scan", "--format", "json", "--no-throttle", "--multiline", "msal", log], env: ["TZ": "UTC"])
        #expect(r.status == 0)
        let f = try jsonLines(r.stdout)
        #expect(f.count == 1)
        #expect(f.first?["code"] as? String == "7000218")
        #expect(f.first?["event_time"] as? String == "2022-12-01T19:02:02.311Z")
        #expect((f.first?["event"] as? [String: Any])?["lines"] as? [String] == [
            "2022-12-01 19:02:02,311 ERROR graph-sync token request failed: AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
            "Trace ID: 22c04acd-a816-42bc-bb4f-5f1c8dcb4c02", "Correlation ID: 3c90998d-702c-4bd9-9ae3-02eeb373883b",
            "Timestamp: 2022-12-01 19:02:02Z"])
        let bad = try connwatch(["scan", "--multiline", "cobol", log])
        #expect(bad.status != 0 && bad.stderr.contains("--multiline"))
    }
}

extension ScanMultilineCLITests {
    /// `journalctl -f | connwatch scan --multiline java -`: the writer pauses in the middle of nothing, the event
    /// is out after the timeout, not at the end of input; its rest, arriving later, is marked.
    @Test func aPipeThatPausesHandsOverTheOpenEventAtTheTimeout() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary())
        p.arguments = ["scan", "--format", "json", "--no-throttle", "--multiline", "java", "--multiline-timeout", "0.3", "-"]
        var env = ProcessInfo.processInfo.environment
        env["CONNWATCH_RULES_DIR"] = root + "/Rules"
        p.environment = env
        let input = Pipe(), out = Pipe()
        p.standardInput = input
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        defer { if p.isRunning { p.terminate() } }
        func write(_ s: String) { input.fileHandleForWriting.write(Data(s.utf8)) }
        var text = ""
        let fd = out.fileHandleForReading.fileDescriptor
        /// Reads what the scan printed until `done` or 20 s.
        func read(until done: () -> Bool) -> Bool {
            let deadline = Date().addingTimeInterval(20)
            var buffer = [UInt8](repeating: 0, count: 65536)
            while !done() && Date() < deadline {
                var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                guard poll(&pfd, 1, 100) > 0 else { continue }
                let n = Foundation.read(fd, &buffer, buffer.count)
                if n <= 0 { break }
                text += String(decoding: buffer[0..<n], as: UTF8.self)
            }
            return done()
        }
        write("""
        2026-11-20 10:00:00,001 ERROR token request failed: com.microsoft.aad.msal4j.MsalServiceException: AADSTS700016: Application with identifier 'x' was not found in the directory 'contoso'.
        \tat com.microsoft.aad.msal4j.AcquireTokenByClientCredentialSupplier.execute(AcquireTokenByClientCredentialSupplier.java:49)

        """)
        // The pipe stays open: only the timeout can hand the event over.
        #expect(read { text.hasSuffix("\n") })
        let first = try jsonLines(text)
        #expect(first.count == 1)
        #expect(first.first?["code"] as? String == "700016")
        #expect((first.first?["event"] as? [String: Any])?["lines"] as? [String] == [
            "2026-11-20 10:00:00,001 ERROR token request failed: com.microsoft.aad.msal4j.MsalServiceException: AADSTS700016: Application with identifier 'x' was not found in the directory 'contoso'.",
            "\tat com.microsoft.aad.msal4j.AcquireTokenByClientCredentialSupplier.execute(AcquireTokenByClientCredentialSupplier.java:49)"])
        #expect((first.first?["event"] as? [String: Any])?["cut"] == nil)
        write("Caused by: com.microsoft.aad.msal4j.MsalServiceException: AADSTS7000215: Invalid client secret provided.\n\tat x.Y.z(Y.java:1)\n2026-11-20 10:00:05,000 INFO next\n")
        try input.fileHandleForWriting.close()
        #expect(read { (try? jsonLines(text).count) == 2 && text.hasSuffix("\n") })
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        let all = try jsonLines(text)
        #expect(all.last?["code"] as? String == "7000215")
        #expect((all.last?["event"] as? [String: Any])?["cut"] as? String == "timeout", "the rest of an event split by the pause")
    }
}

/// The daemon's file input: the one enrichment stage, and multi-line events across a restart.
@Suite(.serialized) struct EventDaemonTests {
    @Test(.tags(.slow), .notInFastSet) func fileFindingsCarryHostAndTheLinesOwnTimeAndHost() throws {
        let h = try DaemonHarness()
        try h.start()
        h.append("2026-11-20T05:06:07.250Z web-01 connector[12]: token request failed: AADSTS50020: User account does not exist\n")
        #expect(h.waitFor { !h.findings().isEmpty })
        #expect(h.stop().0 == 0)
        let f = try #require(h.findings().first)
        let hostname = try String(contentsOfFile: "/proc/sys/kernel/hostname", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(f["host"] as? String == hostname, "docs/findings.md promises host on every finding")
        #expect(f["time"] is String)
        #expect(f["event_time"] as? String == "2026-11-20T05:06:07.250Z")
        #expect(f["source_host"] as? String == "web-01")
    }

    @Test(.tags(.slow), .notInFastSet) func sigtermInTheMiddleOfAnEventLosesAndRepeatsNothing() throws {
        // The extra lines continue the file input's mapping (the harness writes it last before extraConfig).
        let h = try DaemonHarness(extraConfig: "    partial_line_timeout: 60\n    multiline: {mode: java, timeout: 60s}\n")
        try h.addTestRule()
        h.append("start A\nTESTHIT 1\nstart B: Office 365 poll failed\n\tat x.Y.z(Y.java:1)\n")
        try h.start()
        // TESTHIT 1 is out only once the event after it was seen to start: event B is read and held now.
        #expect(h.waitFor { h.numbers() == [1] })
        #expect(h.stop(SIGTERM).0 == 0)
        h.append("Caused by: java.lang.NullPointerException TESTHIT 2\n\tat x.Y.w(Y.java:2)\nstart C\n")
        try h.start()
        // Event B's finding is out once `start C`, the file's last line, was read: the daemon says when.
        #expect(h.notify.status { lines, findings in lines >= 3 && findings >= 1 } != nil)
        #expect(h.stop().0 == 0)
        #expect(h.numbers() == [1, 2], "nothing lost, nothing repeated")
        let event = try #require(h.findings().last?["event"] as? [String: Any])
        #expect(event["lines"] as? [String] == ["start B: Office 365 poll failed", "\tat x.Y.z(Y.java:1)",
                                               "Caused by: java.lang.NullPointerException TESTHIT 2", "\tat x.Y.w(Y.java:2)"])
        #expect(event["cut"] == nil)
    }

    @Test(.tags(.slow), .notInFastSet,
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/lib/systemd/systemd-journal-remote"), "needs systemd-journal-remote"))
    func journalEntriesOfOneProcessAreOneEventWithTheEntrysTimeAndHost() throws {
        let h = try DaemonHarness(extraConfig: "    multiline: java\n", journal: true)
        try h.addTestRule()
        let messages = [("job failed TESTHIT 9", "42"), ("\tat x.Y.z(Y.java:1)", "42"), ("\tat other.Process.run(P.java:2)", "77"),
                        ("next job", "42")]
        var export = ""
        for (i, (message, pid)) in messages.enumerated() {
            export += "__REALTIME_TIMESTAMP=\(1_763_700_000_000_000 + i * 1000)\n__MONOTONIC_TIMESTAMP=\(1_000_000 + i)\n"
            export += "_BOOT_ID=0123456789abcdef0123456789abcdef\n_HOSTNAME=edge-7\n_PID=\(pid)\nSYSLOG_IDENTIFIER=job\nMESSAGE=\(message)\n\n"
        }
        let remote = try run("/lib/systemd/systemd-journal-remote", ["--output=\(h.dir)/journal/x.journal", "-"], stdin: Data(export.utf8))
        #expect(remote.status == 0)
        try h.start()
        #expect(h.notify.status { entries, _ in entries >= messages.count } != nil, "all entries read")
        #expect(h.stop().0 == 0)
        let f = h.findings()
        #expect(f.count == 1)
        #expect((f.first?["event"] as? [String: Any])?["lines"] as? [String] == ["job failed TESTHIT 9", "\tat x.Y.z(Y.java:1)"])
        #expect(f.first?["source_host"] as? String == "edge-7")
        #expect(f.first?["event_time"] as? String == "2025-11-21T04:40:00.000Z")
    }

    @Test(.tags(.slow), .notInFastSet,
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/lib/systemd/systemd-journal-remote"), "needs systemd-journal-remote"))
    func aJournalEventThatStopsGrowingIsFlushedAtItsTimeout() throws {
        let h = try DaemonHarness(extraConfig: "    multiline: {mode: java, timeout: 300ms}\n", journal: true)
        try h.addTestRule()
        var export = ""
        for (i, message) in ["job failed TESTHIT 4", "\tat x.Y.z(Y.java:1)"].enumerated() {
            export += "__REALTIME_TIMESTAMP=\(1_763_700_000_000_000 + i * 1000)\n__MONOTONIC_TIMESTAMP=\(1_000_000 + i)\n"
            export += "_BOOT_ID=0123456789abcdef0123456789abcdef\n_PID=42\nSYSLOG_IDENTIFIER=job\nMESSAGE=\(message)\n\n"
        }
        #expect(try run("/lib/systemd/systemd-journal-remote", ["--output=\(h.dir)/journal/x.journal", "-"], stdin: Data(export.utf8)).status == 0)
        try h.start()
        // Nothing follows the event: only its timeout (a deadline of the poll loop) hands it over.
        #expect(h.waitFor(timeout: 10) { h.numbers() == [4] })
        #expect(h.stop().0 == 0)
        #expect((h.findings().first?["event"] as? [String: Any])?["cut"] == nil, "complete as far as anyone can tell")
    }

    @Test(.tags(.slow), .notInFastSet) func anEventThatStopsGrowingIsFlushedAtItsTimeoutAndItsRestIsMarked() throws {
        let h = try DaemonHarness(extraConfig: "    multiline: {mode: java, timeout: 300ms}\n")
        try h.addTestRule()
        try h.start()
        h.append("worker failed TESTHIT 7\n\tat x.Y.z(Y.java:1)\n")
        #expect(h.waitFor { h.numbers() == [7] })
        let event = try #require(h.findings().first?["event"] as? [String: Any])
        #expect(event["lines"] as? [String] == ["worker failed TESTHIT 7", "\tat x.Y.z(Y.java:1)"])
        #expect(event["cut"] == nil, "handed over at the timeout, but nothing said it was incomplete")
        // The writer goes on with the same stack trace after the pause: that part is marked.
        h.append("Caused by: java.lang.IllegalStateException: TESTHIT 8\n\tat x.Y.w(Y.java:2)\nnext job\n")
        #expect(h.waitFor { h.numbers() == [7, 8] })
        #expect(h.stop().0 == 0)
        let rest = try #require(h.findings().last?["event"] as? [String: Any])
        #expect(rest["lines"] as? [String] == ["Caused by: java.lang.IllegalStateException: TESTHIT 8", "\tat x.Y.w(Y.java:2)"])
        #expect(rest["cut"] as? String == "timeout")
    }
}

import Foundation
import Testing

/// The binary against hostile values and files, an open pipe, and a permissive umask.
@Suite struct HostileCLITests {
    func timed(_ body: () throws -> Run) rethrows -> (Run, Double) {
        let start = Date()
        let r = try body()
        return (r, Date().timeIntervalSince(start))
    }

    @Test(arguments: ["1099511627776", "9223372036854775807", "9223372036854775806"])
    func hugeMaxLineBytesIsRejectedByScanAndConfigCheck(value: String) throws {
        let log = try tempFile("a.log", errorLine + "\n")
        let scan = try connwatch(["scan", "--max-line-bytes", value, log])
        #expect(scan.status == 2)
        #expect(scan.stderr.contains("--max-line-bytes is '\(value)': expected a whole number of bytes from 256 to 16777216"), "\(scan.stderr)")
        let config = try tempFile("c.yaml", "max_line_bytes: \(value)\nrules: {directories: [\(root)/Rules]}\n")
        let check = try connwatch(["config", "check", "--config", config])
        #expect(check.status == 2)
        #expect(check.stderr.contains("\(config):1: 'max_line_bytes' is '\(value)'"), "\(check.stderr)")
    }

    static func keyBomb() -> String {
        var lines = ["x0: &l0 [a, a, a, a, a, a, a, a, a]"]
        for i in 1...9 { lines.append("x\(i): &l\(i) [" + Array(repeating: "*l\(i - 1)", count: 9).joined(separator: ", ") + "]") }
        return lines.joined(separator: "\n") + "\nrules:\n  - {*l9 : 1}\n"
    }

    @Test func aliasBombsAreAnsweredQuicklyByLintAndConfigCheck() throws {
        let rules = try tempFile("bomb.yaml", Self.keyBomb())
        let (lint, lintTook) = try timed { try connwatch(["rules", "lint", "--rules", rules]) }
        #expect(lint.status == 2)
        #expect(lint.stderr.contains("\(rules):"), "\(lint.stderr)")
        #expect(lint.stderr.contains("alias"))
        #expect(lintTook < 10)
        let config = try tempFile("c.yaml", Self.keyBomb().replacingOccurrences(of: "rules:\n  - {*l9 : 1}", with: "inputs:\n  - {*l9 : 1}"))
        let (check, checkTook) = try timed { try connwatch(["config", "check", "--config", config]) }
        #expect(check.status == 2)
        #expect(check.stderr.contains("\(config):"), "\(check.stderr)")
        #expect(checkTook < 10)
    }

    @Test func lintWarnsAboutAnExpensivePatternAndStillPasses() throws {
        let rules = try tempFile("slow.yaml", """
        apps:
          box: {name: Box, detect: ['box']}
        rules:
          - id: connector.slow
            kind: connector
            severity: high
            title: {en: T, ko: T}
            remediation: {en: R, ko: R}
            patterns: ['a{1,300}a{1,300}x|zz[z]end']
            examples: {match: ['zzzend'], no_match: ['aaa']}
        """)
        let lint = try connwatch(["rules", "lint", "--rules", rules])
        #expect(lint.status == 0)
        #expect(lint.stderr.contains("warning: \(rules):9: rule 'connector.slow': pattern 1 is expensive"), "\(lint.stderr)")
    }

    /// A log line (or a file name) with terminal escapes, a bell, carriage returns or bidi overrides must not act on
    /// the operator's terminal through `scan --format text` or `explain`.
    @Test func textOutputAndExplainShowControlCharactersAsEscapes() throws {
        let hostile = "x AADSTS50126: Error validating credentials \u{1B}]0;pwned\u{07} \u{1B}[2J\r\u{9B}1mfake \u{202E}gnp.exe"
        let log = try tempFile("app\u{1B}[31m.log", hostile + "\n")
        let scan = try connwatch(["scan", "--format", "text", "--no-throttle", log])
        let explain = try connwatch(["explain", hostile])
        for (name, out) in [("scan", scan), ("explain", explain)] {
            #expect(out.status == 0, "\(name): \(out.stderr)")
            #expect(out.stdout.contains("AADSTS50126"), "\(name): \(out.stdout)")
            let live = out.stdout.unicodeScalars.filter { ($0.value < 0x20 && $0 != "\n" && $0 != "\t") || (0x7F...0x9F).contains($0.value) || $0 == "\u{202E}" }
            #expect(live.isEmpty, "\(name) printed raw controls \(live.map { String($0.value, radix: 16) }): \(out.stdout)")
        }
        #expect(scan.stdout.contains(#"\u001b]0;pwned\u0007 \u001b[2J\r\u009b1mfake \u202egnp.exe"#), "\(scan.stdout)")
        #expect(scan.stdout.contains(#"app\u001b[31m.log @0"#), "\(scan.stdout)")
        // explain's finding stays one valid JSON line, with the same text.
        let json = try #require(explain.stdout.split(separator: "\n").first { $0.hasPrefix("    {") })
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect((object["line"] as? String)?.hasSuffix("\u{202E}gnp.exe") == true, "\(json)")
    }

    /// `journalctl -f | connwatch scan -`: a finding must come out while the pipe is still open.
    @Test(.tags(.slow), .notInFastSet) func scanStdinStreamsALivePipe() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary())
        p.arguments = ["scan", "--format", "json", "-"]
        var env = ProcessInfo.processInfo.environment
        env["CONNWATCH_RULES_DIR"] = root + "/Rules"
        p.environment = env
        let input = Pipe(), output = Pipe()
        p.standardInput = input
        p.standardOutput = output
        try p.run()
        defer { if p.isRunning { kill(p.processIdentifier, SIGKILL) }; p.waitUntilExit() }
        input.fileHandleForWriting.write(Data((quietLine + "\n" + errorLine + "\n").utf8))
        // Wait (with a deadline) for the finding; the writer stays open all along.
        var got = Data()
        let deadline = Date().addingTimeInterval(20)
        let fd = output.fileHandleForReading.fileDescriptor
        while Date() < deadline && !got.contains(UInt8(ascii: "\n")) {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 200) > 0 else { continue }
            var buffer = [UInt8](repeating: 0, count: 65536)
            let n = read(fd, &buffer, buffer.count)
            if n <= 0 { break }
            got.append(contentsOf: buffer[0..<n])
        }
        #expect(p.isRunning, "the scan must still be waiting for more input")
        let text = String(decoding: got, as: UTF8.self)
        #expect(text.contains("\"code\":\"50126\""), "nothing before the pipe closed: \(text)")
        try input.fileHandleForWriting.close()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
    }

    @Test func gzipOnStdinIsRecognisedByItsMagic() throws {
        let log = try tempFile("a.log", quietLine + "\n" + errorLine + "\n")
        #expect(try run("/bin/sh", ["-c", "gzip -c \"$0\" > \"$0.gz\"", log]).status == 0)
        let viaGzip = try connwatch(["scan", "--format", "json", "-"], stdin: try Data(contentsOf: URL(fileURLWithPath: log + ".gz")))
        let viaPlain = try connwatch(["scan", "--format", "json", "-"], stdin: try Data(contentsOf: URL(fileURLWithPath: log)))
        #expect(viaGzip.status == 0 && viaPlain.status == 0)
        #expect(try jsonLines(viaGzip.stdout).map { $0["rule"] as? String } == jsonLines(viaPlain.stdout).map { $0["rule"] as? String })
        // One byte, no newline: still a (plain) line.
        #expect(try connwatch(["scan", "-"], stdin: Data("x".utf8)).status == 1)
    }

    func mode(_ path: String) -> mode_t {
        var st = stat()
        return stat(path, &st) == 0 ? st.st_mode & 0o7777 : 0
    }

    @Test func umask000DoesNotMakeTheCacheOrReportsWritableToOthers() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("cw-umask-\(UUID().uuidString)").path
        let log = try tempFile("a.log", errorLine + "\n")
        let scan = try run("/bin/sh", ["-c", "umask 000; exec \"$0\" scan --format json \"$1\" >/dev/null", binary(), log],
                           env: ["CONNWATCH_CACHE_DIR": base + "/cache/deeper", "CONNWATCH_RULES_DIR": root + "/Rules"])
        #expect(scan.status == 0, "\(scan.stderr)")
        #expect(mode(base + "/cache") == 0o700)
        #expect(mode(base + "/cache/deeper") == 0o700)
        let cached = try FileManager.default.contentsOfDirectory(atPath: base + "/cache/deeper")
        // The rules' database and one per app.
        #expect(cached.count > 1 && cached.allSatisfy { mode(base + "/cache/deeper/" + $0) == 0o600 })

        let findings = try tempFile("findings.json", try connwatch(["scan", "--format", "json", log]).stdout)
        let report = try run("/bin/sh", ["-c", "umask 000; exec \"$0\" report --since 2000-01-01 --format md --output-dir \"$1\" \"$2\"",
                                         binary(), base + "/reports/daily", findings])
        #expect(report.status == 0, "\(report.stderr)")
        #expect(mode(base + "/reports") == 0o750)
        #expect(mode(base + "/reports/daily") == 0o750)
        let written = try FileManager.default.contentsOfDirectory(atPath: base + "/reports/daily")
        #expect(written.count == 1 && written.allSatisfy { mode(base + "/reports/daily/" + $0) == 0o640 })
    }

    /// The daemon's state directory, checkpoints, findings file directory and cache under umask 000.
    @Test(.tags(.slow), .notInFastSet) func umask000DaemonFilesGetTheirModes() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("cw-umask-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: base + "/logs", withIntermediateDirectories: true)
        try (errorLine + "\n").write(toFile: base + "/logs/app.log", atomically: true, encoding: .utf8)
        let config = base + "/connwatch.yaml"
        try """
        state_directory: \(base)/state/connwatch
        rules: {directories: [\(root)/Rules]}
        inputs:
          - {type: file, name: app, paths: [\(base)/logs/*.log], start: beginning}
        outputs:
          file: {path: \(base)/out/findings.json, fsync: always}
        metrics: {textfile: \(base)/metrics/connwatch.prom, interval: 0.2}

        """.write(toFile: config, atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: base + "/metrics", withIntermediateDirectories: true)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "umask 000; exec \"$0\" run --config \"$1\"", binary(), config]
        var env = ProcessInfo.processInfo.environment
        env["CONNWATCH_CACHE_DIR"] = base + "/cache"
        p.environment = env
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        defer { if p.isRunning { kill(p.processIdentifier, SIGKILL) }; p.waitUntilExit() }
        func findingWritten() -> Bool {
            ((try? String(contentsOfFile: base + "/out/findings.json", encoding: .utf8)) ?? "").contains("50126")
        }
        _ = eventually { findingWritten() && FileManager.default.fileExists(atPath: base + "/metrics/connwatch.prom") }
        #expect(findingWritten())
        kill(p.processIdentifier, SIGTERM)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        #expect(mode(base + "/state") == 0o700)
        #expect(mode(base + "/state/connwatch") == 0o700)
        #expect(mode(base + "/state/connwatch/checkpoints.json") == 0o600)
        #expect(mode(base + "/out") == 0o750)
        #expect(mode(base + "/out/findings.json") == 0o640)
        #expect(mode(base + "/metrics/connwatch.prom") == 0o644)
        #expect(mode(base + "/cache") == 0o700)
        // Nothing else (no leftover temporary file) in the state directory.
        #expect(try FileManager.default.contentsOfDirectory(atPath: base + "/state/connwatch") == ["checkpoints.json"])
    }
}

import Foundation
import Testing

/// The real `connwatch` binary, run as a process: exit codes, formats, inputs.
struct Run {
    var status: Int32
    var stdout: String
    var stderr: String
}

let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

func binary() -> String {
    // The test bundle sits beside the products it was built with.
    let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("connwatch").path
    if FileManager.default.isExecutableFile(atPath: beside) { return beside }
    return root + "/.build/debug/connwatch"
}

/// Runs a program to its end: `stdin` fed, stdout and stderr collected; `env` adds (or, with nil, removes) variables.
@discardableResult
func run(_ program: String, _ args: [String], stdin: Data? = nil, env: [String: String?] = [:]) throws -> Run {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: program)
    p.arguments = args
    var environment = ProcessInfo.processInfo.environment
    for (k, v) in env { environment[k] = v }
    p.environment = environment
    let out = Pipe(), err = Pipe(), input = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = input
    try p.run()
    if let stdin { input.fileHandleForWriting.write(stdin) }
    try input.fileHandleForWriting.close()
    // Read before waiting: a full pipe would block the child.
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return Run(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
}

/// The connwatch binary (or `executable`) with the repository's rules, colour allowed, UTF-8.
@discardableResult
func connwatch(_ args: [String], stdin: Data? = nil, env: [String: String] = [:], executable: String? = nil) throws -> Run {
    var environment: [String: String?] = ["CONNWATCH_RULES_DIR": root + "/Rules", "NO_COLOR": nil, "LANG": "C.UTF-8"]
    for (k, v) in env { environment[k] = v }
    return try run(executable ?? binary(), args, stdin: stdin, env: environment)
}

/// Polls `condition` until it holds or `timeout` seconds pass; for state that nothing announces (a file another
/// process writes). Where the daemon announces its state (`READY=1`, `STATUS=`), wait on the notify socket instead.
func eventually(timeout: Double = 30, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try condition() { return true }
        Thread.sleep(forTimeInterval: 0.05)
    }
    return try condition()
}

func tempFile(_ name: String, _ contents: String) throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cw-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let path = dir.appendingPathComponent(name).path
    try contents.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

func jsonLines(_ s: String) throws -> [[String: Any]] {
    try s.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
}

let errorLine = "Nov 21 07:49:01 web01 sync[1]: AADSTS50126: Error validating credentials due to invalid username or password. Trace ID: 0f6c1f6e-3c2d-4b8e-9d55-0b3e5e2c7a00"
let quietLine = "Nov 21 07:49:01 web01 sshd[2]: Accepted publickey for deploy from 10.0.0.4 port 50126 ssh2"

@Suite struct ScanCLITests {
    @Test func exitStatusIsLikeGrep() throws {
        let found = try tempFile("a.log", quietLine + "\n" + errorLine + "\n")
        let clean = try tempFile("b.log", quietLine + "\n")
        #expect(try connwatch(["scan", found]).status == 0)
        #expect(try connwatch(["scan", clean]).status == 1)
        let missing = try connwatch(["scan", "/nonexistent/x.log"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("/nonexistent/x.log: No such file or directory"))
        // An error in one input is still status 2, while the other input's findings are printed.
        let mixed = try connwatch(["scan", found, "/nonexistent/x.log"])
        #expect(mixed.status == 2)
        #expect(try jsonLines(mixed.stdout).count == 1)
        #expect(try connwatch(["scan", "--format", "yaml", found]).status == 2)
    }

    @Test func jsonFindingsFollowTheSchema() throws {
        let path = try tempFile("a.log", quietLine + "\n" + errorLine + "\n")
        let run = try connwatch(["scan", path])
        let objects = try jsonLines(run.stdout)
        #expect(objects.count == 1)
        let f = objects[0]
        #expect(f["schema"] as? Int == 1)
        #expect(f["rule"] as? String == "aadsts.code")
        #expect(f["kind"] as? String == "aadsts")
        #expect(f["code"] as? String == "50126")
        #expect(f["trace_id"] as? String == "0f6c1f6e-3c2d-4b8e-9d55-0b3e5e2c7a00")
        let origin = f["origin"] as? [String: Any]
        #expect(origin?["path"] as? String == path)
        #expect(origin?["offset"] as? Int == quietLine.utf8.count + 1)
        #expect(origin?["inode"] is Int)
        // Validate against the JSON Schema shipped in the repository.
        let schema = root + "/schema/finding.schema.json"
        let check = Process()
        check.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        check.arguments = ["python3", "-c", """
            import json, sys, jsonschema
            schema = json.load(open(sys.argv[1]))
            for line in sys.stdin:
                jsonschema.validate(json.loads(line), schema)
            print("valid")
            """, schema]
        let input = Pipe(), output = Pipe()
        check.standardInput = input
        check.standardOutput = output
        try check.run()
        input.fileHandleForWriting.write(Data(run.stdout.utf8))
        try input.fileHandleForWriting.close()
        let verdict = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        check.waitUntilExit()
        #expect(check.terminationStatus == 0)
        #expect(verdict == "valid\n")
    }

    @Test func readsStandardInputAndDash() throws {
        let data = Data((quietLine + "\n" + errorLine + "\n").utf8)
        let implicit = try connwatch(["scan"], stdin: data)
        #expect(implicit.status == 0)
        let origin = try jsonLines(implicit.stdout).first?["origin"] as? [String: Any]
        #expect(origin?["input"] as? String == "stdin")
        #expect(origin?["offset"] as? Int == quietLine.utf8.count + 1)
        #expect(try connwatch(["scan", "-"], stdin: data).status == 0)
    }

    @Test func gzipRotatedLogsAreReadTransparently() throws {
        let plain = try tempFile("app.log.2", quietLine + "\n" + errorLine + "\n" + errorLine + "\n")
        let gz = Process()
        gz.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        gz.arguments = ["gzip", "-f", plain]
        try gz.run()
        gz.waitUntilExit()
        #expect(gz.terminationStatus == 0)
        let run = try connwatch(["scan", plain + ".gz"])
        #expect(run.status == 0)
        let objects = try jsonLines(run.stdout)
        #expect(objects.count == 2)
        #expect((objects[1]["origin"] as? [String: Any])?["offset"] as? Int == quietLine.utf8.count + errorLine.utf8.count + 2)
        // Compressed data arriving on stdin is recognised too.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: plain + ".gz"))
        #expect(try jsonLines(connwatch(["scan", "-"], stdin: bytes).stdout).count == 2)
        // A truncated .gz is an error (status 2), not a silent partial scan.
        let cut = plain + ".cut.gz"
        try bytes.prefix(bytes.count - 12).write(to: URL(fileURLWithPath: cut))
        let broken = try connwatch(["scan", cut])
        #expect(broken.status == 2)
        #expect(broken.stderr.contains(cut))
    }

    @Test func textFormatAndLanguage() throws {
        let path = try tempFile("a.log", errorLine + "\n")
        let en = try connwatch(["scan", "--format", "text", path])
        #expect(en.status == 0)
        #expect(en.stdout.contains("aadsts.code"))
        #expect(en.stdout.contains("fix:"))
        #expect(!en.stdout.contains("\u{1B}["), "no colour when stdout is not a terminal")
        let ko = try connwatch(["scan", "--format", "text", "--lang", "ko", path])
        #expect(ko.stdout.contains("조치:"))
        let fromEnv = try connwatch(["scan", path], env: ["LANG": "ko_KR.UTF-8"])
        #expect(try jsonLines(fromEnv.stdout).first?["lang"] as? String == "ko")
    }

    // script(1) gives the child a real pseudo-terminal.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script"), "needs script(1) for a pseudo-terminal"))
    func colourOnlyOnATerminalAndWithoutNO_COLOR() throws {
        let path = try tempFile("a.log", errorLine + "\n")
        let command = "\(binary()) scan \(path)"
        func underTTY(_ env: [String: String]) throws -> String {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/script")
            p.arguments = ["-qec", command, "/dev/null"]
            var e = ProcessInfo.processInfo.environment
            e["CONNWATCH_RULES_DIR"] = root + "/Rules"
            e.removeValue(forKey: "NO_COLOR")
            for (k, v) in env { e[k] = v }
            p.environment = e
            let out = Pipe()
            p.standardOutput = out
            p.standardInput = FileHandle.nullDevice
            try p.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            return String(decoding: data, as: UTF8.self)
        }
        let coloured = try underTTY([:])
        #expect(coloured.contains("\u{1B}[1;33mMEDIUM"), "text format with colour by default on a terminal")
        let plain = try underTTY(["NO_COLOR": "1"])
        #expect(plain.contains("MEDIUM"))
        #expect(!plain.contains("\u{1B}["))
    }

    @Test func interpreterFallbackWhenJITIsUnavailable() throws {
        let path = try tempFile("a.log", quietLine + "\n" + errorLine + "\n")
        let run = try connwatch(["scan", path], env: ["CONNWATCH_PCRE2_JIT": "0"])
        #expect(run.status == 0)
        #expect(try jsonLines(run.stdout).count == 1)
    }

    @Test func declaredAppDecidesAmbiguousConnectorErrors() throws {
        let path = try tempFile("a.log", "2026-11-21 connector: HttpRequestFailure: Server returned: 401 Unauthorized\n")
        let unknown = try jsonLines(connwatch(["scan", path]).stdout)
        #expect(unknown.count == 1)
        #expect(unknown[0]["app"] is NSNull)
        #expect(((unknown[0]["candidates"] as? [[String: Any]])?.count ?? 0) >= 2)
        let okta = try jsonLines(connwatch(["scan", "--app", "okta", path]).stdout)
        #expect(okta.first?["app"] as? String == "okta")
        #expect(try connwatch(["scan", "--app", "nosuch", path]).status == 2)
    }
}

@Suite struct RulesCLITests {
    @Test func lintReportsEveryMistakeWithLocation() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cw-lint-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try """
        rules:
          - id: connector.bad
            kind: connector
            severity: high
            title: {en: a, ko: 가}
            remediation: {en: a, ko: 가}
            patterns: ['Foo(']
            examples: {match: [Foo], no_match: [Bar]}
        """.write(toFile: dir + "/bad.yaml", atomically: true, encoding: .utf8)
        let run = try connwatch(["rules", "lint", "--rules", dir])
        #expect(run.status == 2)
        #expect(run.stderr.contains("bad.yaml:7: rule 'connector.bad': pattern 1 does not compile: PCRE2 error at offset 4: missing closing parenthesis"))
        let ok = try connwatch(["rules", "lint", "--timing"])
        #expect(ok.status == 0)
        #expect(ok.stdout.contains("compiled "))
        #expect(ok.stdout.contains(" pattern(s) found by required literals, the others by a regex form"))
    }

    @Test func testListAndExport() throws {
        let test = try connwatch(["rules", "test"])
        #expect(test.status == 0)
        #expect(test.stdout.hasSuffix(" passed, 0 failed\n"))
        let list = try connwatch(["rules", "list"])
        #expect(list.stdout.contains("aadsts.code"))
        let md = try connwatch(["rules", "list", "--format", "markdown"])
        #expect(md.stdout.hasPrefix("# connwatch rule catalog"))
        let export = try connwatch(["rules", "export", "--format", "patterns"])
        let patterns = export.stdout.split(separator: "\n")
        #expect(patterns.contains("AADSTS(?:\\d{5,7})(?!\\d)"))
        #expect(!export.stdout.contains("(?<code>"))
    }

    @Test func explainShowsEachStep() throws {
        let run = try connwatch(["explain", errorLine])
        #expect(run.status == 0)
        // What Vectorscan matched: the regex form here (AADSTS has no strong literal), a literal below.
        #expect(run.stdout.contains("prefilter (Vectorscan): aadsts.code (pattern 1 by its regex form)"))
        let npe = try connwatch(["explain", "Nov 21 07:49:01 web01 app[1]: java.lang.NullPointerException: null"])
        #expect(npe.stdout.contains("connector.shared.null-pointer (pattern 1 by literal 'NullPointerExcep')"), "\(npe.stdout)")
        #expect(run.stdout.contains("confirmed by PCRE2"))
        #expect(run.stdout.contains("fields: code=50126"))
        let none = try connwatch(["explain", quietLine])
        #expect(none.status == 1)
        #expect(none.stdout.contains("no pattern of any rule hit this line"))
        let file = try tempFile("e.log", quietLine + "\n" + errorLine + "\n")
        let perFile = try connwatch(["explain", "--file", file])
        #expect(perFile.stdout.contains(file + ":2: "))
        #expect(!perFile.stdout.contains(file + ":1: "))
    }

    @Test func operatorDirectoryOverridesAShippedRule() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cw-local-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try """
        rules:
          - id: connector.all-apps.service-timeout
            kind: connector
            severity: critical
            title: {en: Local timeout rule, ko: 로컬 시간 초과 규칙}
            remediation: {en: Call the on-call, ko: 당직자에게 연락}
            patterns: ['Service timeout']
            examples: {match: ['Service timeout'], no_match: ['Service started']}
        """.write(toFile: dir + "/local.yaml", atomically: true, encoding: .utf8)
        let log = try tempFile("t.log", "connector: Service timeout\n")
        let run = try connwatch(["scan", "--add-rules", dir, log])
        let objects = try jsonLines(run.stdout)
        #expect(objects.first?["severity"] as? String == "critical")
        #expect(objects.first?["title"] as? String == "Local timeout rule")
    }
}

/// systemd's MemoryDenyWriteExecute=yes, for real: the kernel's PR_SET_MDWE (Linux ≥ 6.3), kept across exec.
@Suite struct MemoryDenyWriteExecuteTests {
    @Test func scansWithTheInterpreterWhenJITMemoryIsRefused() throws {
        let log = try tempFile("a.log", quietLine + "\n" + errorLine + "\n")
        let wrapper = """
            import ctypes, os, sys
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(65, 1, 0, 0, 0) != 0:   # PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN
                print("SKIPPED: this kernel has no PR_SET_MDWE", file=sys.stderr); sys.exit(77)
            os.execv(sys.argv[1], sys.argv[1:])
            """
        func underMDWE(_ args: [String]) throws -> Run {
            try connwatch(["-c", wrapper, binary()] + args, executable: "/usr/bin/python3")
        }
        let lint = try underMDWE(["rules", "lint"])
        if lint.status == 77 { print(lint.stderr); return }
        #expect(lint.status == 0)
        #expect(lint.stdout.contains("PCRE2: interpreter (JIT unavailable)"))
        let scan = try underMDWE(["scan", log])
        #expect(scan.status == 0)
        #expect(try jsonLines(scan.stdout).map { $0["code"] as? String } == ["50126"])
        // And without the restriction the same binary uses the JIT.
        #expect(try connwatch(["rules", "lint"]).stdout.contains("PCRE2: JIT"))
    }
}

@Suite struct JournalScanCLITests {
    @Test func scansAJournalFileWithMatches() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cw-jscan-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var export = ""
        for (i, ident) in ["a", "b", "a"].enumerated() {
            export += "__REALTIME_TIMESTAMP=\(1_763_700_000_000_000 + i)\n__MONOTONIC_TIMESTAMP=\(1_000_000 + i)\n"
            export += "_BOOT_ID=0123456789abcdef0123456789abcdef\nSYSLOG_IDENTIFIER=\(ident)\nMESSAGE=\(errorLine) #\(i)\n\n"
        }
        let remote = Process()
        remote.executableURL = URL(fileURLWithPath: "/lib/systemd/systemd-journal-remote")
        remote.arguments = ["--output=\(dir)/x.journal", "-"]
        let input = Pipe()
        remote.standardInput = input
        remote.standardError = FileHandle.nullDevice
        try remote.run()
        input.fileHandleForWriting.write(Data(export.utf8))
        try input.fileHandleForWriting.close()
        remote.waitUntilExit()
        let all = try jsonLines(connwatch(["scan", "--no-throttle", "--journal", dir]).stdout)
        #expect(all.count == 3)
        #expect((all[0]["origin"] as? [String: Any])?["identifier"] as? String == "a")
        let onlyB = try connwatch(["scan", "--no-throttle", "--journal", dir + "/x.journal", "--match", "SYSLOG_IDENTIFIER=b"])
        #expect(onlyB.status == 0)
        #expect(try jsonLines(onlyB.stdout).map { $0["line"] as? String } == [errorLine + " #1"])
        #expect(try connwatch(["scan", "--journal", dir + "/missing"]).status == 2)
    }
}

import Foundation
import Testing

/// `connwatch run` as a real process: real files, real signals, a real NOTIFY_SOCKET.
final class DaemonHarness {
    let dir: String
    let config: String
    let out: String
    var process: Process?
    var outputs: [String] = []

    /// `throttle: false` (the default here) lets tests count every line's finding.
    init(extraConfig: String = "", journal: Bool = false, throttle: Bool = false) throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("cw-daemon-\(UUID().uuidString)").path
        for sub in ["logs", "state", "rules.d", "journal"] {
            try FileManager.default.createDirectory(atPath: dir + "/" + sub, withIntermediateDirectories: true)
        }
        config = dir + "/connwatch.yaml"
        out = dir + "/out"
        var yaml = """
        state_directory: \(dir)/state
        rules:
          directories: [\(root)/Rules]
          add: [\(dir)/rules.d]
        inputs:
          - type: file
            name: app
            paths: [\(dir)/logs/*.log]
            start: beginning

        """
        if journal {
            yaml += "  - type: journal\n    directory: \(dir)/journal\n    start: beginning\n"
        }
        // "@DIR@" in extraConfig stands for this harness's directory.
        try (yaml + extraConfig.replacingOccurrences(of: "@DIR@", with: dir) + (throttle ? "" : "throttle:\n  enabled: false\n")).write(toFile: config, atomically: true, encoding: .utf8)
    }

    func start(env: [String: String] = [:]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary())
        p.arguments = ["run", "--config", config]
        var e = ProcessInfo.processInfo.environment
        e["CONNWATCH_CACHE_DIR"] = dir + "/cache"
        for (k, v) in env { e[k] = v.isEmpty ? nil : v }
        p.environment = e
        let path = out + ".\(outputs.count)"
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        outputs.append(path)
        p.standardOutput = FileHandle(forWritingAtPath: path)
        _ = FileManager.default.createFile(atPath: path + ".err", contents: nil)
        p.standardError = FileHandle(forWritingAtPath: path + ".err")
        try p.run()
        process = p
    }

    /// Sends a signal and waits for the exit; returns the exit status and the seconds it took.
    func stop(_ signal: Int32 = SIGTERM) -> (Int32, Double) {
        guard let p = process else { return (-1, 0) }
        let t = Date()
        kill(p.processIdentifier, signal)
        p.waitUntilExit()
        process = nil
        return (p.terminationStatus, Date().timeIntervalSince(t))
    }

    /// What the daemon logged (all runs).
    func logged() -> String {
        outputs.map { (try? String(contentsOfFile: $0 + ".err", encoding: .utf8)) ?? "" }.joined()
    }

    func append(_ text: String, to name: String = "app.log") {
        let fd = open(dir + "/logs/" + name, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        _ = text.withCString { write(fd, $0, strlen($0)) }
        close(fd)
    }

    /// Every finding's `n` field (rule connector.test) over all runs so far.
    func numbers() -> [Int] {
        outputs.flatMap { path -> [Int] in
            let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            return text.split(separator: "\n").compactMap { line in
                guard let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
                return (o["n"] as? String).flatMap { Int($0) }
            }
        }
    }

    func waitFor(timeout: Double = 20, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return condition()
    }

    func addTestRule() throws {
        try """
        rules:
          - id: connector.test
            kind: connector
            severity: low
            title: {en: test line, ko: 테스트 줄}
            remediation: {en: none, ko: 없음}
            patterns: ['TESTHIT (?<n>\\d+)']
            examples: {match: ['TESTHIT 1', 'x TESTHIT 2'], no_match: ['TESTHIT', 'hit 1']}
        """.write(toFile: dir + "/rules.d/test.yaml", atomically: true, encoding: .utf8)
    }

    static func lines(_ range: Range<Int>) -> String { range.map { "TESTHIT \($0)\n" }.joined() }

    deinit { if let p = process { kill(p.processIdentifier, SIGKILL); p.waitUntilExit() } }
}

@Suite(.serialized) struct DaemonTests {
    @Test func sigtermThenRestartLosesNothingAndRepeatsNothing() throws {
        let h = try DaemonHarness()
        try h.addTestRule()
        h.append(DaemonHarness.lines(0..<1000))
        try h.start()
        #expect(h.waitFor { h.numbers().count == 1000 })
        h.append(DaemonHarness.lines(1000..<1500))
        let (status, seconds) = h.stop(SIGTERM)
        #expect(status == 0)
        #expect(seconds < 5)
        h.append(DaemonHarness.lines(1500..<2000))   // written while stopped
        try h.start()
        #expect(h.waitFor { h.numbers().count >= 2000 })
        Thread.sleep(forTimeInterval: 0.3)
        #expect(h.stop().0 == 0)
        let seen = h.numbers()
        #expect(seen.count == 2000, "no finding repeated after a clean restart")
        #expect(Set(seen) == Set(0..<2000), "no line lost")
    }

    @Test func sigkillThenRestartLosesNothing() throws {
        let h = try DaemonHarness()
        try h.addTestRule()
        try h.start()
        Thread.sleep(forTimeInterval: 0.3)
        for i in 0..<20 { h.append(DaemonHarness.lines((i * 100)..<(i * 100 + 100))) }
        _ = h.waitFor(timeout: 5) { h.numbers().count >= 1000 }
        _ = h.stop(SIGKILL)
        h.append(DaemonHarness.lines(2000..<2500))
        try h.start()
        #expect(h.waitFor { Set(h.numbers()).count == 2500 })
        _ = h.stop()
        #expect(Set(h.numbers()) == Set(0..<2500), "nothing lost; repeats allowed only since the last checkpoint")
    }

    @Test func sighupWithABrokenRuleKeepsTheOldRules() throws {
        let h = try DaemonHarness()
        try h.addTestRule()
        try h.start()
        h.append(DaemonHarness.lines(0..<3))
        #expect(h.waitFor { h.numbers().count == 3 })
        try "rules:\n  - id: connector.broken\n    kind: connector\n    patterns: ['(unclosed']\n"
            .write(toFile: h.dir + "/rules.d/broken.yaml", atomically: true, encoding: .utf8)
        kill(h.process!.processIdentifier, SIGHUP)
        Thread.sleep(forTimeInterval: 0.5)
        #expect(h.process?.isRunning == true)
        h.append(DaemonHarness.lines(3..<6))
        #expect(h.waitFor { h.numbers().count == 6 }, "still scanning with the old rules")
        // Fix the file and reload: the new rule set is taken.
        try FileManager.default.removeItem(atPath: h.dir + "/rules.d/broken.yaml")
        kill(h.process!.processIdentifier, SIGHUP)
        Thread.sleep(forTimeInterval: 0.5)
        h.append(DaemonHarness.lines(6..<7))
        #expect(h.waitFor { h.numbers().count == 7 })
        #expect(h.stop().0 == 0)
        #expect(h.numbers() == Array(0..<7))
    }

    @Test func notifiesSystemd() throws {
        let h = try DaemonHarness()
        try h.addTestRule()
        let socketPath = h.dir + "/notify.sock"
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        #expect(fd >= 0)
        defer { close(fd) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { buf in
            let bytes = Array(socketPath.utf8)
            buf.copyBytes(from: bytes)
            buf[bytes.count] = 0
        }
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        #expect(bound == 0)
        var tv = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        func receive(until: String) -> [String] {
            var got: [String] = []
            var buf = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = recv(fd, &buf, buf.count, 0)
                if n <= 0 { return got }
                let message = String(decoding: buf[0..<n], as: UTF8.self)
                got.append(message)
                if message.contains(until) { return got }
            }
        }
        h.append(DaemonHarness.lines(0..<5))
        try h.start(env: ["NOTIFY_SOCKET": socketPath, "WATCHDOG_USEC": "400000", "WATCHDOG_PID": ""])
        let ready = receive(until: "READY=1")
        #expect(ready.last?.contains("READY=1") == true)
        #expect(ready.last?.contains("STATUS=5 lines, 5 findings") == true)
        let watchdog = receive(until: "WATCHDOG=1")
        #expect(watchdog.last == "WATCHDOG=1")
        kill(h.process!.processIdentifier, SIGHUP)
        let reload = receive(until: "READY=1")
        #expect(reload.contains { $0.hasPrefix("RELOADING=1\nMONOTONIC_USEC=") })
        let p = h.process!.processIdentifier
        kill(p, SIGTERM)
        let stopping = receive(until: "STOPPING=1")
        #expect(stopping.last == "STOPPING=1")
        h.process?.waitUntilExit()
        #expect(h.process?.terminationStatus == 0)
    }

    @Test func configCheckNamesFileLineAndKey() throws {
        let h = try DaemonHarness(extraConfig: "outputs:\n  stdout:\n    format: xml\n")
        let run = try connwatch(["config", "check", "--config", h.config])
        #expect(run.status == 2)
        #expect(run.stderr.contains("connwatch.yaml:12: 'outputs.stdout.format' is 'xml', expected json or text"))
        let bad = try tempFile("c.yaml", "inputs:\n  - type: file\n    paths: [relative/*.log]\n    colour: red\n")
        let r2 = try connwatch(["config", "check", "--config", bad])
        #expect(r2.stderr.contains("c.yaml:4: unknown key 'colour' in a file input"))
        #expect(r2.stderr.contains("c.yaml:3: 'paths' entry 'relative/*.log' must be absolute"))
        let good = try DaemonHarness()
        let ok = try connwatch(["config", "check", "--config", good.config])
        #expect(ok.status == 0)
        #expect(ok.stdout.contains("type: file"))
    }
}

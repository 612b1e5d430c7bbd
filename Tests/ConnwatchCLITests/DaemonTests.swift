import Foundation
import Testing

/// systemd's side of sd_notify(3) for tests: a bound unix datagram socket the daemon sends `READY=1`,
/// `STATUS=…`, `RELOADING=1`, `WATCHDOG=1` and `STOPPING=1` to. Tests wait on these instead of sleeping.
final class NotifySocket {
    let path: String
    let fd: Int32
    /// Every message received so far, in order.
    private(set) var messages: [String] = []
    /// Messages before this index were consumed by `next`.
    private var cursor = 0

    init(path: String) throws {
        self.path = path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { buf in
            let bytes = Array(path.utf8)
            buf.copyBytes(from: bytes)
            buf[bytes.count] = 0
        }
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
    }

    deinit { close(fd); unlink(path) }

    /// Receives for up to `timeout` seconds; returns after the first message (or nil at the deadline).
    func receive(timeout: Double) -> String? {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, Int32(max(0, timeout) * 1000)) > 0 else { return nil }
        var buf = [UInt8](repeating: 0, count: 4096)
        let n = recv(fd, &buf, buf.count, 0)
        guard n > 0 else { return nil }
        let message = String(decoding: buf[0..<n], as: UTF8.self)
        messages.append(message)
        return message
    }

    /// The next message (after those already consumed) that satisfies `condition`, within `timeout` seconds.
    @discardableResult
    func next(timeout: Double = 30, _ condition: (String) -> Bool) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            while cursor < messages.count {
                let m = messages[cursor]
                cursor += 1
                if condition(m) { return m }
            }
            guard receive(timeout: deadline.timeIntervalSinceNow) != nil else { return nil }
        }
    }

    @discardableResult
    func next(containing text: String, timeout: Double = 30) -> String? { next(timeout: timeout) { $0.contains(text) } }

    /// Waits until the daemon's latest `STATUS=N lines, M findings` (also the one sent with `READY=1`) has counts
    /// that satisfy `condition`: the daemon's own word that it has read that far. The status is sent at most once a
    /// second; a held-back change is sent as soon as that allows.
    @discardableResult
    func status(timeout: Double = 30, _ condition: (_ lines: Int, _ findings: Int) -> Bool) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let s = lastStatus() {
                let numbers = s.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
                if numbers.count == 2 && condition(numbers[0], numbers[1]) { return s }
            }
            guard receive(timeout: deadline.timeIntervalSinceNow) != nil else { return nil }
        }
    }

    /// The daemon's status line as last announced (`STATUS=`), after reading what is waiting.
    func lastStatus() -> String? {
        while receive(timeout: 0) != nil {}
        return messages.reversed().lazy.compactMap { m in
            m.split(separator: "\n").first { $0.hasPrefix("STATUS=") }.map { String($0.dropFirst(7)) }
        }.first
    }
}

/// `connwatch run` as a real process: real files, real signals, a real NOTIFY_SOCKET.
final class DaemonHarness {
    let dir: String
    let config: String
    let out: String
    let notify: NotifySocket
    var process: Process?
    /// A program and its arguments that run the daemon (e.g. setpriv to drop capabilities); empty: run it directly.
    var launcher: [String] = []
    var outputs: [String] = []
    let journal: Bool
    let throttle: Bool
    let paths: [String]
    let fileOptions: String

    /// `throttle: false` (the default here) lets tests count every line's finding. `paths`: the file input's
    /// globs under this harness's directory; `fileOptions`: more keys of that input (YAML, 4-space indented).
    init(extraConfig: String = "", journal: Bool = false, throttle: Bool = false, paths: [String] = ["logs/*.log"],
         fileOptions: String = "") throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("cw-daemon-\(UUID().uuidString)").path
        for sub in ["logs", "state", "rules.d", "journal"] {
            try FileManager.default.createDirectory(atPath: dir + "/" + sub, withIntermediateDirectories: true)
        }
        config = dir + "/connwatch.yaml"
        out = dir + "/out"
        notify = try NotifySocket(path: dir + "/notify.sock")
        self.journal = journal
        self.throttle = throttle
        self.paths = paths
        self.fileOptions = fileOptions
        try writeConfig(extraConfig)
    }

    /// (Re)writes the configuration: the file input over `paths` (logs/*.log), plus `extraConfig` ("@DIR@" stands for
    /// this harness's directory).
    func writeConfig(_ extraConfig: String, throttle: Bool? = nil) throws {
        var yaml = """
        state_directory: \(dir)/state
        rules:
          directories: [\(root)/Rules]
          add: [\(dir)/rules.d]
        inputs:
          - type: file
            name: app
            paths: [\(paths.map { dir + "/" + $0 }.joined(separator: ", "))]
            start: beginning

        """ + fileOptions
        if journal {
            yaml += "  - type: journal\n    directory: \(dir)/journal\n    start: beginning\n"
        }
        yaml += extraConfig.replacingOccurrences(of: "@DIR@", with: dir)
        if !(throttle ?? self.throttle) { yaml += "throttle:\n  enabled: false\n" }
        try yaml.write(toFile: config, atomically: true, encoding: .utf8)
    }

    /// Starts the daemon and, unless told otherwise, waits for its `READY=1`. `stdout`: a pipe instead of the
    /// run's output file.
    func start(env: [String: String] = [:], waitReady: Bool = true, stdout: Pipe? = nil) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: launcher.first ?? binary())
        p.arguments = (launcher.isEmpty ? [] : launcher.dropFirst() + [binary()]) + ["run", "--config", config]
        var e = ProcessInfo.processInfo.environment
        e["CONNWATCH_CACHE_DIR"] = dir + "/cache"
        e["NOTIFY_SOCKET"] = notify.path
        for (k, v) in env { e[k] = v.isEmpty ? nil : v }
        p.environment = e
        let path = out + ".\(outputs.count)"
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        outputs.append(path)
        p.standardOutput = stdout ?? FileHandle(forWritingAtPath: path)
        _ = FileManager.default.createFile(atPath: path + ".err", contents: nil)
        p.standardError = FileHandle(forWritingAtPath: path + ".err")
        try p.run()
        // Only the daemon holds the pipe's write end: its exit is the reader's end of file.
        try stdout?.fileHandleForWriting.close()
        process = p
        if waitReady {
            try #require(notify.next(containing: "READY=1") != nil, "no READY=1 from the daemon; it logged: \(logged())")
        }
    }

    /// SIGHUP, then the daemon's RELOADING=1 and READY=1 (it sends READY=1 whether the reload worked or not).
    func reload() throws {
        let p = try #require(process)
        kill(p.processIdentifier, SIGHUP)
        try #require(notify.next(containing: "RELOADING=1") != nil, "no RELOADING=1")
        try #require(notify.next(containing: "READY=1") != nil, "no READY=1 after the reload")
    }

    /// Sends a signal and waits for the exit; returns the exit status and the seconds it took.
    @discardableResult
    func stop(_ signal: Int32 = SIGTERM) -> (status: Int32, seconds: Double) {
        guard let p = process else { return (-1, 0) }
        let t = Date()
        kill(p.processIdentifier, signal)
        p.waitUntilExit()
        process = nil
        return (p.terminationStatus, Date().timeIntervalSince(t))
    }

    /// Bytes the current run wrote to stdout.
    func outputSize() -> Int {
        (try? FileManager.default.attributesOfItem(atPath: outputs.last ?? "")[.size] as? Int) ?? 0
    }

    /// What the current run wrote to stdout.
    func lastOutput() -> String { (try? String(contentsOfFile: outputs.last ?? "", encoding: .utf8)) ?? "" }

    /// What the daemon logged (all runs).
    func logged() -> String {
        outputs.map { (try? String(contentsOfFile: $0 + ".err", encoding: .utf8)) ?? "" }.joined()
    }

    func append(_ text: String, to name: String = "app.log") { Self.append(text, toFile: dir + "/logs/" + name) }

    static func append(_ text: String, toFile path: String) {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
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

    /// Polls `condition` until it holds or `timeout` seconds pass.
    func waitFor(timeout: Double = 30, _ condition: () -> Bool) -> Bool { eventually(timeout: timeout, condition) }

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

/// Counts of a run: every number in `expected` found exactly once.
func expectExactlyOnce(_ seen: [Int], _ expected: Range<Int>, sourceLocation: SourceLocation = #_sourceLocation) {
    let lost = Set(expected).subtracting(seen)
    var counts: [Int: Int] = [:]
    for n in seen { counts[n, default: 0] += 1 }
    let repeated = counts.filter { $0.value > 1 }.count
    #expect(lost.isEmpty, "\(lost.count) lost, e.g. \(lost.sorted().prefix(5))", sourceLocation: sourceLocation)
    #expect(repeated == 0, "\(repeated) repeated", sourceLocation: sourceLocation)
    #expect(seen.count == expected.count, sourceLocation: sourceLocation)
}

/// A small tmpfs mounted for a test (we run as root in CI and in the dev container); unmounted at the end.
final class SmallTmpfs {
    let path: String
    init?(path: String, size: String) {
        self.path = path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        guard (try? run("/usr/bin/mount", ["-t", "tmpfs", "-o", "size=\(size),mode=0700", "tmpfs", path]))?.status == 0 else { return nil }
    }
    deinit { _ = try? run("/usr/bin/umount", ["-l", path]) }

    /// Fills the filesystem (a write that ends in ENOSPC) with `name`.
    func fill(_ name: String = "filler") {
        let fd = open(path + "/" + name, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        var chunk = [UInt8](repeating: 0x41, count: 4096)
        while write(fd, &chunk, chunk.count) > 0 {}
        close(fd)
    }

    static let available: Bool = {
        guard geteuid() == 0 else { return false }
        guard let t = SmallTmpfs(path: FileManager.default.temporaryDirectory.appendingPathComponent("cw-tmpfs-probe-\(getpid())").path, size: "64k") else { return false }
        _ = t
        return true
    }()
}

@Suite(.serialized) struct DaemonTests {
    @Test(.tags(.slow), .notInFastSet) func sigtermThenRestartLosesNothingAndRepeatsNothing() throws {
        let h = try DaemonHarness()
        try h.addTestRule()
        h.append(DaemonHarness.lines(0..<1000))
        try h.start()
        #expect(h.waitFor { h.numbers().count == 1000 })
        h.append(DaemonHarness.lines(1000..<1500))
        #expect(h.stop(SIGTERM).status == 0)
        h.append(DaemonHarness.lines(1500..<2000))   // written while stopped
        try h.start()
        #expect(h.waitFor { h.numbers().count >= 2000 })
        // A stop writes everything read: what the outputs hold afterwards is final.
        #expect(h.stop().status == 0)
        expectExactlyOnce(h.numbers(), 0..<2000)
    }

    /// Twenty clean restarts while a writer keeps appending: every line found once.
    @Test(.tags(.slow), .notInFastSet) func twentySigtermRestartsWhileWritingLoseAndRepeatNothing() throws {
        let h = try DaemonHarness()
        try h.addTestRule()
        let written = ManagedCounter()
        let log = h.dir + "/logs/app.log"
        let writer = Thread {
            var n = 0
            while !written.done {
                DaemonHarness.append(DaemonHarness.lines(n..<(n + 5)), toFile: log)
                n += 5
                written.value = n
                usleep(20_000)
            }
            written.finished = true
        }
        writer.start()
        for _ in 0..<20 {
            try h.start()
            // Let it write something each time before the next stop (a size check: parsing every run's findings
            // while the writer goes on would slow the test down more than the daemon).
            #expect(h.waitFor { h.outputSize() > 0 })
            #expect(h.stop(SIGTERM).status == 0)
        }
        written.done = true
        while !written.finished { usleep(1000) }
        let total = written.value
        try h.start()
        // Read to the last line written (by this run or, when it had caught up, by the one before).
        #expect(h.waitFor { h.outputs.suffix(2).contains { ((try? String(contentsOfFile: $0, encoding: .utf8)) ?? "").contains("\"n\":\"\(total - 1)\"") } })
        #expect(h.stop().status == 0)
        expectExactlyOnce(h.numbers(), 0..<total)
    }

    @Test(.tags(.slow), .notInFastSet) func sigkillThenRestartLosesNothing() throws {
        let h = try DaemonHarness()
        try h.addTestRule()
        try h.start()
        for i in 0..<20 { h.append(DaemonHarness.lines((i * 100)..<(i * 100 + 100))) }
        _ = h.waitFor(timeout: 5) { h.numbers().count >= 1000 }
        h.stop(SIGKILL)
        h.append(DaemonHarness.lines(2000..<2500))
        try h.start()
        #expect(h.waitFor { Set(h.numbers()).count == 2500 })
        h.stop()
        #expect(Set(h.numbers()) == Set(0..<2500), "nothing lost; repeats allowed only since the last checkpoint")
    }

    @Test(.tags(.slow), .notInFastSet) func sighupWithABrokenRuleKeepsTheOldRules() throws {
        let h = try DaemonHarness()
        try h.addTestRule()
        try h.start()
        h.append(DaemonHarness.lines(0..<3))
        #expect(h.waitFor { h.numbers().count == 3 })
        try "rules:\n  - id: connector.broken\n    kind: connector\n    patterns: ['(unclosed']\n"
            .write(toFile: h.dir + "/rules.d/broken.yaml", atomically: true, encoding: .utf8)
        try h.reload()
        #expect(h.logged().contains("reload failed, still running on the previous configuration and rules: invalid rules"))
        #expect(h.process?.isRunning == true)
        h.append(DaemonHarness.lines(3..<6))
        #expect(h.waitFor { h.numbers().count == 6 }, "still scanning with the old rules")
        // Fix the file and reload: the new rule set is taken.
        try FileManager.default.removeItem(atPath: h.dir + "/rules.d/broken.yaml")
        try h.reload()
        #expect(h.logged().contains("reloaded"))
        h.append(DaemonHarness.lines(6..<7))
        #expect(h.waitFor { h.numbers().count == 7 })
        #expect(h.stop().status == 0)
        #expect(h.numbers() == Array(0..<7))
    }

    /// A reload whose metrics path cannot be written changes nothing: not the throttle (asked for in the same
    /// reload), not the metrics file, not the rules; the old configuration goes on in full.
    @Test(.tags(.slow), .notInFastSet) func reloadWithAnUnwritableMetricsPathLeavesTheDaemonAsItWas() throws {
        let metrics = """
        metrics:
          textfile: @DIR@/metrics/connwatch.prom
          interval: 100ms

        """
        let h = try DaemonHarness(extraConfig: metrics)
        try FileManager.default.createDirectory(atPath: h.dir + "/metrics", withIntermediateDirectories: true)
        try h.addTestRule()
        h.append(DaemonHarness.lines(0..<3))
        try h.start()
        #expect(h.waitFor { h.numbers().count == 3 })
        // The new configuration: the throttle on (it would fold the TESTHIT lines into one), metrics in a directory
        // that cannot exist, and one more rule directory.
        try h.writeConfig("""
        metrics:
          textfile: /proc/connwatch-none/connwatch.prom
        throttle:
          window: 1h

        """, throttle: true)
        try h.reload()
        #expect(h.logged().contains("reload failed, still running on the previous configuration and rules: metrics"))
        h.append(DaemonHarness.lines(3..<6))
        #expect(h.waitFor { h.numbers().count == 6 }, "the old throttle (off) still passes every line")
        let prom = h.dir + "/metrics/connwatch.prom"
        #expect(h.waitFor { ((try? String(contentsOfFile: prom, encoding: .utf8)) ?? "").contains("connwatch_input_lines_total{input=\"app\"} 6") },
                "the old metrics file is still written")
        let text = (try? String(contentsOfFile: prom, encoding: .utf8)) ?? ""
        #expect(text.contains("connwatch_rule_reloads_total{result=\"failed\"} 1"))
        #expect(text.contains("connwatch_rule_reloads_total{result=\"ok\"} 0"))
        #expect(!FileManager.default.fileExists(atPath: "/proc/connwatch-none"))
        #expect(h.stop().status == 0)
        expectExactlyOnce(h.numbers(), 0..<6)
    }

    /// A backlog larger than one batch, in an input the reload adds, is read to its end right after the reload:
    /// the new pipeline's first read stops at the batch limit and the loop must go on without waiting for an
    /// event (none will come: the lines were written before the input existed).
    @Test(.tags(.slow), .notInFastSet) func aReloadDoesNotStrandABacklog() throws {
        let h = try DaemonHarness()
        try h.addTestRule()
        try FileManager.default.createDirectory(atPath: h.dir + "/other", withIntermediateDirectories: true)
        DaemonHarness.append(DaemonHarness.lines(0..<20_000), toFile: h.dir + "/other/b.log")
        try h.start()
        try h.writeConfig("  - type: file\n    name: other\n    paths: [@DIR@/other/*.log]\n    start: beginning\n")
        try h.reload()
        #expect(h.logged().contains("reloaded"))
        #expect(h.waitFor { h.lastOutput().contains("\"n\":\"19999\"") })
        #expect(h.stop().status == 0)
        expectExactlyOnce(h.numbers(), 0..<20_000)
    }

    /// stdout on a full disk (the file it is redirected to may not grow: EFBIG through RLIMIT_FSIZE): reading
    /// pauses, the write is retried with backoff, and once space returns everything arrives once.
    @Test(.tags(.slow), .notInFastSet) func stdoutOnAFullDiskLosesNothing() throws {
        let h = try DaemonHarness()
        try h.addTestRule()
        h.append(DaemonHarness.lines(0..<100))
        try h.start()
        let pid = try #require(h.process?.processIdentifier)
        #expect(h.waitFor { h.numbers().count == 100 })
        let size = (try FileManager.default.attributesOfItem(atPath: h.outputs[0])[.size] as? Int) ?? 0
        #expect(try run("/usr/bin/prlimit", ["--pid", "\(pid)", "--fsize=\(size + 300):"]).status == 0)
        h.append(DaemonHarness.lines(100..<300))
        #expect(h.notify.next(containing: "output failing: stdout") != nil, "STATUS says stdout fails")
        #expect(h.logged().contains("cannot write findings: stdout: write: File too large"))
        #expect(h.numbers().count < 300)
        #expect(try run("/usr/bin/prlimit", ["--pid", "\(pid)", "--fsize=unlimited:"]).status == 0)
        #expect(h.waitFor(timeout: 40) { h.numbers().count >= 300 }, "retried at its own deadline, no event needed")
        #expect(h.waitFor { h.logged().contains("output works again") })
        #expect(h.logged().components(separatedBy: "cannot write findings").count == 2, "logged once, not per retry")
        #expect(h.stop().status == 0)
        expectExactlyOnce(h.numbers(), 0..<300)
    }

    /// The state directory on a full disk (a small tmpfs, filled): checkpoints cannot be saved, reading
    /// pauses, the save is retried with backoff; when space returns, nothing was lost and a restart repeats nothing.
    @Test(.tags(.slow), .notInFastSet, .enabled(if: SmallTmpfs.available, "needs root to mount a tmpfs"))
    func stateDirectoryOnAFullDiskLosesAndRepeatsNothing() throws {
        let h = try DaemonHarness()
        let tmpfs = try #require(SmallTmpfs(path: h.dir + "/state", size: "256k"))
        try h.addTestRule()
        h.append(DaemonHarness.lines(0..<100))
        try h.start()
        #expect(h.waitFor { h.numbers().count == 100 })
        tmpfs.fill()
        h.append(DaemonHarness.lines(100..<200))
        #expect(h.notify.next(containing: "output failing: checkpoints") != nil, "STATUS says the checkpoints fail")
        #expect(h.logged().contains("No space left on device"))
        try FileManager.default.removeItem(atPath: tmpfs.path + "/filler")
        #expect(h.notify.next(timeout: 40) { $0.contains("STATUS=") && !$0.contains("failing") } != nil, "recovers by itself")
        h.append(DaemonHarness.lines(200..<300))
        #expect(h.waitFor { h.numbers().count >= 300 })
        #expect(h.stop().status == 0)
        h.append(DaemonHarness.lines(300..<400))
        try h.start()
        #expect(h.waitFor { h.numbers().count >= 400 })
        #expect(h.stop().status == 0)
        expectExactlyOnce(h.numbers(), 0..<400)
    }

    /// stdout into a pipe whose reader stalls (the daemon blocks in write(2), findings wait, nothing is dropped),
    /// then reads again: every finding arrives once, and a stop asked for meanwhile still writes everything.
    @Test(.tags(.slow), .notInFastSet, .enabled(if: FileManager.default.fileExists(atPath: "/proc/self/syscall"), "needs /proc/PID/syscall"))
    func stdoutIntoAStalledPipeLosesNothing() throws {
        let h = try DaemonHarness()
        try h.addTestRule()
        let pipe = Pipe()
        try h.start(stdout: pipe)
        let pid = try #require(h.process?.processIdentifier)
        h.append(DaemonHarness.lines(0..<5000))   // ~3 MB of findings: far more than a pipe holds
        // The kernel says what the loop thread is blocked in: write(2) or writev(2) (x86-64 syscalls 1 and 20; outputs
        // write a batch with writev) on fd 1, the reader stalled.
        func blockedInPipeWrite() -> Bool {
            let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
            return tasks.contains { task in
                let call = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/syscall", encoding: .utf8)) ?? ""
                return call.hasPrefix("1 0x1 ") || call.hasPrefix("20 0x1 ")
            }
        }
        #expect(h.waitFor(blockedInPipeWrite), "the daemon waits for the reader")
        kill(pid, SIGTERM)   // asked to stop while blocked: it must still write everything read
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        h.process?.waitUntilExit()
        #expect(h.process?.terminationStatus == 0)
        h.process = nil
        try data.write(to: URL(fileURLWithPath: h.outputs[0]))
        h.append(DaemonHarness.lines(5000..<5100))
        try h.start()
        #expect(h.waitFor { h.lastOutput().contains("\"n\":\"5099\"") })
        #expect(h.stop().status == 0)
        expectExactlyOnce(h.numbers(), 0..<5100)
    }

    @Test(.tags(.slow), .notInFastSet) func notifiesSystemd() throws {
        let h = try DaemonHarness()
        try h.addTestRule()
        h.append(DaemonHarness.lines(0..<5))
        try h.start(env: ["WATCHDOG_USEC": "400000", "WATCHDOG_PID": ""], waitReady: false)
        let ready = h.notify.next(containing: "READY=1")
        #expect(ready?.contains("STATUS=5 lines, 5 findings") == true)
        #expect(h.notify.next(containing: "WATCHDOG=1") == "WATCHDOG=1")
        try h.reload()
        #expect(h.notify.messages.contains { $0.hasPrefix("RELOADING=1\nMONOTONIC_USEC=") })
        kill(h.process!.processIdentifier, SIGTERM)
        #expect(h.notify.next(containing: "STOPPING=1") == "STOPPING=1")
        h.process?.waitUntilExit()
        #expect(h.process?.terminationStatus == 0)
    }

    @Test func shutdownTimeoutIsAConfigurationKey() throws {
        let h = try DaemonHarness(extraConfig: "shutdown_timeout: 2s\n")
        let ok = try connwatch(["config", "check", "--config", h.config])
        #expect(ok.status == 0 && ok.stdout.contains("shutdown_timeout: 2.0"))
        try h.writeConfig("shutdown_timeout: soon\n")
        let bad = try connwatch(["config", "check", "--config", h.config])
        #expect(bad.status == 2 && bad.stderr.contains("'shutdown_timeout' is 'soon', expected a duration"))
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
        // It builds what `run` builds: an output that cannot be opened fails the check too.
        try good.writeConfig("outputs:\n  file: {path: /proc/connwatch-none/findings.json}\n")
        let unopenable = try connwatch(["config", "check", "--config", good.config])
        #expect(unopenable.status == 2 && unopenable.stderr.contains("/proc/connwatch-none/findings.json"))
    }
}

/// A writer thread's progress, shared with the test.
final class ManagedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var _value = 0, _done = false, _finished = false
    var value: Int { get { lock.withLock { _value } } set { lock.withLock { _value = newValue } } }
    /// Asks the writer to end.
    var done: Bool { get { lock.withLock { _done } } set { lock.withLock { _done = newValue } } }
    /// The writer saw `done` and ended.
    var finished: Bool { get { lock.withLock { _finished } } set { lock.withLock { _finished = newValue } } }
}

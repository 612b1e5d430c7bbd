import Foundation
import Logging

public struct DaemonError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Everything built from one configuration: rules, inputs positioned from the checkpoints, outputs.
/// A reload builds a new one (after the old one wrote its checkpoints), so positions carry over; the throttle
/// and the metrics belong to the daemon and outlive reloads.
final class Pipeline {
    let config: Config
    let ruleSet: RuleSet
    let store: CheckpointStore
    var journals: [(name: String, input: JournalInput, fd: Int32)] = []
    var files: [FileFollower] = []
    let delivery: Delivery
    let metrics: MetricsFile?
    var state: CheckpointState
    /// Findings passed to the outputs (throttle summaries included).
    var findings: Int { delivery.delivered }
    var outputs: [any FindingOutput] { delivery.outputs }
    /// Line and byte counts already added to the metrics, per input.
    var reported: [String: (lines: UInt64, bytes: UInt64)] = [:]
    var reportedOverBudget: [String: Int] = [:]
    var journalEntries: UInt64 { journals.reduce(0) { $0 + $1.input.entriesRead } }
    var fileLines: UInt64 { files.reduce(0) { $0 + $1.linesRead } }

    init(config: Config, ruleSet: RuleSet, throttle: Throttle, metrics: MetricsFile?, logger: Logger) throws(DaemonError) {
        self.config = config
        self.ruleSet = ruleSet
        self.metrics = metrics
        store = CheckpointStore(directory: config.stateDirectory)
        do { state = try store.load() ?? CheckpointState() } catch { throw DaemonError(error.description) }
        do {
            delivery = Delivery(outputs: try Delivery.makeOutputs(config.outputs, lang: config.lang), throttle: throttle, metrics: metrics)
        } catch { throw DaemonError("output \(error)") }
        if let problem = config.unknownApps(in: ruleSet).first { throw DaemonError(problem) }
        for input in config.inputs {
            switch input {
            case .journal(let j):
                do {
                    let reader = try JournalReader(j.source)
                    try reader.addMatches(j.matches)
                    if let cursor = state.journals[j.name] {
                        if !reader.seekAfter(cursor: cursor) {
                            logger.warning("journal cursor no longer exists (vacuumed or rotated away): resuming at the oldest entry",
                                           metadata: ["input": "\(j.name)", "cursor": "\(cursor)"])
                            reader.seekHead()
                        }
                    } else if j.start == .beginning {
                        reader.seekHead()
                    } else {
                        reader.seekTail()
                    }
                    let fd = try reader.descriptor()
                    let scanner = Scanner(ruleSet)
                    scanner.events = try j.multiline.map { m throws(PatternError) in try EventBoundaries(m) }
                    journals.append((j.name, JournalInput(reader: reader, scanner: scanner, context: j.app), fd))
                } catch {
                    throw DaemonError("input '\(j.name)': \(error)")
                }
            case .file(let f):
                do {
                    let saved = state.files[f.name] ?? []
                    let firstRun = store.saved == nil
                    let scanner = Scanner(ruleSet)
                    scanner.events = try f.multiline.map { m throws(PatternError) in try EventBoundaries(m) }
                    // An open event waits for its next line as long as a partial line does, at most.
                    let timeout = min(f.partialLineTimeout, f.multiline?.timeout ?? .infinity)
                    let follower = try FileFollower(name: f.name, patterns: f.paths, context: f.app, scanner: scanner,
                                                    partialLineTimeout: timeout, checkpoints: saved,
                                                    startAtEnd: firstRun && f.start == .end)
                    follower.maxOpenFiles = f.maxOpenFiles
                    follower.excludedPaths = config.ownFiles
                    files.append(follower)
                } catch {
                    throw DaemonError("input '\(f.name)': \(error)")
                }
            }
        }
    }

    /// Findings waiting for the outputs at most, before reading pauses for a write: bounds memory in a flood.
    static let maxPendingFindings = 4096

    /// Reads the inputs until nothing is new or `maxPendingFindings` wait; findings go through the throttle to
    /// the outputs' queues. Returns true when it stopped early (call again after writing, without waiting).
    @discardableResult
    func pump() -> Bool {
        let delivery = self.delivery
        let emit: (Finding) -> Void = { delivery.offer($0) }
        let full = { delivery.pending >= Pipeline.maxPendingFindings }
        var more = false
        for j in journals {
            j.input.reader.process()
            while !full() && j.input.poll(emit: emit) > 0 {}
            if full() { more = true }
            j.input.flushStale(emit: emit)
        }
        for f in files {
            f.handleEvents()
            f.pump(emit: emit, shouldStop: full)
            if f.unfinished { more = true }
            f.flushStalePartialLines(emit: emit)
        }
        delivery.closeWindows()
        return more
    }

    /// Outputs first, checkpoints after: a checkpoint never runs ahead of a finding that is not written (and
    /// synced, as the file output's fsync policy says). A failing output keeps its queue and throws.
    func commit(now: Date = Date(), urgent: Bool = false) throws(OutputError) {
        guard try delivery.flush(now: now, urgent: urgent) else { return }
        var next = state
        for j in journals { if let c = j.input.lastCursor { next.journals[j.name] = c } }
        for f in files { next.files[f.name] = f.checkpoints.sorted { ($0.path, $0.inode) < ($1.path, $1.inode) } }
        do { try store.save(next) } catch {
            throw OutputError(output: "checkpoints", kind: "checkpoint", errno: EIO, message: "\(error)")
        }
        state = next
    }


    func descriptors() -> [pollfd] {
        journals.map { pollfd(fd: $0.fd, events: $0.input.reader.events(), revents: 0) }
            + files.map { pollfd(fd: $0.inotify, events: Int16(POLLIN), revents: 0) }
    }

    /// The earliest moment something is due without input: a partial line, a throttle window's end, an
    /// fsync or a retry of an output, the metrics file.
    func nextDeadline() -> Date? {
        var dates = delivery.nextDeadline().map { [$0] } ?? []
        if let m = metrics { dates.append(m.nextDeadline()) }
        if let seconds = (files.compactMap { $0.nextDeadline() } + journals.compactMap { $0.input.nextDeadline() }).min() {
            dates.append(Date().addingTimeInterval(seconds))
        }
        return dates.min()
    }

    /// Adds what the inputs read since the last call to the metrics and sets the gauges.
    func updateMetrics() {
        guard let m = metrics else { return }
        func count(_ name: String, lines: UInt64, bytes: UInt64) {
            let before = reported[name] ?? (0, 0)
            m.add("connwatch_input_lines_total", [("input", name)], Int64(lines &- before.lines))
            m.add("connwatch_input_bytes_total", [("input", name)], Int64(bytes &- before.bytes))
            reported[name] = (lines, bytes)
        }
        func overBudget(_ name: String, _ scanner: Scanner) {
            m.add("connwatch_lines_over_budget_total", [("input", name)], Int64(scanner.linesOverBudget - (reportedOverBudget[name] ?? 0)))
            reportedOverBudget[name] = scanner.linesOverBudget
        }
        for j in journals { overBudget(j.name, j.input.scanner) }
        for f in files { overBudget(f.name, f.scanner) }
        for j in journals {
            count(j.name, lines: j.input.entriesRead, bytes: j.input.bytesRead)
            m.set("connwatch_input_lag_seconds", [("input", j.name)], j.input.lagSeconds)
        }
        for f in files {
            count(f.name, lines: f.linesRead, bytes: f.bytesRead)
            m.set("connwatch_input_behind_bytes", [("input", f.name)], Double(f.bytesBehind))
        }
        for o in outputs { m.set("connwatch_output_pending_findings", [("output", o.name)], Double(o.pending)) }
        m.set("connwatch_throttle_open_windows", [], Double(delivery.throttle.openWindows))
        m.set("connwatch_rules", [], Double(ruleSet.ruleCount))
    }
}

/// `connwatch run`: follows the configured inputs until asked to stop. The loop runs on one thread and
/// sleeps in poll(2) on the inputs' descriptors and a wake pipe: no polling while idle.
public final class Daemon: @unchecked Sendable {
    let configPath: String?
    let logger: Logger
    let notifier = Notifier()
    let wake: (read: Int32, write: Int32)
    var pipeline: Pipeline
    var throttle: Throttle
    var metrics: MetricsFile?
    var reportedThrottled: [String: Int] = [:]
    var lastStatus = ""
    var lastStatusTime = Date.distantPast
    /// The output error being retried (logged once when it starts, once when it ends).
    var failing: OutputError?
    var reloadPostponed = false

    public init(configPath: String?, rulesOverride: [String] = [], logger: Logger) throws(DaemonError) {
        self.configPath = configPath
        self.logger = logger
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw DaemonError("pipe: \(String(cString: strerror(errno)))") }
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        wake = (fds[0], fds[1])
        let config = try Self.loadConfig(configPath)
        throttle = Throttle(config.throttle)
        metrics = config.metrics.map { MetricsFile(path: $0.path, interval: $0.interval) }
        pipeline = try Self.build(config: config, throttle: throttle, metrics: metrics, logger: logger)
        if let m = metrics {
            for kind in ["write", "fsync", "open", "journal", "checkpoint", "reload"] { m.declare("connwatch_errors_total", [("kind", kind)]) }
            for result in ["ok", "failed"] { m.declare("connwatch_rule_reloads_total", [("result", result)]) }
        }
    }

    static func loadConfig(_ path: String?) throws(DaemonError) -> Config {
        do { return try Config.load(path: path) } catch { throw DaemonError("invalid configuration:\n" + error.description) }
    }

    static func build(config: Config, throttle: Throttle, metrics: MetricsFile?, logger: Logger) throws(DaemonError) -> Pipeline {
        let ruleSet: RuleSet
        do {
            ruleSet = try RuleSet.load(directories: config.resolvedRuleDirectories, maxLineBytes: config.maxLineBytes,
                                       cacheDirectory: RuleSet.defaultCacheDirectory())
        } catch { throw DaemonError("invalid rules:\n" + error.description) }
        return try Pipeline(config: config, ruleSet: ruleSet, throttle: throttle, metrics: metrics, logger: logger)
    }

    /// Thread-safe: a write to the wake pipe.
    public func requestStop() { poke("s") }
    public func requestReload() { poke("r") }

    func poke(_ c: Character) {
        var b = c.asciiValue!
        _ = write(wake.write, &b, 1)
    }

    /// Runs until `requestStop`; returns after the last findings and checkpoints are written.
    public func run() throws(DaemonError) {
        let watchdog = notifier.watchdogInterval
        var lastPing = Date()
        var more = pipeline.pump()
        commit()
        notifier.send("READY=1\nSTATUS=\(status())")
        logger.info("following", metadata: ["inputs": "\(pipeline.config.inputs.map(\.name).joined(separator: ","))",
                                             "outputs": "\(pipeline.outputs.map(\.name).joined(separator: ","))",
                                             "rules": "\(pipeline.ruleSet.ruleCount)"])
        while true {
            var fds = [pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0)]
            // While an output fails, inputs are not read: findings would only pile up in memory.
            if failing == nil { fds += pipeline.descriptors() }
            var due = pipeline.nextDeadline()
            if let watchdog { due = min(due ?? .distantFuture, lastPing.addingTimeInterval(watchdog / 2)) }
            let timeout = more && failing == nil ? 0 : due.map { Int32(max(0, min(Double(Int32.max), ($0.timeIntervalSinceNow * 1000).rounded(.up)))) } ?? -1
            let ready = poll(&fds, nfds_t(fds.count), timeout)
            if ready < 0 && errno != EINTR { throw DaemonError("poll: \(String(cString: strerror(errno)))") }
            var stop = false, reload = false
            if fds[0].revents != 0 {
                var buf = [UInt8](repeating: 0, count: 64)
                while true {
                    let n = read(wake.read, &buf, buf.count)
                    if n <= 0 { break }
                    for b in buf[0..<n] { if b == UInt8(ascii: "s") { stop = true } else if b == UInt8(ascii: "r") { reload = true } }
                }
            }
            if failing == nil { more = pipeline.pump() } else { pipeline.delivery.closeWindows() }
            commit()
            writeMetrics()
            if let watchdog, Date().timeIntervalSince(lastPing) >= watchdog / 2 {
                notifier.send("WATCHDOG=1")
                lastPing = Date()
            }
            updateStatus()
            if stop { break }
            if reload || (reloadPostponed && failing == nil) { self.reload() }
        }
        notifier.send("STOPPING=1")
        // Close the throttle's windows so their counts are written, then a last write with a few retries.
        pipeline.delivery.closeAllWindows()
        for attempt in 0..<3 {
            if attempt > 0 { usleep(200_000) }
            do { try pipeline.commit(urgent: true); break } catch {
                if attempt == 2 {
                    writeMetrics(force: true)
                    throw DaemonError("final write failed, \(pipeline.delivery.pending) findings not written (their lines are read again at the next start): \(error)")
                }
            }
        }
        writeMetrics(force: true)
        logger.info("stopped", metadata: ["findings": "\(pipeline.findings)"])
    }

    /// Writes the outputs and, when they all succeed, the checkpoints; a failure is logged when it starts and
    /// when it ends, and retried with the outputs' backoff.
    func commit(urgent: Bool = false) {
        do {
            try pipeline.commit(urgent: urgent)
            if let failing {
                logger.notice("output works again; findings written and checkpoints moving", metadata: ["output": "\(failing.output)"])
                self.failing = nil
            }
        } catch {
            if failing?.output != error.output || failing?.errno != error.errno {
                logger.error("cannot write findings: \(error); reading paused, checkpoints held, retrying with backoff",
                             metadata: ["output": "\(error.output)", "pending": "\(pipeline.delivery.pending)"])
                metrics?.add("connwatch_errors_total", [("kind", error.kind)], 1)
            }
            failing = error
        }
    }

    func writeMetrics(force: Bool = false) {
        guard let m = metrics, force || m.due(Date()) else { return }
        pipeline.updateMetrics()
        for (rule, n) in throttle.throttledByRule where n != reportedThrottled[rule] {
            m.add("connwatch_throttled_total", [("rule", rule)], Int64(n - (reportedThrottled[rule] ?? 0)))
            reportedThrottled[rule] = n
        }
        do { try m.write() } catch { logger.warning("cannot write metrics: \(error)") }
    }

    func reload() {
        notifier.reloading()
        logger.info("reloading configuration and rules")
        // SIGHUP is also logrotate's "reopen your file": the old outputs reopen before their last write.
        pipeline.delivery.reopen()
        commit(urgent: true)
        if let failing {
            logger.warning("reload postponed until the outputs work again (their queued findings must be written first)",
                           metadata: ["output": "\(failing.output)"])
            reloadPostponed = true
            notifier.send("READY=1\nSTATUS=\(status())")
            return
        }
        reloadPostponed = false
        do {
            let config = try Self.loadConfig(configPath)
            if config.throttle != throttle.settings {
                pipeline.delivery.closeAllWindows()
                commit(urgent: true)
                throttle = Throttle(config.throttle)
            }
            if config.metrics?.path != metrics?.path || config.metrics?.interval != metrics?.interval {
                metrics = config.metrics.map { MetricsFile(path: $0.path, interval: $0.interval) }
                reportedThrottled = throttle.throttledByRule
            }
            let next = try Self.build(config: config, throttle: throttle, metrics: metrics, logger: logger)
            // The old inputs' counts since the last metrics write would go with them.
            pipeline.updateMetrics()
            pipeline = next
            pipeline.pump()
            commit()
            metrics?.add("connwatch_rule_reloads_total", [("result", "ok")], 1)
            logger.info("reloaded", metadata: ["rules": "\(pipeline.ruleSet.ruleCount)"])
        } catch {
            metrics?.add("connwatch_rule_reloads_total", [("result", "failed")], 1)
            metrics?.add("connwatch_errors_total", [("kind", "reload")], 1)
            logger.error("reload failed, still running on the previous configuration and rules: \(error)")
        }
        notifier.send("READY=1\nSTATUS=\(status())")
    }

    func status() -> String {
        var s = "\(pipeline.journalEntries + pipeline.fileLines) lines, \(pipeline.findings) findings"
        if let failing { s += "; output failing: \(failing)" }
        return s
    }

    func updateStatus() {
        let s = status()
        guard s != lastStatus, Date().timeIntervalSince(lastStatusTime) >= 1 else { return }
        notifier.send("STATUS=\(s)")
        lastStatus = s
        lastStatusTime = Date()
    }
}

import Foundation
import Logging
import ConnwatchEngine
import ConnwatchPipeline

/// Everything one configuration makes: built completely (configuration, rules, throttle, metrics, pipeline)
/// before the daemon uses any of it, so a start fails cleanly and a reload swaps all of it in one step or
/// nothing. `config check` builds one and stops there.
package struct Generation {
    package let config: Config
    let throttle: Throttle
    let metrics: MetricsFile?
    let pipeline: Pipeline
    package var ruleSet: RuleSet { pipeline.ruleSet }

    /// `current`: the running generation, whose throttle (open windows) and metrics (counters) carry over when
    /// their settings did not change.
    package static func build(configPath: String?, current: Generation? = nil, logger: Logger) throws(DaemonError) -> Generation {
        let config: Config
        do { config = try Config.load(path: configPath) } catch { throw DaemonError("invalid configuration:\n" + error.description) }
        let ruleSet: RuleSet
        do {
            ruleSet = try RuleSet.load(directories: config.resolvedRuleDirectories, maxLineBytes: config.maxLineBytes,
                                       cacheDirectory: RuleSet.defaultCacheDirectory())
        } catch { throw DaemonError("invalid rules:\n" + error.description) }
        let throttle = current.flatMap { $0.throttle.settings == config.throttle ? $0.throttle : nil } ?? Throttle(config.throttle)
        var metrics = current?.metrics
        if config.metrics?.path != metrics?.path || config.metrics?.interval != metrics?.interval {
            metrics = config.metrics.map { MetricsFile(path: $0.path, interval: $0.interval) }
            do { try metrics?.checkWritable() } catch { throw DaemonError("metrics: \(error)") }
            if let m = metrics {
                for kind in ["write", "fsync", "open", "journal", "checkpoint", "reload"] { m.declare(.errors, [("kind", kind)]) }
                for result in ["ok", "failed"] { m.declare(.ruleReloads, [("result", result)]) }
            }
        }
        let pipeline = try Pipeline(config: config, ruleSet: ruleSet, throttle: throttle, metrics: metrics, logger: logger)
        return Generation(config: config, throttle: throttle, metrics: metrics, pipeline: pipeline)
    }
}

/// `connwatch run`: follows the configured inputs until asked to stop. The loop runs on one thread and
/// sleeps in poll(2) on the inputs' descriptors and a wake pipe: no polling while idle.
package final class Daemon: @unchecked Sendable {
    /// The loop's states; every transition is in `step`.
    enum State: Equatable {
        /// Reading inputs and writing outputs.
        case running
        /// An output or the checkpoint store fails: reading paused, checkpoints held, retried at its deadline.
        case failing(OutputError)
        /// As `failing`, and a reload waits for the outputs' queues to be written first.
        case reloadPending(OutputError)
        /// Asked to stop: the loop ends and the last write runs within the shutdown budget.
        case stopping

        var failure: OutputError? {
            switch self {
            case .failing(let e), .reloadPending(let e): return e
            case .running, .stopping: return nil
            }
        }
    }

    /// Requests from other threads (signals), taken by the loop when the wake pipe wakes it.
    struct Requests { var stop = false; var reload = false }

    let configPath: String?
    let logger: Logger
    let notifier = Notifier()
    let wake: (read: Int32, write: Int32)
    let requestLock = NSLock()
    var requests = Requests()
    var current: Generation
    var pipeline: Pipeline { current.pipeline }
    var state = State.running
    /// The inputs stopped at a full batch: pump again without waiting.
    var more = false
    var reportedThrottled: [String: Int] = [:]
    var lastStatus = ""
    var lastStatusTime = Date.distantPast

    package init(configPath: String?, logger: Logger) throws(DaemonError) {
        self.configPath = configPath
        self.logger = logger
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw DaemonError("pipe: \(String(cString: strerror(errno)))") }
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        wake = (fds[0], fds[1])
        current = try Generation.build(configPath: configPath, logger: logger)
    }

    /// Thread-safe.
    package func requestStop() { request { $0.stop = true } }
    package func requestReload() { request { $0.reload = true } }

    func request(_ change: (inout Requests) -> Void) {
        requestLock.lock()
        change(&requests)
        requestLock.unlock()
        var b: UInt8 = 1
        _ = write(wake.write, &b, 1)
    }

    func takeRequests() -> Requests {
        var buf = [UInt8](repeating: 0, count: 64)
        while read(wake.read, &buf, buf.count) > 0 {}
        requestLock.lock()
        defer { requests = Requests(); requestLock.unlock() }
        return requests
    }

    /// Runs until `requestStop`; returns after the last findings and checkpoints are written.
    package func run() throws(DaemonError) {
        let watchdog = notifier.watchdogInterval
        var lastPing = Date()
        more = pipeline.pump()
        // Synced at once, not an fsync interval after start: a daemon killed within its first interval (a crash
        // loop) would otherwise read the same lines again at every start, without bound.
        commit(urgent: true)
        sendReady()
        logger.info("following", metadata: ["inputs": "\(current.config.inputs.map(\.name).joined(separator: ","))",
                                             "outputs": "\(pipeline.outputs.map(\.name).joined(separator: ","))",
                                             "rules": "\(pipeline.ruleSet.ruleCount)"])
        while state != .stopping {
            var fds = [pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0)]
            var due: Date?
            if state == .running {
                fds += pipeline.descriptors()
                due = more ? Date.distantPast : pipeline.nextDeadline()
            } else {
                // Reading paused: only the retries (and the throttle's windows, metrics) wake the loop.
                due = pipeline.nextDeadline(reading: false)
            }
            // A status change held back by the once-a-second limit is sent when the limit allows.
            if status() != lastStatus { due = min(due ?? .distantFuture, lastStatusTime.addingTimeInterval(1)) }
            if let watchdog { due = min(due ?? .distantFuture, lastPing.addingTimeInterval(watchdog / 2)) }
            let ready = poll(&fds, nfds_t(fds.count), Self.timeout(until: due))
            if ready < 0 && errno != EINTR { throw DaemonError("poll: \(String(cString: strerror(errno)))") }
            let requests = fds[0].revents != 0 ? takeRequests() : Requests()
            step(requests)
            writeMetrics()
            if let watchdog, Date().timeIntervalSince(lastPing) >= watchdog / 2 {
                notifier.send("WATCHDOG=1")
                lastPing = Date()
            }
            updateStatus()
        }
        try finish()
    }

    static func timeout(until due: Date?) -> Int32 {
        guard let due else { return -1 }
        return Int32(max(0, min(Double(Int32.max), (due.timeIntervalSinceNow * 1000).rounded(.up))))
    }

    /// One turn of the loop: read (when running), write and checkpoint, then act on requests. A reload asked
    /// for while an output fails waits in `reloadPending` and runs at the first turn after the output recovers.
    func step(_ requests: Requests) {
        if state == .running { more = pipeline.pump() } else {
            pipeline.delivery.closeWindows()
            for case let f as FileFollower in pipeline.inputs { f.noticeTruncation() }
        }
        var reloadWaiting = requests.reload
        if case .reloadPending = state { reloadWaiting = true }
        commit()
        if requests.stop { state = .stopping; return }
        guard reloadWaiting else { return }
        if let failure = state.failure {
            state = .reloadPending(failure)
            if requests.reload { postponeReload(failure) }
        } else {
            reload()
        }
    }

    /// Writes the outputs and, when they all succeed, the checkpoints; moves between running and failing.
    /// A failure is logged when it starts and when it ends.
    func commit(urgent: Bool = false) {
        do {
            try pipeline.commit(urgent: urgent)
            if let failure = state.failure {
                logger.notice("output works again; findings written and checkpoints moving", metadata: ["output": "\(failure.output)"])
                state = .running
            }
        } catch {
            let previous = state.failure
            if previous?.output != error.output || previous?.errno != error.errno {
                logger.error("cannot write findings: \(error); reading paused, checkpoints held, retrying with backoff",
                             metadata: ["output": "\(error.output)", "pending": "\(pipeline.delivery.pending)"])
                current.metrics?.add(.errors, [("kind", error.kind)], 1)
            }
            switch state {
            case .running, .failing: state = .failing(error)
            case .reloadPending: state = .reloadPending(error)
            case .stopping: break
            }
        }
    }

    /// The last write at stop: the throttle's open windows are closed so their counts are written, then the
    /// outputs and checkpoints are retried (backoff, woken at its deadlines) until `shutdownTimeout` has passed.
    func finish() throws(DaemonError) {
        notifier.send("STOPPING=1")
        pipeline.delivery.closeAllWindows()
        let deadline = Date().addingTimeInterval(current.config.shutdownTimeout)
        while true {
            // Urgent: sync whatever the fsync policy, and try now (the sleep below waited for the backoff).
            do { try pipeline.commit(urgent: true); break } catch {
                guard Date() < deadline else {
                    writeMetrics(force: true)
                    throw DaemonError("final write failed, \(pipeline.delivery.pending) findings not written (their lines are read again at the next start): \(error)")
                }
                // The last attempt is at the deadline itself, whatever the backoff says.
                Thread.sleep(until: min(pipeline.nextRetry() ?? deadline, deadline))
            }
        }
        writeMetrics(force: true)
        logger.info("stopped", metadata: ["findings": "\(pipeline.findings)"])
    }

    func writeMetrics(force: Bool = false) {
        guard let m = current.metrics, force || m.due(Date()) else { return }
        pipeline.updateMetrics()
        for (rule, n) in current.throttle.throttledByRule where n != reportedThrottled[rule] {
            m.add(.throttled, [("rule", rule)], Int64(n - (reportedThrottled[rule] ?? 0)))
            reportedThrottled[rule] = n
        }
        do { try m.write() } catch { logger.warning("cannot write metrics: \(error)") }
    }

    func postponeReload(_ failure: OutputError) {
        logger.warning("reload postponed until the outputs work again (their queued findings must be written first)",
                       metadata: ["output": "\(failure.output)"])
        sendReady()
    }

    /// All or nothing: the new generation is built completely; only then are the old outputs' queues and the
    /// old throttle's windows (when the throttle changes) written, and the new generation swapped in. Any failure
    /// leaves the running generation as it was.
    func reload() {
        notifier.reloading()
        logger.info("reloading configuration and rules")
        // SIGHUP is also logrotate's "reopen your file": the old outputs reopen before their last write.
        pipeline.delivery.reopen()
        commit(urgent: true)
        if let failure = state.failure {
            state = .reloadPending(failure)
            postponeReload(failure)
            return
        }
        do {
            let next = try Generation.build(configPath: configPath, current: current, logger: logger)
            if next.throttle !== current.throttle {
                // The old windows' counts go out through the old outputs before they are dropped.
                pipeline.delivery.closeAllWindows()
                commit(urgent: true)
                if let failure = state.failure {
                    state = .reloadPending(failure)
                    postponeReload(failure)
                    return
                }
            }
            // The old inputs' counts since the last metrics write would go with them.
            pipeline.updateMetrics()
            if next.metrics !== current.metrics { reportedThrottled = next.throttle.throttledByRule }
            current = next
            current.metrics?.add(.ruleReloads, [("result", "ok")], 1)
            logger.info("reloaded", metadata: ["rules": "\(pipeline.ruleSet.ruleCount)"])
            // The new pipeline's first read may stop at a full batch: the loop goes on without waiting.
            more = pipeline.pump()
            commit()
        } catch {
            current.metrics?.add(.ruleReloads, [("result", "failed")], 1)
            current.metrics?.add(.errors, [("kind", "reload")], 1)
            logger.error("reload failed, still running on the previous configuration and rules: \(error)")
        }
        sendReady()
    }

    func status() -> String {
        var s = "\(pipeline.linesRead) lines, \(pipeline.findings) findings"
        if let failure = state.failure { s += "; output failing: \(failure)" }
        return s
    }

    /// READY=1 with the status (start, after a reload or a postponed one).
    func sendReady() {
        lastStatus = status()
        lastStatusTime = Date()
        notifier.send("READY=1\nSTATUS=\(lastStatus)")
    }

    func updateStatus() {
        let s = status()
        guard s != lastStatus, Date().timeIntervalSince(lastStatusTime) >= 1 else { return }
        notifier.send("STATUS=\(s)")
        lastStatus = s
        lastStatusTime = Date()
    }
}

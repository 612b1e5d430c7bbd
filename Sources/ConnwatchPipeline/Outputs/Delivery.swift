import Foundation
import ConnwatchModel
import ConnwatchRules
import ConnwatchEngine

/// What the end of the pipeline tells the inputs, in one answer: go on, pause (a batch waits for the outputs:
/// bounded memory in a flood), or stop (an output cannot write; nothing more is read until it can). In the
/// spirit of ripgrep's `Sink`, whose answer stops the search: inputs check it between chunks (`shouldStop`).
package enum SinkDemand: Equatable, Sendable {
    case ready
    case full
    case failed(OutputError)
}

/// Who writes a full batch: `scan` writes it at once and reads on (nothing else to do, no checkpoints); the
/// daemon pauses its inputs and writes it in its loop, where checkpoints follow the write.
package enum BatchPolicy: Sendable {
    case writeWhenFull
    case pauseWhenFull
}

/// The path of a finding after the scanner: the throttle, then every output. Shared by `scan` and the daemon,
/// with one batch size for both.
package final class Delivery: RepeatFolder {
    package let outputs: [any FindingOutput]
    package let throttle: Throttle
    let metrics: MetricsFile?
    /// Stamps every finding (host, time, event time, source host) before the throttle sees it.
    package let enricher: Enricher
    package let policy: BatchPolicy
    /// Findings handed to the outputs (throttle summaries included).
    package private(set) var delivered = 0
    /// Findings delivered per rule and severity since the metrics last took them (`reportFindings`): a labelled
    /// counter looked up per finding cost a built key string and a registry lookup each.
    var unreported: [RuleSeverity: Int64] = [:]
    struct RuleSeverity: Hashable {
        var rule: String
        var severity: Severity
    }
    /// The last flush's failure, until a flush succeeds.
    package private(set) var failure: OutputError?

    /// When a finding arrived (a test sets it to compare runs).
    package var clock: () -> Date = Date.init

    /// Findings waiting for the outputs at most before they are written (scan) or reading pauses (daemon).
    package static let batchLimit = 4096

    package init(outputs: [any FindingOutput], throttle: Throttle, metrics: MetricsFile? = nil, enricher: Enricher = Enricher(),
                policy: BatchPolicy = .pauseWhenFull) {
        self.outputs = outputs
        self.enricher = enricher
        self.throttle = throttle
        self.metrics = metrics
        self.policy = policy
    }

    package var demand: SinkDemand {
        if let failure { return .failed(failure) }
        return pending >= Self.batchLimit ? .full : .ready
    }

    /// The inputs' `shouldStop`.
    package var shouldStop: Bool { demand != .ready }

    /// The inputs' `emit`: a finding into the throttle and the outputs' queues; with `writeWhenFull`, a full
    /// batch is written here (a failure is kept in `failure` and ends reading at the next check).
    package func accept(_ finding: Finding) {
        offer(finding, now: clock())
        writeIfFull()
    }

    func writeIfFull() {
        if policy == .writeWhenFull && failure == nil && pending >= Self.batchLimit { _ = try? flush() }
    }

    /// A finding from the scanner: passed on at first sight, folded when it repeats.
    package func offer(_ finding: Finding, now: Date = Date()) {
        var f = finding
        enricher.stamp(&f, now: now)
        throttle.offer(f, now: now, emit: deliver)
    }

    /// `accept` before the finding is built (the scanner of a file input asks): a repeat the throttle holds a
    /// window for is counted there and built only if its window's summary needs it (stamped as `offer` would
    /// have, at `now`); a first sight is built and passed on with its key computed once.
    package func take(rule: String, app: String?, fields: [(name: String, value: String)], lineBytes: Int,
                      build: @escaping () -> Finding) -> Bool {
        // Too long for a summary to keep whole: `offer` builds and cuts it.
        guard throttle.settings.enabled, lineBytes <= Throttle.keptLineBytes else { return false }
        let now = clock(), enricher = enricher
        throttle.expire(now: now, emit: deliver)
        let key = Throttle.Key(Throttle.key(rule: rule, app: app, fields: fields))
        if let window = throttle.window(key) {
            throttle.fold(at: window, rule: rule, now: now) {
                var f = build()
                enricher.stamp(&f, now: now)
                return f
            }
            return true
        }
        // A first sight: no closure kept, and no second lookup of the key.
        var f = build()
        enricher.stamp(&f, now: now)
        throttle.open(f, key: key, now: now, emit: deliver)
        writeIfFull()
        return true
    }

    /// Hands a finding (a first sight or a throttle summary) to every output.
    package func deliver(_ f: Finding) {
        for o in outputs { o.accept(f) }
        delivered += 1
        if metrics != nil { unreported[RuleSeverity(rule: f.rule, severity: f.severity), default: 0] += 1 }
    }

    /// Adds the findings delivered since the last call to the metrics (before they are written).
    package func reportFindings() {
        guard let metrics, !unreported.isEmpty else { return }
        for (k, n) in unreported { metrics.add(.findings, [("rule", k.rule), ("severity", k.severity.rawValue)], n) }
        unreported.removeAll(keepingCapacity: true)
    }

    /// Writes what the outputs hold now (`scan` of a live pipe: findings leave as their lines arrive, not only
    /// when a batch fills); a failure is kept in `failure`.
    package func writeWhatArrived() {
        guard pending > 0 && failure == nil else { return }
        _ = try? flush()
    }

    /// Emits the summaries of throttle windows that ended.
    package func closeWindows(now: Date = Date()) { throttle.expire(now: now, emit: deliver) }

    /// Emits every open window's summary (stop, end of a scan).
    package func closeAllWindows(now: Date = Date()) { throttle.flushAll(now: now, emit: deliver) }

    /// Writes every output's queue. True when all of it is durable (checkpoints may move); throws the first
    /// failure (the other outputs were still flushed, and the failing one keeps its queue).
    package func flush(now: Date = Date(), urgent: Bool = false) throws(OutputError) -> Bool {
        if urgent { for o in outputs { o.urgeNextFlush() } }
        var durable = true
        var failure: OutputError?
        for o in outputs {
            do {
                if try o.flush(now: now) == .written { durable = false }
            } catch {
                failure = failure ?? error
                durable = false
            }
        }
        self.failure = failure
        if let failure { throw failure }
        return durable
    }

    /// Everything accepted and not yet written.
    package var pending: Int { outputs.reduce(0) { $0 + $1.pending } }

    package func reopen() { for o in outputs { o.reopen() } }

    package func nextDeadline() -> Date? {
        var dates = outputs.compactMap { $0.nextDeadline() }
        if let d = throttle.nextDeadline() { dates.append(d) }
        return dates.min()
    }
}

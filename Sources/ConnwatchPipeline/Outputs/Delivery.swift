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
    package var delivered: Int { settle(); return deliveredCount }
    private var deliveredCount = 0
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

    /// Overlapped: what the scanner hands over (`take`, `accept`) is finished on the lane's thread, so reading and
    /// matching go on while the previous lines are throttled, built and encoded (2 cores: the distinct-finding
    /// flood was serial, one core idle). Everything else first waits for the lane (`settle`).
    private var lane: DeliveryLane?
    /// Items for the lane not handed over yet (one hand-over per `laneBatch`).
    private var staged: [DeliveryLane.Item] = []
    static let laneBatch = 64
    /// Set while items are in flight since the last `settle`: the outputs' pending count when the first was
    /// staged, and the lane's delivered count then (the outputs belong to the lane until the next settle).
    private var inFlightBase: (pending: Int, delivered: Int)?

    package init(outputs: [any FindingOutput], throttle: Throttle, metrics: MetricsFile? = nil, enricher: Enricher = Enricher(),
                policy: BatchPolicy = .pauseWhenFull, overlapped: Bool = false) {
        self.outputs = outputs
        self.enricher = enricher
        self.throttle = throttle
        self.metrics = metrics
        self.policy = policy
        if overlapped {
            let me = Unowned(self)
            lane = DeliveryLane { items in me.delivery.finish(items) }
        }
    }

    deinit { lane?.stop() }

    /// The delivery as the lane's thread sees it: it never outlives the delivery (`deinit` stops it first).
    private struct Unowned: @unchecked Sendable {
        unowned(unsafe) let delivery: Delivery
        init(_ delivery: Delivery) { self.delivery = delivery }
    }

    /// On the lane's thread: a batch of hand-overs, in order. Answers the delivered count.
    private func finish(_ items: [DeliveryLane.Item]) -> Int {
        for item in items {
            switch item {
            case let .take(now, rule, app, fields, build): finishTake(now: now, rule: rule, app: app, fields: fields, build: build)
            case let .offer(finding, now): offerNow(finding, now: now)
            }
        }
        return deliveredCount
    }

    private func stage(_ item: DeliveryLane.Item) {
        if inFlightBase == nil { inFlightBase = (outputs.reduce(0) { $0 + $1.pending }, deliveredCount) }
        staged.append(item)
        if staged.count >= Self.laneBatch { lane?.submit(&staged) }
    }

    /// Waits until the lane finished everything handed over: the delivery's state is this thread's again.
    func settle() {
        guard let lane, inFlightBase != nil else { return }
        lane.submit(&staged)
        lane.drain()
        inFlightBase = nil
    }

    package var demand: SinkDemand {
        if let failure { return .failed(failure) }
        return pendingWithoutSettling >= Self.batchLimit ? .full : .ready
    }

    /// `pending`, counting what the lane holds, without waiting for it (each finding it delivers is pending
    /// in every output; an item not finished counts as one).
    var pendingWithoutSettling: Int {
        guard let lane, let base = inFlightBase else { return outputs.reduce(0) { $0 + $1.pending } }
        let (unfinished, delivered) = lane.progress()
        return base.pending + (delivered - base.delivered) * outputs.count + unfinished + staged.count
    }

    /// The inputs' `shouldStop`.
    package var shouldStop: Bool { demand != .ready }

    /// The inputs' `emit`: a finding into the throttle and the outputs' queues; with `writeWhenFull`, a full
    /// batch is written here (a failure is kept in `failure` and ends reading at the next check).
    package func accept(_ finding: Finding) {
        if lane != nil { stage(.offer(finding, now: clock())) } else { offerNow(finding, now: clock()) }
        writeIfFull()
    }

    func writeIfFull() {
        if policy == .writeWhenFull && failure == nil && pendingWithoutSettling >= Self.batchLimit { _ = try? flush() }
    }

    /// A finding from the scanner: passed on at first sight, folded when it repeats.
    package func offer(_ finding: Finding, now: Date = Date()) {
        settle()
        offerNow(finding, now: now)
    }

    private func offerNow(_ finding: Finding, now: Date) {
        var f = finding
        enricher.stamp(&f, now: now)
        throttle.offer(f, now: now, emit: deliver)
    }

    /// `accept` before the finding is built (the scanner of a file input asks): a repeat the throttle holds a
    /// window for is counted there and built only if its window's summary needs it (stamped as `offer` would
    /// have, at `now`); a first sight is built and passed on with its key computed once.
    package func take(rule: String, app: String?, fields: [(name: String, value: String)], lineBytes: Int,
                      build: @escaping @Sendable () -> Finding) -> Bool {
        // Too long for a summary to keep whole: `offer` builds and cuts it.
        guard throttle.settings.enabled, lineBytes <= Throttle.keptLineBytes else { return false }
        let now = clock()
        if lane != nil {
            stage(.take(now: now, rule: rule, app: app, fields: fields, build: build))
        } else {
            finishTake(now: now, rule: rule, app: app, fields: fields, build: build)
        }
        writeIfFull()
        return true
    }

    private func finishTake(now: Date, rule: String, app: String?, fields: [(name: String, value: String)],
                            build: @escaping () -> Finding) {
        let enricher = enricher
        throttle.expire(now: now, emit: deliver)
        let key = Throttle.Key(Throttle.key(rule: rule, app: app, fields: fields))
        if let window = throttle.window(key) {
            throttle.fold(at: window, rule: rule, now: now) {
                var f = build()
                enricher.stamp(&f, now: now)
                return f
            }
            return
        }
        // A first sight: no closure kept, and no second lookup of the key.
        var f = build()
        enricher.stamp(&f, now: now)
        throttle.open(f, key: key, now: now, emit: deliver)
    }

    /// Hands a finding (a first sight or a throttle summary) to every output.
    package func deliver(_ f: Finding) {
        for o in outputs { o.accept(f) }
        deliveredCount += 1
        if metrics != nil { unreported[RuleSeverity(rule: f.rule, severity: f.severity), default: 0] += 1 }
    }

    /// Adds the findings delivered since the last call to the metrics (before they are written).
    package func reportFindings() {
        settle()
        guard let metrics, !unreported.isEmpty else { return }
        for (k, n) in unreported { metrics.add(.findings, [("rule", k.rule), ("severity", k.severity.rawValue)], n) }
        unreported.removeAll(keepingCapacity: true)
    }

    /// Writes what the outputs hold now (`scan` of a live pipe: findings leave as their lines arrive, not only
    /// when a batch fills); a failure is kept in `failure`.
    package func writeWhatArrived() {
        settle()
        guard pending > 0 && failure == nil else { return }
        _ = try? flush()
    }

    /// Emits the summaries of throttle windows that ended.
    package func closeWindows(now: Date = Date()) { settle(); throttle.expire(now: now, emit: deliver) }

    /// Emits every open window's summary (stop, end of a scan).
    package func closeAllWindows(now: Date = Date()) { settle(); throttle.flushAll(now: now, emit: deliver) }

    /// Writes every output's queue. True when all of it is durable (checkpoints may move); throws the first
    /// failure (the other outputs were still flushed, and the failing one keeps its queue).
    package func flush(now: Date = Date(), urgent: Bool = false) throws(OutputError) -> Bool {
        settle()
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
    package var pending: Int { settle(); return outputs.reduce(0) { $0 + $1.pending } }

    package func reopen() { settle(); for o in outputs { o.reopen() } }

    package func nextDeadline() -> Date? {
        settle()
        var dates = outputs.compactMap { $0.nextDeadline() }
        if let d = throttle.nextDeadline() { dates.append(d) }
        return dates.min()
    }
}

import Foundation
import Prometheus
import ConnwatchModel

/// Prometheus metrics, written as a text-exposition file for node_exporter's textfile collector: rendered by
/// swift-prometheus, written to a temporary file in the same directory and renamed over the target, so the
/// collector never reads half a file. Lives as long as the daemon (survives reloads); counters only grow.
package final class MetricsFile {
    package let path: String
    package let interval: TimeInterval
    let registry = PrometheusCollectorRegistry()
    var lastWrite = Date.distantPast
    var counters: [String: Counter] = [:]
    var gauges: [String: Gauge] = [:]

    package init(path: String, interval: TimeInterval) {
        self.path = path
        self.interval = interval
    }

    /// Our names are whole already (`connwatch_…_total`): no namespace or unit to add.
    static func descriptor(_ metric: Metric) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: metric.rawValue, unitName: "", helpText: metric.help)
    }

    static func key(_ metric: Metric, _ labels: [(String, String)]) -> String {
        labels.reduce(metric.rawValue) { $0 + "\u{1F}" + $1.0 + "=" + $1.1 }
    }

    package func add(_ metric: Metric, _ labels: [(String, String)] = [], _ amount: Int64) {
        guard amount > 0 else { return }
        counter(metric, labels).increment(by: amount)
    }

    /// A counter that exists with 0 from the start (so alerts on `increase()` see the first error).
    package func declare(_ metric: Metric, _ labels: [(String, String)] = []) { _ = counter(metric, labels) }

    func counter(_ metric: Metric, _ labels: [(String, String)]) -> Counter {
        let k = Self.key(metric, labels)
        if let c = counters[k] { return c }
        let c = registry.makeCounter(descriptor: Self.descriptor(metric), labels: labels)
        counters[k] = c
        return c
    }

    package func set(_ metric: Metric, _ labels: [(String, String)] = [], _ value: Double) {
        let k = Self.key(metric, labels)
        let g = gauges[k] ?? registry.makeGauge(descriptor: Self.descriptor(metric), labels: labels)
        gauges[k] = g
        g.set(value)
    }

    package func due(_ now: Date) -> Bool { now.timeIntervalSince(lastWrite) >= interval }
    package func nextDeadline() -> Date { lastWrite.addingTimeInterval(interval) }

    /// The exposition text as it would be written now.
    package func render(now: Date = Date()) -> [UInt8] {
        set(.lastUpdate, [], now.timeIntervalSince1970.rounded())
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }

    /// Fails when the file could not be written (its directory is missing or not writable): a reload checks
    /// this before it swaps anything in, without publishing a file (a probe created beside it, O_EXCL, removed).
    package func checkWritable() throws(OutputError) {
        let dir = (path as NSString).deletingLastPathComponent
        let probe = (dir as NSString).appendingPathComponent(".\((path as NSString).lastPathComponent).\(String(UInt64.random(in: 0...UInt64.max), radix: 36)).probe")
        let fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw OutputError(output: "metrics \(path)", kind: "open", errno: errno) }
        close(fd)
        unlink(probe)
    }

    package func write(now: Date = Date()) throws(OutputError) {
        lastWrite = now
        let bytes = render(now: now)
        // 0644: node_exporter reads it as another user; nothing secret is in it.
        do { try FileSystem.replaceAtomically(path, with: bytes, mode: 0o644, durable: false) } catch {
            throw OutputError(output: "metrics \(path)", kind: "write", errno: error.errno)
        }
    }
}

/// Every metric connwatch exports, declared once with its help text: a misspelt name does not compile.
package enum Metric: String, CaseIterable, Sendable {
    case inputLines = "connwatch_input_lines_total"
    case inputBytes = "connwatch_input_bytes_total"
    case inputLag = "connwatch_input_lag_seconds"
    case inputBehind = "connwatch_input_behind_bytes"
    case findings = "connwatch_findings_total"
    case throttled = "connwatch_throttled_total"
    case throttleOpenWindows = "connwatch_throttle_open_windows"
    case outputPending = "connwatch_output_pending_findings"
    case linesOverBudget = "connwatch_lines_over_budget_total"
    case errors = "connwatch_errors_total"
    case ruleReloads = "connwatch_rule_reloads_total"
    case rules = "connwatch_rules"
    case lastUpdate = "connwatch_last_update_timestamp_seconds"

    package var help: String {
        switch self {
        case .inputLines: return "Lines (journal entries) read, per input."
        case .inputBytes: return "Bytes of log text read, per input."
        case .inputLag: return "Journal inputs: age of the last entry when it was read (0 when caught up)."
        case .inputBehind: return "File inputs: bytes written to the followed files and not read yet."
        case .findings: return "Findings passed to the outputs (throttle summaries included), per rule and severity."
        case .throttled: return "Repeats folded by the throttle into summaries, per rule."
        case .throttleOpenWindows: return "Throttle windows open now."
        case .outputPending: return "Findings accepted by an output and not yet written."
        case .linesOverBudget: return "Lines whose rule matching stopped at the per-line PCRE2 work budget, per input."
        case .errors: return "Errors, per kind (write, fsync, open, journal, checkpoint, reload)."
        case .ruleReloads: return "Configuration and rule reloads, per result (ok, failed)."
        case .rules: return "Rules loaded."
        case .lastUpdate: return "When this file was written (Unix time)."
        }
    }
}

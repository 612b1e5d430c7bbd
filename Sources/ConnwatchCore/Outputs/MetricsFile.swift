import Foundation
import Prometheus

/// Prometheus metrics, written as a text-exposition file for node_exporter's textfile collector: rendered by
/// swift-prometheus, written to a temporary file in the same directory and renamed over the target, so the
/// collector never reads half a file. Lives as long as the daemon (survives reloads); counters only grow.
public final class MetricsFile {
    public let path: String
    public let interval: TimeInterval
    let registry = PrometheusCollectorRegistry()
    var lastWrite = Date.distantPast
    var counters: [String: Counter] = [:]
    var gauges: [String: Gauge] = [:]

    public init(path: String, interval: TimeInterval) {
        self.path = path
        self.interval = interval
    }

    static let help: [String: String] = [
        "connwatch_input_lines_total": "Lines (journal entries) read, per input.",
        "connwatch_input_bytes_total": "Bytes of log text read, per input.",
        "connwatch_input_lag_seconds": "Journal inputs: age of the last entry when it was read (0 when caught up).",
        "connwatch_input_behind_bytes": "File inputs: bytes written to the followed files and not read yet.",
        "connwatch_findings_total": "Findings passed to the outputs (throttle summaries included), per rule and severity.",
        "connwatch_throttled_total": "Repeats folded by the throttle into summaries, per rule.",
        "connwatch_throttle_open_windows": "Throttle windows open now.",
        "connwatch_output_pending_findings": "Findings accepted by an output and not yet written.",
        "connwatch_lines_over_budget_total": "Lines whose rule matching stopped at the per-line PCRE2 work budget, per input.",
        "connwatch_errors_total": "Errors, per kind (write, fsync, open, journal, checkpoint, reload).",
        "connwatch_rule_reloads_total": "Configuration and rule reloads, per result (ok, failed).",
        "connwatch_rules": "Rules loaded.",
        "connwatch_last_update_timestamp_seconds": "When this file was written (Unix time).",
    ]

    /// Our names are whole already (`connwatch_…_total`): no namespace or unit to add.
    static func descriptor(_ name: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help[name] ?? "")
    }

    static func key(_ name: String, _ labels: [(String, String)]) -> String {
        labels.reduce(name) { $0 + "\u{1F}" + $1.0 + "=" + $1.1 }
    }

    public func add(_ name: String, _ labels: [(String, String)] = [], _ amount: Int64) {
        guard amount > 0 else { return }
        let k = Self.key(name, labels)
        let c = counters[k] ?? registry.makeCounter(descriptor: Self.descriptor(name), labels: labels)
        counters[k] = c
        c.increment(by: amount)
    }

    /// A counter that exists with 0 from the start (so alerts on `increase()` see the first error).
    public func declare(_ name: String, _ labels: [(String, String)] = []) { touch(name, labels) }

    func touch(_ name: String, _ labels: [(String, String)]) {
        let k = Self.key(name, labels)
        if counters[k] == nil { counters[k] = registry.makeCounter(descriptor: Self.descriptor(name), labels: labels) }
    }

    public func set(_ name: String, _ labels: [(String, String)] = [], _ value: Double) {
        let k = Self.key(name, labels)
        let g = gauges[k] ?? registry.makeGauge(descriptor: Self.descriptor(name), labels: labels)
        gauges[k] = g
        g.set(value)
    }

    public func due(_ now: Date) -> Bool { now.timeIntervalSince(lastWrite) >= interval }
    public func nextDeadline() -> Date { lastWrite.addingTimeInterval(interval) }

    /// The exposition text as it would be written now.
    public func render(now: Date = Date()) -> [UInt8] {
        set("connwatch_last_update_timestamp_seconds", [], now.timeIntervalSince1970.rounded())
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }

    public func write(now: Date = Date()) throws(OutputError) {
        lastWrite = now
        let bytes = render(now: now)
        // 0644: node_exporter reads it as another user; nothing secret is in it.
        do { try FileSystem.replaceAtomically(path, with: bytes, mode: 0o644, durable: false) } catch {
            throw OutputError(output: "metrics \(path)", kind: "write", errno: error.errno)
        }
    }
}

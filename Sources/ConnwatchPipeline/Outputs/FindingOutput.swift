import Foundation
import ConnwatchModel

/// Why an output could not take findings; `kind` is what metrics count ("write", "fsync", "open", "journal").
package struct OutputError: Error, Sendable, CustomStringConvertible, Equatable {
    package var output: String
    package var kind: String
    package var errno: Int32
    package var message: String
    package init(output: String, kind: String, errno: Int32, message: String? = nil) {
        self.output = output; self.kind = kind; self.errno = errno
        self.message = message ?? String(cString: strerror(errno))
    }
    package var description: String { "\(output): \(kind): \(message)" }
}

/// How far an output got with what it accepted.
package enum Durability: Sendable, Equatable {
    /// Everything accepted is where the output promises (written, and synced as configured): checkpoints may move.
    case durable
    /// Written but not yet synced (fsync interval not due): checkpoints wait for the next sync.
    case written
}

/// Where findings go. An output queues what it accepts and writes it on `flush`; when a write fails the queue
/// stays, so nothing accepted is lost, and the pipeline holds checkpoints (and stops reading) until it works.
package protocol FindingOutput: AnyObject {
    var name: String { get }
    func accept(_ finding: Finding)
    func flush(now: Date) throws(OutputError) -> Durability
    /// When `flush` has work even without new findings (a due fsync, a retry after a failure).
    func nextDeadline() -> Date?
    /// Reopens files (SIGHUP; logrotate's postrotate).
    func reopen()
    /// The next flush syncs whatever its policy, and retries at once even during a backoff (stop, reload).
    func urgeNextFlush()
    /// Findings accepted and not yet written.
    var pending: Int { get }
}

extension FindingOutput {
    package func nextDeadline() -> Date? { nil }
    package func reopen() {}
    package func urgeNextFlush() {}
}

/// The one retry mechanism of everything connwatch writes (stdout, findings file, journal, checkpoints): a
/// failure is remembered and answered again without touching the disk until the backoff (1 s doubling to 30 s,
/// reset by a success) allows the next attempt; `retryAt` is the deadline the daemon's loop wakes for.
package struct Retry: Sendable {
    package private(set) var retryAt: Date?
    package private(set) var lastError: OutputError?
    /// Failed attempts since the last success.
    package private(set) var failures = 0
    private var delay: TimeInterval = 0
    let first: TimeInterval
    let limit: TimeInterval

    package init(first: TimeInterval = 1, limit: TimeInterval = 30) { self.first = first; self.limit = limit }

    /// Runs `body` unless a backoff is running (then throws the last error again).
    package mutating func attempt<T>(now: Date, _ body: () throws(OutputError) -> T) throws(OutputError) -> T {
        if let lastError, let retryAt, now < retryAt { throw lastError }
        do {
            let result = try body()
            delay = 0; retryAt = nil; lastError = nil; failures = 0
            return result
        } catch {
            delay = delay == 0 ? first : min(limit, delay * 2)
            retryAt = now.addingTimeInterval(delay)
            lastError = error
            failures += 1
            throw error
        }
    }

    /// The next attempt runs at once, backoff or not (stop, reload); the delay keeps growing if it fails again.
    package mutating func retryNow() { retryAt = nil }
}

/// Findings to stdout (json or text), buffered; a failed write (a full disk under a redirection, EPIPE's
/// cousins) keeps what is not out and retries like every other output.
package final class StdoutOutput: FindingOutput {
    package let name = "stdout"
    let encoder: any FindingEncoder
    let buffer: OutputBuffer
    var queued = 0
    var retry = Retry()

    package init(encoder: any FindingEncoder, fd: Int32 = 1) {
        self.encoder = encoder
        buffer = OutputBuffer(fd: fd)
    }

    package var pending: Int { queued }

    package func accept(_ finding: Finding) {
        encoder.encode(finding, into: &buffer.bytes)
        queued += 1
    }

    package func nextDeadline() -> Date? { retry.retryAt }
    package func urgeNextFlush() { retry.retryNow() }

    package func flush(now: Date) throws(OutputError) -> Durability {
        try retry.attempt(now: now) { () throws(OutputError) in try writeBuffer() }
        queued = 0
        return .durable
    }

    func writeBuffer() throws(OutputError) {
        do { try buffer.flush() } catch { throw OutputError(output: name, kind: "write", errno: error.errno) }
    }
}

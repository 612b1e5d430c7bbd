import Foundation

/// Why an output could not take findings; `kind` is what metrics count ("write", "fsync", "open", "journal").
public struct OutputError: Error, Sendable, CustomStringConvertible, Equatable {
    public var output: String
    public var kind: String
    public var errno: Int32
    public var message: String
    public init(output: String, kind: String, errno: Int32, message: String? = nil) {
        self.output = output; self.kind = kind; self.errno = errno
        self.message = message ?? String(cString: strerror(errno))
    }
    public var description: String { "\(output): \(kind): \(message)" }
}

/// How far an output got with what it accepted.
public enum Durability: Sendable, Equatable {
    /// Everything accepted is where the output promises (written, and synced as configured): checkpoints may move.
    case durable
    /// Written but not yet synced (fsync interval not due): checkpoints wait for the next sync.
    case written
}

/// Where findings go. An output queues what it accepts and writes it on `flush`; when a write fails the queue
/// stays, so nothing accepted is lost, and the pipeline holds checkpoints (and stops reading) until it works.
public protocol FindingOutput: AnyObject {
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
    public func nextDeadline() -> Date? { nil }
    public func reopen() {}
    public func urgeNextFlush() {}
}

/// Retry delays after a failed write: 1 s doubling to 30 s, reset by a success.
struct Backoff {
    private(set) var retryAt: Date?
    private var delay: TimeInterval = 0
    let first: TimeInterval
    let limit: TimeInterval
    init(first: TimeInterval = 1, limit: TimeInterval = 30) { self.first = first; self.limit = limit }

    func allows(_ now: Date) -> Bool { retryAt.map { now >= $0 } ?? true }
    mutating func retryNow() { retryAt = nil }
    mutating func failed(_ now: Date) {
        delay = delay == 0 ? first : min(limit, delay * 2)
        retryAt = now.addingTimeInterval(delay)
    }
    mutating func succeeded() { delay = 0; retryAt = nil }
}

/// Findings to stdout (json or text), buffered.
public final class StdoutOutput: FindingOutput {
    public let name = "stdout"
    let encoder: any FindingEncoder
    let buffer: OutputBuffer
    var queued = 0

    public init(encoder: any FindingEncoder, fd: Int32 = 1) {
        self.encoder = encoder
        buffer = OutputBuffer(fd: fd)
    }

    public var pending: Int { queued }

    public func accept(_ finding: Finding) {
        encoder.encode(finding, into: &buffer.bytes)
        queued += 1
    }

    public func flush(now: Date) throws(OutputError) -> Durability {
        do { try buffer.flush() } catch { throw OutputError(output: name, kind: "write", errno: error.errno) }
        queued = 0
        return .durable
    }
}

import Foundation

/// Buffered writes to a file descriptor (stdout for `scan`): findings are encoded straight into the buffer.
public final class OutputBuffer {
    public let fd: Int32
    public var bytes: [UInt8] = []
    let flushAt: Int

    public init(fd: Int32, flushAt: Int = 64 * 1024) {
        self.fd = fd
        self.flushAt = flushAt
        bytes.reserveCapacity(flushAt + 4096)
    }

    public func flushIfFull() throws { if bytes.count >= flushAt { try flush() } }

    public func flush() throws {
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress! + written, $0.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                throw InputError(path: "<output>", message: String(cString: strerror(errno)))
            }
            written += n
        }
        bytes.removeAll(keepingCapacity: true)
    }
}

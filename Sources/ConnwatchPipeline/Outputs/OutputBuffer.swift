import Foundation
import ConnwatchModel

/// Buffered writes to a file descriptor (stdout): findings are encoded straight into the buffer.
package final class OutputBuffer {
    package struct WriteError: Error, Sendable, CustomStringConvertible {
        package var errno: Int32
        package var description: String { String(cString: strerror(errno)) }
    }

    package let fd: Int32
    package var bytes: [UInt8] = []
    let flushAt: Int

    package init(fd: Int32, flushAt: Int = 64 * 1024) {
        self.fd = fd
        self.flushAt = flushAt
        bytes.reserveCapacity(flushAt + 4096)
    }

    package func flushIfFull() throws(WriteError) { if bytes.count >= flushAt { try flush() } }

    /// Writes the buffer; on failure what was written is dropped from it, so a retry does not repeat it.
    package func flush() throws(WriteError) {
        var written = 0
        defer { bytes.removeFirst(written) }
        if let e = bytes.withUnsafeBytes({ FileSystem.writeAll(fd, $0, written: &written) }) { throw WriteError(errno: e) }
    }
}

import CZlib
import Foundation

public struct InputError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var message: String
    public init(path: String, message: String) { self.path = path; self.message = message }
    public var description: String { "\(path): \(message)" }
}

/// Something that fills buffers with bytes: a plain file descriptor or a gzip stream.
public protocol ByteSource {
    /// Bytes read, 0 at end of input.
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int
}

public struct DescriptorSource: ByteSource {
    public let fd: Int32
    public let path: String
    public init(fd: Int32, path: String) { self.fd = fd; self.path = path }

    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        while true {
            let n = Foundation.read(fd, buffer.baseAddress, buffer.count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw InputError(path: path, message: String(cString: strerror(errno)))
        }
    }
}

/// A gzip stream (several members allowed, as `cat a.gz b.gz` makes). zlib reads non-gzip data through
/// unchanged, which is what stdin needs: it cannot be peeked at without consuming it.
public final class GzipSource: ByteSource {
    let file: gzFile
    public let path: String

    /// Takes ownership of `fd`.
    public init(fd: Int32, path: String) throws(InputError) {
        guard let file = gzdopen(fd, "rb") else {
            close(fd)
            throw InputError(path: path, message: "cannot open as gzip stream")
        }
        gzbuffer(file, 1 << 18)
        self.file = file
        self.path = path
    }

    deinit { gzclose(file) }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        let n = gzread(file, buffer.baseAddress, UInt32(min(buffer.count, Int(Int32.max))))
        if n < 0 {
            var code: Int32 = 0
            let message = gzerror(file, &code).map { String(cString: $0) } ?? "gzip error"
            throw InputError(path: path, message: "corrupt or truncated gzip data (\(message))")
        }
        // zlib stops silently on a truncated final member; say so rather than losing the tail quietly.
        if n == 0 {
            var code: Int32 = 0
            _ = gzerror(file, &code)
            if code != Z_OK && code != Z_BUF_ERROR {
                throw InputError(path: path, message: "corrupt gzip data")
            }
            if code == Z_BUF_ERROR { throw InputError(path: path, message: "truncated gzip data (unexpected end of file)") }
        }
        return Int(n)
    }
}

/// An opened input for a one-shot scan: its source, origin template and whether it was compressed.
public struct OpenedInput {
    public var source: any ByteSource
    public var origin: Origin
    public var compressed: Bool

    /// Opens a path ("-" is standard input). Gzip is recognised by its magic bytes, not by its name.
    public static func open(_ path: String) throws(InputError) -> OpenedInput {
        if path == "-" {
            let gz = try GzipSource(fd: dup(0), path: "<stdin>")
            return OpenedInput(source: gz, origin: Origin(input: "stdin"), compressed: false)
        }
        let fd = Foundation.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw InputError(path: path, message: String(cString: strerror(errno))) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let message = String(cString: strerror(errno)); close(fd)
            throw InputError(path: path, message: message)
        }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw InputError(path: path, message: "is a directory")
        }
        let origin = Origin(input: "file", path: path, inode: UInt64(st.st_ino))
        var magic: (UInt8, UInt8) = (0, 0)
        let peeked = pread(fd, &magic, 2, 0)
        if peeked == 2 && magic == (0x1F, 0x8B) {
            return OpenedInput(source: try GzipSource(fd: fd, path: path), origin: origin, compressed: true)
        }
        return OpenedInput(source: OwnedDescriptorSource(fd: fd, path: path), origin: origin, compressed: false)
    }
}

/// A descriptor source that closes its descriptor when done.
public final class OwnedDescriptorSource: ByteSource {
    var inner: DescriptorSource
    public init(fd: Int32, path: String) { inner = DescriptorSource(fd: fd, path: path) }
    deinit { close(inner.fd) }
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        try inner.read(into: buffer)
    }
}

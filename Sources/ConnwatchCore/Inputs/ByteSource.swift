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

/// A gzip stream (several members allowed, as `cat a.gz b.gz` makes), inflated as its bytes arrive: each
/// read returns as soon as some output is there, so a live pipe is not held back by a buffer to fill.
public final class GzipSource: ByteSource {
    var stream = z_stream()
    var input: UnsafeMutableRawBufferPointer
    var source: DescriptorSource
    let ownsDescriptor: Bool
    var endOfInput = false
    /// Inside a member (its header seen, its trailer not yet).
    var inMember = false
    var membersRead = 0
    var finished = false
    public let path: String

    /// Takes ownership of `fd`. `prefix`: bytes already read from it (the magic, when it was peeked).
    public init(fd: Int32, path: String, prefix: [UInt8] = []) throws(InputError) {
        self.path = path
        source = DescriptorSource(fd: fd, path: path)
        ownsDescriptor = true
        input = .allocate(byteCount: 1 << 18, alignment: 16)
        input.copyBytes(from: prefix)
        stream.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.avail_in = uInt(prefix.count)
        // 15 + 16: a gzip wrapper (not zlib, not raw deflate), the largest window.
        guard inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            input.deallocate()
            close(fd)
            throw InputError(path: path, message: "cannot open as gzip stream")
        }
    }

    deinit {
        inflateEnd(&stream)
        input.deallocate()
        if ownsDescriptor { close(source.fd) }
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        guard !finished, let out = buffer.baseAddress, buffer.count > 0 else { return 0 }
        stream.next_out = out.assumingMemoryBound(to: Bytef.self)
        stream.avail_out = uInt(min(buffer.count, Int(UInt32.max)))
        let capacity = Int(stream.avail_out)
        while Int(stream.avail_out) == capacity {
            if stream.avail_in == 0 {
                if endOfInput {
                    if inMember { throw InputError(path: path, message: "truncated gzip data (unexpected end of file)") }
                    finished = true
                    return 0
                }
                let n = try source.read(into: input)
                if n == 0 { endOfInput = true; continue }
                stream.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.avail_in = uInt(n)
            }
            if !inMember {
                // Between members: another one starts only with the magic; anything else is trailing garbage,
                // ignored as gzip(1) does (only the first member must be gzip).
                if membersRead > 0 && stream.next_in[0] != 0x1F {
                    finished = true
                    break
                }
                inMember = true
            }
            switch inflate(&stream, Z_NO_FLUSH) {
            case Z_STREAM_END:
                inMember = false
                membersRead += 1
                inflateReset(&stream)
            case Z_OK, Z_BUF_ERROR:
                break
            default:
                let message = stream.msg.map { String(cString: $0) } ?? "gzip error"
                throw InputError(path: path, message: "corrupt gzip data (\(message))")
            }
        }
        return capacity - Int(stream.avail_out)
    }
}

/// Bytes already read (a peeked magic) handed out first, then the source's own.
public struct PrefixedSource<Inner: ByteSource>: ByteSource {
    var prefix: [UInt8]
    var inner: Inner
    public init(prefix: [UInt8], _ inner: Inner) { self.prefix = prefix; self.inner = inner }

    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        guard prefix.isEmpty else {
            let n = min(prefix.count, buffer.count)
            buffer.copyBytes(from: prefix[..<n])
            prefix.removeFirst(n)
            return n
        }
        return try inner.read(into: buffer)
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
            // A pipe cannot be peeked at: read the first two bytes, then hand them out again. Plain input is
            // passed on as it arrives (`journalctl -f | connwatch scan -`).
            let fd = dup(0)
            var stdin = DescriptorSource(fd: fd, path: "<stdin>")
            var magic: [UInt8] = []
            let two = UnsafeMutableRawBufferPointer.allocate(byteCount: 2, alignment: 1)
            defer { two.deallocate() }
            while magic.count < 2 {
                let n = try stdin.read(into: UnsafeMutableRawBufferPointer(rebasing: two[magic.count...]))
                if n == 0 { break }
                magic += two[magic.count..<(magic.count + n)]
            }
            let origin = Origin(input: "stdin")
            if magic == [0x1F, 0x8B] {
                return OpenedInput(source: try GzipSource(fd: fd, path: "<stdin>", prefix: magic), origin: origin, compressed: true)
            }
            return OpenedInput(source: PrefixedSource(prefix: magic, OwnedDescriptorSource(fd: fd, path: "<stdin>")), origin: origin, compressed: false)
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

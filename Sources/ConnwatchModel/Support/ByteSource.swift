import CIsal
import Foundation

package struct InputError: Error, Sendable, CustomStringConvertible {
    package var path: String
    package var message: String
    package init(path: String, message: String) { self.path = path; self.message = message }
    package var description: String { "\(path): \(message)" }
}

/// Something that fills buffers with bytes: a plain file descriptor or a gzip stream.
package protocol ByteSource {
    /// Bytes read, 0 at end of input.
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int
}

package struct DescriptorSource: ByteSource {
    package let fd: Int32
    package let path: String
    package init(fd: Int32, path: String) { self.fd = fd; self.path = path }

    package mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        while true {
            let n = Foundation.read(fd, buffer.baseAddress, buffer.count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw InputError(path: path, message: String(cString: strerror(errno)))
        }
    }
}

/// A gzip stream (several members allowed, as `cat a.gz b.gz` makes), inflated by ISA-L's igzip on a thread of
/// its own while the reader scans what came before: decompression and matching overlap on two cores. The
/// inflater runs at most `slotCount` slots ahead (bounded memory whatever the archive inflates to). From a pipe,
/// each slot is handed over as soon as the bytes that arrived are inflated, so a live pipe is not held back by a
/// buffer to fill. Errors (corrupt or truncated data) are raised after every byte inflated before them.
package final class GzipSource: ByteSource {
    let inflater: GzipInflater
    /// The slot being read out, its byte count and how much of it was read.
    var slot: Int?
    var slotBytes = 0
    var slotRead = 0
    var pendingError: InputError?
    var finished = false
    package let path: String

    /// Takes ownership of `fd`. `prefix`: bytes already read from it (the magic, when it was peeked).
    package init(fd: Int32, path: String, prefix: [UInt8] = []) throws(InputError) {
        self.path = path
        inflater = GzipInflater(fd: fd, path: path, prefix: prefix)
        let inflater = self.inflater
        let thread = Thread { inflater.run() }
        thread.name = "connwatch-inflate"
        thread.start()
    }

    deinit {
        if let slot { inflater.release(slot) }
        inflater.cancel()
    }

    /// Copies inflated bytes into `buffer`: waits only while nothing is copied yet, then takes what is ready.
    package func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        guard let out = buffer.baseAddress, buffer.count > 0 else { return 0 }
        var copied = 0
        while copied < buffer.count {
            if slot == nil {
                if let error = pendingError {
                    if copied > 0 { break }
                    pendingError = nil
                    finished = true
                    throw error
                }
                if finished { break }
                switch inflater.next(wait: copied == 0) {
                case nil: return copied
                case .data(let index, let count)?: slot = index; slotBytes = count; slotRead = 0
                case .end?: finished = true; continue
                case .failure(let error)?: pendingError = error; continue
                }
            }
            let n = min(slotBytes - slotRead, buffer.count - copied)
            (out + copied).copyMemory(from: inflater.slots[slot!].baseAddress! + slotRead, byteCount: n)
            copied += n
            slotRead += n
            if slotRead == slotBytes {
                inflater.release(slot!)
                slot = nil
            }
        }
        return copied
    }
}

/// The inflating side of a `GzipSource`: runs a `GzipStream` on its own thread and hands filled slots over
/// through `condition`.
final class GzipInflater: @unchecked Sendable {
    enum Handed { case data(Int, Int), end, failure(InputError) }

    static let slotBytes = 1 << 18
    static let slotCount = 16
    static let wakeAt = slotCount / 2
    let slots: [UnsafeMutableRawBufferPointer]
    let condition = NSCondition()
    // Guarded by `condition`.
    var free: [Int]
    var ready: [Handed] = []
    var readyStart = 0
    var cancelled = false

    /// The inflating thread's own.
    let stream: GzipStream

    init(fd: Int32, path: String, prefix: [UInt8]) {
        stream = GzipStream(fd: fd, path: path, prefix: prefix)
        slots = (0..<Self.slotCount).map { _ in .allocate(byteCount: Self.slotBytes, alignment: 64) }
        free = Array(slots.indices)
    }

    deinit {
        for s in slots { s.deallocate() }
    }

    // MARK: reader side

    /// The next handed-over item; nil when `wait` is false and none is ready. A waiting reader is woken when
    /// half the slots are ready (or the stream ended, or from a pipe at once): on a busy machine every wake-up
    /// can cost a scheduler time slice, so they are few.
    func next(wait: Bool) -> Handed? {
        condition.lock()
        defer { condition.unlock() }
        if readyStart == ready.count {
            guard wait else { return nil }
            while readyStart == ready.count { condition.wait() }
        }
        let item = ready[readyStart]
        readyStart += 1
        if readyStart == ready.count { ready.removeAll(keepingCapacity: true); readyStart = 0 }
        return item
    }

    func release(_ slot: Int) {
        condition.lock()
        free.append(slot)
        // The inflater waits for half the slots free (see `next`).
        if free.count == Self.wakeAt { condition.broadcast() }
        condition.unlock()
    }

    /// The reader is gone: the thread stops at its next hand-over (memory is freed when both let go).
    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }

    // MARK: inflating thread

    func run() {
        while true {
            condition.lock()
            if free.isEmpty {
                while free.count < Self.wakeAt && !cancelled { condition.wait() }
            }
            if cancelled { condition.unlock(); return }
            let slot = free.removeLast()
            condition.unlock()
            var last: Handed?
            var fill = 0
            do throws(InputError) {
                fill = try stream.read(into: slots[slot])
                if fill == 0 { last = .end }
            } catch {
                last = .failure(error)
            }
            condition.lock()
            if fill > 0 { ready.append(.data(slot, fill)) } else { free.append(slot) }
            if let last { ready.append(last) }
            if last != nil || stream.handOverEarly || ready.count - readyStart >= Self.wakeAt { condition.broadcast() }
            condition.unlock()
            if last != nil { return }
        }
    }
}

/// A gzip stream (several members allowed) inflated by ISA-L's igzip on the reading thread, straight into the
/// reader's buffer: no thread, no copy. `scan` on several workers reads this way: each worker inflates the next
/// piece into its own buffer under the feed's lock and scans it while the next worker inflates the following
/// one, so inflating and matching overlap across the workers. (`GzipSource` overlaps them for a single reader.)
/// Owns its descriptor. Errors (corrupt or truncated data) are raised after every byte inflated before them.
package final class GzipStream: ByteSource {
    package let path: String
    var source: DescriptorSource
    /// From a pipe: hand over what arrived rather than wait to fill the buffer.
    let handOverEarly: Bool
    let state: UnsafeMutablePointer<inflate_state>
    let input: UnsafeMutableRawBufferPointer
    var endOfInput = false
    /// Inside a member (its header seen, its trailer not yet).
    var inMember = false
    var membersRead = 0
    /// The last inflate call stopped for want of input (not of output room).
    var needInput = true
    /// The error that ended the stream (met after some bytes of a read: raised by the next one), raised again
    /// by every read after it rather than inflating on from a broken state.
    var failure: InputError?

    /// Takes ownership of `fd`. `prefix`: bytes already read from it (the magic, when it was peeked).
    /// `handOverEarly`: nil decides by the descriptor (a regular file fills every buffer, anything else may pause).
    package init(fd: Int32, path: String, prefix: [UInt8] = [], handOverEarly: Bool? = nil) {
        source = DescriptorSource(fd: fd, path: path)
        self.path = path
        if let handOverEarly {
            self.handOverEarly = handOverEarly
        } else {
            var st = stat()
            self.handOverEarly = !(fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG)
        }
        input = .allocate(byteCount: 1 << 18, alignment: 64)
        input.copyBytes(from: prefix)
        state = .allocate(capacity: 1)
        isal_inflate_init(state)
        state.pointee.crc_flag = UInt32(ISAL_GZIP)
        state.pointee.next_in = input.baseAddress!.assumingMemoryBound(to: UInt8.self)
        state.pointee.avail_in = UInt32(prefix.count)
    }

    deinit {
        close(source.fd)
        state.deallocate()
        input.deallocate()
    }

    /// Fills `buffer` (less from a pipe whose next read would wait); 0 at the end of the stream.
    package func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        if let failure { throw failure }
        var fill = 0
        do {
            try inflate(into: buffer, fill: &fill)
        } catch {
            failure = error
            if fill == 0 { throw error }
        }
        return fill
    }

    func inflate(into buffer: UnsafeMutableRawBufferPointer, fill: inout Int) throws(InputError) {
        let capacity = buffer.count
        while fill < capacity {
            if needInput && state.pointee.avail_in == 0 {
                if endOfInput {
                    if inMember { throw InputError(path: path, message: "truncated gzip data (unexpected end of file)") }
                    break
                }
                if handOverEarly && fill > 0 { break }
                let n = try source.read(into: input)
                if n == 0 { endOfInput = true; continue }
                state.pointee.next_in = input.baseAddress!.assumingMemoryBound(to: UInt8.self)
                state.pointee.avail_in = UInt32(n)
            }
            if !inMember {
                if state.pointee.avail_in == 0 { needInput = true; continue }
                // Between members: another one starts only with the magic; anything else is trailing garbage,
                // ignored as gzip(1) does (only the first member must be gzip).
                if membersRead > 0 && state.pointee.next_in[0] != 0x1F {
                    endOfInput = true
                    state.pointee.avail_in = 0
                    break
                }
                inMember = true
            }
            state.pointee.next_out = (buffer.baseAddress! + fill).assumingMemoryBound(to: UInt8.self)
            state.pointee.avail_out = UInt32(capacity - fill)
            let status = isal_inflate(state)
            fill = capacity - Int(state.pointee.avail_out)
            if status != ISAL_DECOMP_OK {
                throw InputError(path: path, message: "corrupt gzip data (\(Self.describe(status)))")
            }
            needInput = state.pointee.avail_out > 0
            if state.pointee.block_state == ISAL_BLOCK_FINISH {
                inMember = false
                membersRead += 1
                let (next, available) = (state.pointee.next_in, state.pointee.avail_in)
                isal_inflate_reset(state)
                state.pointee.crc_flag = UInt32(ISAL_GZIP)
                state.pointee.next_in = next
                state.pointee.avail_in = available
                needInput = available == 0
            }
        }
    }

    static func describe(_ status: Int32) -> String {
        switch status {
        case ISAL_INVALID_BLOCK: "invalid deflate block"
        case ISAL_INVALID_SYMBOL: "invalid deflate symbol"
        case ISAL_INVALID_LOOKBACK: "distance too far back"
        case ISAL_INVALID_WRAPPER: "invalid gzip header"
        case ISAL_UNSUPPORTED_METHOD: "unknown compression method"
        case ISAL_INCORRECT_CHECKSUM: "checksum mismatch"
        case ISAL_NEED_DICT: "needs a preset dictionary"
        default: "igzip status \(status)"
        }
    }
}

/// Bytes already read (a peeked magic) handed out first, then the source's own.
package struct PrefixedSource<Inner: ByteSource>: ByteSource {
    var prefix: [UInt8]
    var inner: Inner
    package init(prefix: [UInt8], _ inner: Inner) { self.prefix = prefix; self.inner = inner }

    package mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
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
package struct OpenedInput {
    package var source: any ByteSource
    package var origin: Origin
    package var compressed: Bool
    /// A plain stream that may pause (standard input, a FIFO, a character device): its descriptor, for
    /// waiting on it with a timeout. nil for regular files and gzip streams.
    package var liveDescriptor: Int32?
    /// Bytes of `source` already read from `liveDescriptor` (a peeked magic): there without waiting.
    package var pendingBytes = 0

    /// Opens a path ("-" is standard input). Gzip is recognised by its magic bytes, not by its name.
    /// `inflateOnReader`: a gzip input is a `GzipStream` (inflated by whoever reads it: several workers take
    /// turns) instead of a `GzipSource` (inflated on a thread of its own, for a single reader).
    package static func open(_ path: String, inflateOnReader: Bool = false) throws(InputError) -> OpenedInput {
        func gzip(_ fd: Int32, _ path: String, _ prefix: [UInt8]) throws(InputError) -> any ByteSource {
            inflateOnReader ? GzipStream(fd: fd, path: path, prefix: prefix) : try GzipSource(fd: fd, path: path, prefix: prefix)
        }
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
                return OpenedInput(source: try gzip(fd, "<stdin>", magic), origin: origin, compressed: true)
            }
            return OpenedInput(source: PrefixedSource(prefix: magic, OwnedDescriptorSource(fd: fd, path: "<stdin>")), origin: origin,
                               compressed: false, liveDescriptor: fd, pendingBytes: magic.count)
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
            return OpenedInput(source: try gzip(fd, path, []), origin: origin, compressed: true)
        }
        let type = st.st_mode & S_IFMT
        let live = type == S_IFIFO || type == S_IFCHR || type == S_IFSOCK
        return OpenedInput(source: OwnedDescriptorSource(fd: fd, path: path), origin: origin, compressed: false,
                           liveDescriptor: live ? fd : nil)
    }
}

/// A live stream read with a timeout: a read that finds nothing within `timeout` seconds returns 0 and sets
/// `paused` (not the end: `ended` says that), so that the reader can hand over an event the writer left open.
package struct PausingSource: ByteSource {
    var inner: any ByteSource
    let fd: Int32
    let timeout: Double
    /// Bytes the inner source holds without reading the descriptor (no wait for them).
    var pending: Int
    package private(set) var paused = false
    package private(set) var ended = false

    package init(_ inner: any ByteSource, fd: Int32, timeout: Double, pending: Int = 0) {
        self.inner = inner
        self.fd = fd
        self.timeout = timeout
        self.pending = pending
    }

    package mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        paused = false
        if pending == 0 {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ms = Int32(min((timeout * 1000).rounded(.up), Double(Int32.max)))
            while true {
                let r = poll(&p, 1, ms)
                if r == 0 { paused = true; return 0 }
                if r < 0 && errno == EINTR { continue }
                break // readable, hung up or failed: the read says which
            }
        }
        let n = try inner.read(into: buffer)
        pending = max(0, pending - n)
        if n == 0 { ended = true }
        return n
    }
}

/// A descriptor source that closes its descriptor when done.
package final class OwnedDescriptorSource: ByteSource {
    var inner: DescriptorSource
    package init(fd: Int32, path: String) { inner = DescriptorSource(fd: fd, path: path) }
    deinit { close(inner.fd) }
    package func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        try inner.read(into: buffer)
    }
}

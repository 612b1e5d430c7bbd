import Foundation

/// Where a followed file was read up to. Files are told apart by device + inode + a fingerprint of their
/// first bytes (inodes are reused after deletion), never by path: paths move under rotation.
public struct FileCheckpoint: Codable, Sendable, Equatable {
    public var path: String
    public var device: UInt64
    public var inode: UInt64
    public var offset: UInt64
    public var fingerprint: String
}

/// Follows the files matching a set of globs with inotify (no polling): growth, rotation by rename
/// (the old file is read to its end), copytruncate (size below offset → start again at 0), delete and
/// recreate, files created later, and renames while connwatch was stopped. Not Sendable: one per task.
public final class FileFollower {
    public let name: String
    public let patterns: [String]
    public let context: String?
    public let scanner: Scanner
    public let partialLineTimeout: Double
    public let inotify: Int32
    var watches: [Int32: String] = [:]
    var tracked: [Key: Tracked] = [:]
    /// Files closed to keep descriptors bounded (idle the longest, nothing held): remembered by position and
    /// reopened there when they grow (or shrink: copytruncate).
    var parked: [Key: FileCheckpoint] = [:]
    /// At most this many files are held open.
    public var maxOpenFiles = 256
    /// connwatch's own files (findings file, metrics) and their rotated copies (`PATH.1`, `PATH-20261121.gz`):
    /// never read, even when a glob matches them.
    public var excludedPaths: [String] = []
    var pendingCheckpoints: [Key: FileCheckpoint]
    var needsRescan = true
    public private(set) var bytesRead: UInt64 = 0
    public private(set) var linesRead: UInt64 = 0
    static let fingerprintBytes = 64
    static let chunkBytes = 256 * 1024

    struct Key: Hashable { var device: UInt64; var inode: UInt64 }

    final class Tracked {
        let key: Key
        var path: String
        let fd: Int32
        var reader: ChunkReader
        var fingerprint: String
        var lastGrowth = Date()
        init(key: Key, path: String, fd: Int32, reader: ChunkReader, fingerprint: String) {
            self.key = key; self.path = path; self.fd = fd; self.reader = reader; self.fingerprint = fingerprint
        }
        deinit { close(fd); reader.deallocate() }
    }

    /// `checkpoints`: this input's saved positions; `startAtEnd`: a first run (no checkpoints) with
    /// `start: end` skips what the files already hold. Files appearing later are always read from 0.
    public init(name: String, patterns: [String], context: String?, scanner: Scanner, partialLineTimeout: Double,
                checkpoints: [FileCheckpoint], startAtEnd: Bool) throws(InputError) {
        self.name = name
        self.patterns = patterns
        self.context = context
        self.scanner = scanner
        self.partialLineTimeout = partialLineTimeout
        inotify = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard inotify >= 0 else { throw InputError(path: name, message: "inotify_init1: \(String(cString: strerror(errno)))") }
        pendingCheckpoints = Dictionary(checkpoints.map { (Key(device: $0.device, inode: $0.inode), $0) }, uniquingKeysWith: { a, _ in a })
        self.startAtEnd = startAtEnd && checkpoints.isEmpty
    }

    var startAtEnd: Bool

    deinit { close(inotify) }

    // MARK: events

    /// Drains inotify; any event means "look again" (cheap: a glob and an fstat per file).
    public func handleEvents() {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = Foundation.read(inotify, &buffer, buffer.count)
            if n <= 0 { break }
            needsRescan = true
        }
    }

    /// Reads everything new from every followed file, scanning it; call after `handleEvents`, at start, and
    /// on a timer for partial lines.
    /// With `shouldStop`, reading pauses between chunks once it says so; `unfinished` then tells the caller to
    /// pump again without waiting for an event (the bytes left are already written, no event will come).
    public func pump(emit: (Finding) -> Void, shouldStop: () -> Bool = { false }) {
        if needsRescan { rescan(emit: emit) }
        unfinished = false
        for file in tracked.values {
            if shouldStop() { unfinished = true; break }
            read(file, emit: emit, shouldStop: shouldStop)
            if shouldStop() { unfinished = true }
        }
        startAtEnd = false
        parkIdleFiles()
    }

    public private(set) var unfinished = false

    /// Closes the longest-idle fully read files beyond `maxOpenFiles`.
    func parkIdleFiles() {
        guard tracked.count > maxOpenFiles else { return }
        let idle = tracked.values.filter { $0.reader.heldBytes == 0 }.sorted { $0.lastGrowth < $1.lastGrowth }
        for file in idle.prefix(tracked.count - maxOpenFiles) {
            parked[file.key] = FileCheckpoint(path: file.path, device: file.key.device, inode: file.key.inode,
                                              offset: file.reader.committedOffset, fingerprint: file.fingerprint)
            tracked[file.key] = nil
        }
    }

    /// Seconds until a held partial line is due, if any.
    public func nextDeadline(now: Date = Date()) -> Double? {
        let held = tracked.values.filter { $0.reader.heldBytes > 0 }
        guard let oldest = held.map(\.lastGrowth).min() else { return nil }
        return max(0, partialLineTimeout - now.timeIntervalSince(oldest))
    }

    /// Scans partial last lines that stopped growing `partialLineTimeout` ago as lines of their own.
    public func flushStalePartialLines(now: Date = Date(), emit: (Finding) -> Void) {
        for file in tracked.values where file.reader.heldBytes > 0 && now.timeIntervalSince(file.lastGrowth) >= partialLineTimeout {
            // A held event handed over because no line came: a later continuation line starts a new one.
            flushPartialLine(file, cut: scanner.events == nil ? nil : .timeout, emit: emit)
        }
    }

    func flushPartialLine(_ file: Tracked, cut: EventCut? = nil, emit: (Finding) -> Void) {
        let origin = Origin(input: "file", path: file.path, inode: file.key.inode)
        file.reader.flushPartialLine { buf, off, trunc in
            scanner.scan(buf, bufferOffset: off, origin: origin, context: context, lastLineTruncated: trunc,
                         lastEventCut: cut, emit: emit)
        }
    }

    public var checkpoints: [FileCheckpoint] {
        tracked.values.map { FileCheckpoint(path: $0.path, device: $0.key.device, inode: $0.key.inode,
                                            offset: $0.reader.committedOffset, fingerprint: $0.fingerprint) }
            + Array(parked.values)
    }

    public var openFiles: Int { tracked.count }

    /// Bytes written to the followed files and not read yet (parked files included).
    public var bytesBehind: UInt64 {
        var behind: UInt64 = 0
        var st = stat()
        for file in tracked.values where fstat(file.fd, &st) == 0 {
            let position = file.reader.committedOffset + UInt64(file.reader.heldBytes)
            if UInt64(st.st_size) > position { behind += UInt64(st.st_size) - position }
        }
        for p in parked.values where stat(p.path, &st) == 0 && UInt64(st.st_size) > p.offset {
            behind += UInt64(st.st_size) - p.offset
        }
        return behind
    }

    // MARK: discovery

    func rescan(emit: (Finding) -> Void) {
        needsRescan = false
        var matched: [Key: String] = [:]
        var directories = Set<String>()
        let excludedKeys = Set(excludedPaths.compactMap { p -> Key? in
            var st = stat()
            return stat(p, &st) == 0 ? Key(device: UInt64(st.st_dev), inode: UInt64(st.st_ino)) : nil
        })
        for pattern in patterns {
            // Watch every directory the pattern could put a file in, so new files (and, through the static
            // prefix, new subdirectories) raise an event.
            directories.insert(Self.staticPrefixDirectory(pattern))
            let dirPattern = (pattern as NSString).deletingLastPathComponent
            for dir in Self.glob(dirPattern) { directories.insert(dir) }
            for path in Self.glob(pattern) {
                var st = stat()
                guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { continue }
                let key = Key(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
                if excludedKeys.contains(key) || isExcluded(path) { continue }
                if matched[key] == nil { matched[key] = path }
                directories.insert((path as NSString).deletingLastPathComponent)
                // A symlink's target may live elsewhere: watch its directory too.
                if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path) {
                    let resolved = target.hasPrefix("/") ? target : ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent(target)
                    directories.insert((resolved as NSString).deletingLastPathComponent)
                }
            }
        }
        for dir in directories where !watches.values.contains(dir) {
            let wd = inotify_add_watch(inotify, dir, UInt32(IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF))
            if wd >= 0 { watches[wd] = dir }
        }
        // Files that left the glob or were deleted: read them to their end, then let go.
        for (key, file) in tracked where matched[key] == nil {
            read(file, emit: emit)
            flushPartialLine(file, emit: emit)
            tracked[key] = nil
        }
        parked = parked.filter { matched[$0.key] != nil }
        for (key, path) in matched {
            if let file = tracked[key] { file.path = path; continue }
            if var old = parked[key] {
                old.path = path
                var st = stat()
                guard stat(path, &st) == 0, UInt64(st.st_size) != old.offset else { parked[key] = old; continue }
                pendingCheckpoints[key] = old
                parked[key] = nil
            }
            open(path, key: key)
        }
        pendingCheckpoints = pendingCheckpoints.filter { matched[$0.key] != nil }
    }

    func isExcluded(_ path: String) -> Bool {
        excludedPaths.contains { path == $0 || path.hasPrefix($0 + ".") || path.hasPrefix($0 + "-") }
    }

    func open(_ path: String, key: Key) {
        let fd = Foundation.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return } // vanished or unreadable: the next event looks again
        var st = stat()
        fstat(fd, &st)
        let size = UInt64(st.st_size)
        let fingerprint = Self.fingerprint(fd)
        var offset: UInt64 = 0
        // Same inode and the same first bytes (the file may have grown since): the file of the checkpoint.
        if let saved = pendingCheckpoints[key], saved.fingerprint.isEmpty || fingerprint.hasPrefix(saved.fingerprint) {
            // The same file as before the restart (possibly renamed): resume where it was left.
            offset = saved.offset <= size ? saved.offset : 0
            pendingCheckpoints[key] = nil
        } else if startAtEnd {
            offset = size
        }
        lseek(fd, off_t(offset), SEEK_SET)
        let reader = ChunkReader(chunkBytes: Self.chunkBytes, maxLineBytes: scanner.ruleSet.maxLineBytes, startOffset: offset,
                                 events: scanner.events)
        tracked[key] = Tracked(key: key, path: path, fd: fd, reader: reader, fingerprint: fingerprint)
    }

    func read(_ file: Tracked, emit: (Finding) -> Void, shouldStop: () -> Bool = { false }) {
        var st = stat()
        guard fstat(file.fd, &st) == 0 else { return }
        let position = file.reader.committedOffset + UInt64(file.reader.heldBytes)
        if UInt64(st.st_size) < position {
            // copytruncate: the file was cut below what we read; its new content starts at 0. What was held
            // (an open event, a partial line) was written before the cut: scan it, do not drop it.
            flushPartialLine(file, emit: emit)
            lseek(file.fd, 0, SEEK_SET)
            file.reader.reset(to: 0)
        }
        if file.fingerprint.count < Self.fingerprintBytes * 2 { file.fingerprint = Self.fingerprint(file.fd) }
        var source = DescriptorSource(fd: file.fd, path: file.path)
        let origin = Origin(input: "file", path: file.path, inode: file.key.inode)
        let before = file.reader.committedOffset + UInt64(file.reader.heldBytes)
        do {
            try file.reader.run(&source, holdPartialLine: true, shouldStop: shouldStop) { buf, off, trunc in
                linesRead += Self.countLines(buf)
                scanner.scan(buf, bufferOffset: off, origin: origin, context: context, lastLineTruncated: trunc, emit: emit)
            }
        } catch {
            needsRescan = true
        }
        let after = file.reader.committedOffset + UInt64(file.reader.heldBytes)
        if after != before { file.lastGrowth = Date(); bytesRead += after - before }
    }

    // MARK: helpers

    static func countLines(_ buf: UnsafeRawBufferPointer) -> UInt64 {
        guard var p = buf.baseAddress else { return 0 }
        let end = p + buf.count
        var n: UInt64 = 0
        while p < end, let hit = memchr(p, 0x0A, end - p) {
            n += 1
            p = UnsafeRawPointer(hit) + 1
        }
        return n
    }

    static func fingerprint(_ fd: Int32) -> String {
        var bytes = [UInt8](repeating: 0, count: fingerprintBytes)
        let n = pread(fd, &bytes, fingerprintBytes, 0)
        guard n > 0 else { return "" }
        return bytes[0..<n].map { String(format: "%02x", $0) }.joined()
    }

    static func glob(_ pattern: String) -> [String] {
        var g = glob_t()
        defer { globfree(&g) }
        guard Glibc.glob(pattern, 0, nil, &g) == 0 else { return [] }
        return (0..<Int(g.gl_pathc)).compactMap { g.gl_pathv[$0].map { String(cString: $0) } }
    }

    /// The deepest directory of a glob without wildcards: watched so that new subdirectories are seen.
    static func staticPrefixDirectory(_ pattern: String) -> String {
        var parts: [Substring] = []
        for part in pattern.split(separator: "/", omittingEmptySubsequences: false).dropLast() {
            if part.contains(where: { "*?[".contains($0) }) { break }
            parts.append(part)
        }
        let dir = parts.joined(separator: "/")
        return dir.isEmpty ? "/" : dir
    }
}

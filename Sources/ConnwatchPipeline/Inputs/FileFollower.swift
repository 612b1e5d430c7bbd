import Foundation
import Logging
import ConnwatchModel
import ConnwatchEngine

/// Follows the files matching a set of globs with inotify (no polling). Files are known by identity (device,
/// inode, birth time, first bytes and the bytes before the checkpointed offset: see `FileCheckpoint`), never by
/// name, so that:
/// - a renamed file is never read twice, whether its new name is in the glob or not;
/// - a file that leaves the glob (rotation by rename, deletion) is read to its end and kept open for
///   `rotateWait` seconds for late writers, also when the rename happened while connwatch was stopped (it is
///   found again in its directory by identity);
/// - copytruncate, and a file deleted and recreated under a reused inode, are read again from 0;
/// - at most `maxOpenFiles` descriptors are held at any moment: files with unread bytes take turns, oldest
///   backlog first, until every one is read to its end.
/// Not Sendable: one per task.
package final class FileFollower {
    package let name: String
    package let patterns: [String]
    package let context: String?
    package let scanner: ConnwatchEngine.Scanner
    package let partialLineTimeout: Double
    package let inotify: Int32
    /// At most this many files are held open (the configured bound; see `openFileBound`).
    package var maxOpenFiles = 256
    /// Seconds a file that left the glob stays followed after it left (Fluent Bit's Rotate_Wait).
    package var rotateWait: Double = FileFollower.defaultRotateWait
    package static let defaultRotateWait = 5.0
    /// Seconds a copy of a followed file that is not truncated is held before it is taken for a copy kept beside
    /// it (copytruncate truncates right after the copy).
    var copyHold = 5.0
    /// connwatch's own files (findings file, metrics) and their rotated copies (`PATH.1`, `PATH-20261121.gz`):
    /// never read, even when a glob matches them.
    package var excludedPaths: [String] = []
    package var logger: Logger?
    package internal(set) var bytesRead: UInt64 = 0
    package internal(set) var linesRead: UInt64 = 0
    /// Set when a pump stopped with bytes still to read: pump again without waiting for an event (those
    /// bytes are already written, no event will come).
    package internal(set) var unfinished = false

    var files: [FileKey: FollowedFile] = [:]
    /// Checkpoints of files the globs no longer take because the configuration changed (see `leftByTheGlobs`): not
    /// followed, saved again as they are, so that globs changed back read on from them instead of from 0.
    var parked: [FileKey: FileCheckpoint] = [:]
    /// The files holding a descriptor (at most `openFileBound`).
    var opened: [FileKey: FollowedFile] = [:]
    /// Files renamed from a name in the glob to one outside it, from inotify, by their latest name: adopted even
    /// if no listing saw them under their old name (very fast rotation). `drains`: rescans that did not find it.
    var renamedOut: [(path: String, drains: Int)] = []
    /// What was read of files truncated lately (copytruncate): their copies are read from there (`copyCheck`).
    var truncatedContents: [FollowedFile.ReadContent] = []
    /// Compressed copies of files gone with bytes not read, and what was read of those files: read by the next
    /// pump from there (`readCompressedRest`).
    var compressedRests: [(path: String, content: FollowedFile.ReadContent)] = []
    /// MOVED_FROM events waiting for their MOVED_TO (by cookie).
    var movedFrom: [UInt32: String] = [:]
    /// When the last complete listing started (ns, the clock of file times): every file born before then and
    /// ever in the glob is known (or was read and released). Saved with the checkpoints, so that a restart finds
    /// the files rotated meanwhile.
    var seenThrough: Int64?
    /// Set when events were lost (queue overflow) or at a restart: the next rescan sweeps for rotated files
    /// born at or after this.
    var sweepFrom: Int64?
    /// inotify queue overflows so far.
    package internal(set) var overflows = 0
    /// Files grew: the closed ones' sizes are looked at (a rescan does that too).
    var needsSizes = false
    var watches: [Int32: String] = [:]
    var watchedDirectories: [String: Int32] = [:]
    var needsRescan = true
    /// A first run with `start: end`: files present at the first look are read from their end.
    var startAtEnd: Bool
    /// Lowered below `maxOpenFiles` when the process runs out of descriptors (EMFILE/ENFILE).
    var descriptorLimit: Int?
    /// When opening failed for lack of descriptors with nothing left to close: try again then.
    var retryOpenAt: Date?
    /// When to look again for files a rescan did not find.
    var recheckAt: Date?
    static let chunkBytes = 256 * 1024

    /// `checkpoints`: this input's saved positions; `startAtEnd`: a first run (no checkpoints) with
    /// `start: end` skips what the files already hold. Files appearing later are always read from 0.
    /// `seenThrough`: the saved `seenThroughNanoseconds` (files rotated after it while connwatch was stopped are
    /// looked for at the first rescan). `truncated`: the saved `truncatedFiles` (copies of them not compared yet
    /// at the stop are read on from where their originals were read up to).
    package init(name: String, patterns: [String], context: String?, scanner: ConnwatchEngine.Scanner, partialLineTimeout: Double,
                checkpoints: [FileCheckpoint], startAtEnd: Bool, seenThrough: Int64? = nil,
                truncated: [TruncatedFile] = []) throws(InputError) {
        self.name = name
        self.patterns = patterns
        self.context = context
        self.scanner = scanner
        self.partialLineTimeout = partialLineTimeout
        inotify = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard inotify >= 0 else { throw InputError(path: name, message: "inotify_init1: \(String(cString: strerror(errno)))") }
        self.startAtEnd = startAtEnd && checkpoints.isEmpty
        for c in checkpoints {
            let f = FollowedFile(c)
            guard files[f.key] == nil, parked[f.key] == nil else { continue }
            if leftByTheGlobs(c) { parked[f.key] = c } else { files[f.key] = f }
        }
        truncatedContents = truncated.compactMap(FollowedFile.ReadContent.init)
        self.seenThrough = seenThrough
        sweepFrom = seenThrough
    }

    /// What to save with the checkpoints: files born after it may have left the glob unseen (a sweep still due
    /// counts from its own, earlier, moment).
    package var seenThroughNanoseconds: Int64? { sweepFrom ?? seenThrough }

    deinit {
        opened.removeAll()
        files.removeAll()
        close(inotify)
    }

    /// The descriptor bound in force.
    package var openFileBound: Int { min(maxOpenFiles, descriptorLimit ?? Int.max) }
    package var openFiles: Int { opened.count }

    package var checkpoints: [FileCheckpoint] {
        files.values.map { $0.refreshTail(); return $0.checkpoint } + parked.values
    }

    /// A file in the glob at the last stop or reload (not departed) whose path the globs do not match now, still
    /// there under that path: the configuration changed (an input's paths changed by a reload), the file did not
    /// move. Not read while the globs leave it; read on from its checkpoint when they take it again. A file
    /// renamed while connwatch was stopped is not under its path any more and is looked for as before.
    func leftByTheGlobs(_ c: FileCheckpoint) -> Bool {
        guard !matchesPattern(c.path), c.departed != true else { return false }
        // Written by a connwatch that did not record `departed`: a rotated name of a match stands for a departed file.
        if c.departed == nil && isRotatedName(c.path) { return false }
        var st = stat()
        return stat(c.path, &st) == 0 && FileKey(st) == FileKey(device: c.device, inode: c.inode)
    }

    /// What to save of the files truncated lately, beside the checkpoints: a copy held or waiting at a stop (saved
    /// `may_be_copy`, at offset 0) is compared with it at the restart, not read again from 0.
    package var truncatedFiles: [TruncatedFile] {
        let now = Date()
        return truncatedContents.filter { now.timeIntervalSince($0.at) <= Self.truncatedKeep }.map(\.saved)
    }

    /// Bytes written to the followed files and not read yet (closed files included).
    package var bytesBehind: UInt64 {
        var behind: UInt64 = 0
        var st = stat()
        for f in files.values {
            let size: UInt64
            if let h = f.handle { guard fstat(h.fd, &st) == 0 else { continue }; size = UInt64(st.st_size) } else { size = f.size }
            if size > f.position { behind += size - f.position }
        }
        return behind
    }

    // MARK: reading

    /// Reads everything new from every followed file, scanning it; call after `handleEvents`, at start, and
    /// when `nextDeadline` is due. With `shouldStop`, reading pauses between chunks once it says so, and
    /// `unfinished` tells the caller to pump again without waiting for an event. `clock` is what the deadlines
    /// (recheck, grace period) are compared with; tests pass a later time instead of waiting.
    package func pump(clock: () -> Date = Date.init, emit: (Finding) -> Void, shouldStop: () -> Bool = { false }) {
        if let due = recheckAt, due <= clock() { recheckAt = nil; needsRescan = true }
        if needsRescan { rescan() } else if needsSizes { lookAtSizes() }
        needsSizes = false
        unfinished = false
        while !compressedRests.isEmpty {
            let rest = compressedRests.removeFirst()
            readCompressedRest(rest.path, rest.content, emit: emit)
        }
        // Read after the rescan: files it found departed are timed from then.
        let now = clock()
        // Open files: look at their size (closed ones were looked at by the rescan).
        var st = stat()
        for f in opened.values {
            guard let h = f.handle, fstat(h.fd, &st) == 0 else { continue }
            f.size = UInt64(st.st_size)
            // Written since, yet as long as what was read: truncated and written to the same length again
            // (copytruncate and fixed-width lines)? Compared only then, not at every pump.
            let modified = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
            if modified != f.modified {
                if f.modified != 0, f.size == f.position, f.position > 0, !f.truncated,
                   !f.sameContent(fd: h.fd, size: f.size, at: h.reader.committedOffset, checkBirth: false) {
                    f.truncated = true
                }
                f.modified = modified
            }
        }
        var queue = files.values.filter { hasBacklog($0) }
        for f in queue where f.backlogSince == nil { f.backlogSince = now }
        queue.sort { ($0.backlogSince!, $0.key) < ($1.backlogSince!, $1.key) }
        for f in queue {
            if shouldStop() { unfinished = true; break }
            if f.handle == nil {
                if let retry = retryOpenAt { if retry > now { continue } else { retryOpenAt = nil } }
                guard makeRoom(keeping: f), attach(f) else {
                    if needsRescan || retryOpenAt == nil { unfinished = true }
                    continue
                }
            }
            read(f, emit: emit, shouldStop: shouldStop)
            if !hasBacklog(f) { f.backlogSince = nil } else if shouldStop() { unfinished = true; break }
        }
        releaseDeparted(now: now, emit: emit, shouldStop: shouldStop)
        startAtEnd = false
        if needsRescan { unfinished = true }
    }

    /// The closed files' sizes, by their last names (a name holding another file now needs a rescan).
    func lookAtSizes() {
        var st = stat()
        for f in files.values where f.handle == nil {
            if stat(f.path, &st) == 0, FileKey(st) == f.key { f.lookedAt(st) } else { needsRescan = true }
        }
        if needsRescan { rescan() }
    }

    /// Truncation (size below the offset) or another file under the inode, noticed while reading is paused:
    /// the file is read again from 0 when reading resumes (not from the old offset, past what was written after
    /// the truncation). A held partial line was written before the cut: it is scanned as a line then, as a
    /// truncation noticed while reading does (Vector and Fluent Bit hand it over too).
    package func noticeTruncation() {
        var st = stat()
        for f in files.values {
            if let h = f.handle {
                guard !f.truncated, fstat(h.fd, &st) == 0 else { continue }
                if !f.sameContent(fd: h.fd, size: UInt64(st.st_size), at: h.reader.committedOffset, checkBirth: false) { f.truncated = true }
            } else if f.verified, stat(f.path, &st) == 0, FileKey(st) == f.key, UInt64(st.st_size) < f.offset {
                truncated(f)
                f.offset = 0; f.readTo = 0; f.tail = []; f.tailOffset = 0; f.inLongLineTail = false
                f.size = UInt64(st.st_size)
            }
        }
    }

    func hasBacklog(_ f: FollowedFile) -> Bool {
        if let held = f.copyHeldUntil, held > Date(), f.size == f.copyHeldSize { return false }
        if f.handle != nil { return f.size != f.position || f.truncated }
        if f.openFailedNow { return false }
        return f.size != f.readTo || !f.verified
    }

    /// Frees a descriptor if the bound is reached: closes the open file idle the longest (one with no held
    /// partial line if there is one), else the open file whose backlog is younger than `wanted`'s (it keeps its
    /// place in the queue). Open after closing: the bound holds at every moment.
    func makeRoom(keeping wanted: FollowedFile) -> Bool {
        while opened.count >= openFileBound {
            let idle = opened.values.filter { $0 !== wanted && !hasBacklog($0) }
            if let victim = idle.min(by: { ($0.heldBytes > 0 ? 1 : 0, $0.lastGrowth) < ($1.heldBytes > 0 ? 1 : 0, $1.lastGrowth) }) {
                closeHandle(victim)
                continue
            }
            let since = wanted.backlogSince ?? .distantFuture
            let younger = opened.values.filter { ($0.backlogSince ?? .distantFuture, $0.key) > (since, wanted.key) }
            guard let victim = younger.max(by: { ($0.backlogSince ?? .distantFuture, $0.key) < ($1.backlogSince ?? .distantFuture, $1.key) })
            else { return false }
            closeHandle(victim)
        }
        return true
    }

    func closeHandle(_ f: FollowedFile) {
        f.closeHandle()
        opened[f.key] = nil
    }

    /// Forgets a file (closing it). A copy held for it is read from where it was read up to.
    func drop(_ f: FollowedFile) {
        if files.values.contains(where: { $0.copyOf == f.key }) { truncated(f) }
        closeHandle(f)
        files[f.key] = nil
    }

    /// Opens a closed file by its last name and checks that the descriptor is that file (a name can point to
    /// another file by now) and that its content is the one read so far.
    func attach(_ f: FollowedFile) -> Bool {
        var st = stat()
        guard let fd = openByIdentity(f, &st) else { return false }
        let size = UInt64(st.st_size)
        if !f.sameContent(fd: fd, size: size, at: f.offset) {
            let reused = f.birth != nil && FileIdentity.birth(fd).map { $0 != f.birth } == true
            truncated(f)
            // A checkpoint from before this start whose inode holds another file now: that file is gone.
            if !f.verified { warnIfGoneUnread(f) }
            if f.departedAt != nil && (!f.verified || reused) {
                // The inode of a file outside the glob (a saved checkpoint's, or a rotated file's that was deleted
                // or compressed since) holds another file now: not ours to read from 0. It may be the copy of a
                // file truncated lately, which its known inode kept from being taken as one.
                close(fd)
                drop(f)
                for c in truncatedContents.suffix(4) { adoptCopies(of: c) }
                return false
            }
            f.startOver(fd: fd)
        } else if f.birth == nil {
            f.birth = FileIdentity.birth(fd)
        }
        if f.mayBeCopy && f.offset == 0 && !isCopyResolved(f, fd: fd, size: size) {
            close(fd)
            return false
        }
        f.mayBeCopy = false
        f.verified = true
        if f.head.count < FileIdentity.fingerprintBytes { f.head = FileIdentity.head(fd) }
        lseek(fd, off_t(f.offset), SEEK_SET)
        let reader = ChunkReader(chunkBytes: Self.chunkBytes, maxLineBytes: scanner.ruleSet.maxLineBytes,
                                 startOffset: f.offset, events: scanner.events, inLongLineTail: f.inLongLineTail)
        f.handle = .init(fd: fd, reader: reader)
        opened[f.key] = f
        f.size = size
        // Compared with this content just now: a later modification time is a change to compare again.
        f.modified = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
        f.refreshTail()
        return true
    }

    /// A new file about to be read from 0: a copy of a file read so far (copytruncate; see `copyCheck`) is read
    /// from where that file was read up to instead. false while it is held: a copy of a file not truncated yet
    /// (released by that truncation, or after `copyHold`: a copy kept beside its original, whose bytes are read
    /// there, so only what the copy gains later is read), or possibly still being copied.
    func isCopyResolved(_ f: FollowedFile, fd: Int32, size: UInt64) -> Bool {
        let now = Date()
        switch copyCheck(f, fd: fd, size: size, now: now) {
        case .new:
            break
        case .copy(let c):
            f.resume(at: c)
        case .skip:
            f.skip(to: size, fd: fd)
        case .wait(let until):
            f.copyHeldUntil = until
            f.copyHeldSize = size
            return false
        case .heldBy(let source):
            // Deleted, or no longer under its name (replaced): the new file goes on from where it was read up to,
            // once it is read to its end.
            if !isAtItsName(source) {
                // Shorter than what was read of it: not its continuation (a new file that starts alike).
                guard let c = source.readContent, size >= c.offset else { break }
                if !hasBacklog(source) { f.resume(at: c); break }
                f.copyOf = source.key
                f.copyHeldUntil = now.addingTimeInterval(Self.listingTick)
                f.copyHeldSize = size
                return false
            }
            if f.copyOf != source.key || f.copyHeldUntil == nil || f.copyHeldUntil! > now {
                if f.copyOf != source.key || f.copyHeldUntil == nil { f.copyHeldUntil = now.addingTimeInterval(copyHold) }
                f.copyOf = source.key
                f.copyHeldSize = size
                return false
            }
            if !holdsWhatWasRead(source), let c = source.readContent {
                // Truncated meanwhile, not noticed yet: the copy goes on from where the original was read up to.
                f.resume(at: c)
            } else {
                // Held long enough and its original was not truncated: all of the copy is in the original.
                f.skip(to: size, fd: fd)
            }
        }
        f.copyOf = nil
        f.copyHeldUntil = nil
        return true
    }

    /// Is `f` still under its last name (not deleted, not renamed over)?
    func isAtItsName(_ f: FollowedFile) -> Bool {
        var st = stat()
        return stat(f.path, &st) == 0 && FileKey(st) == f.key
    }

    /// Does `f`'s file still hold the bytes read of it (not truncated, not another file under its inode)?
    func holdsWhatWasRead(_ f: FollowedFile) -> Bool {
        var st = stat()
        if let h = f.handle {
            return fstat(h.fd, &st) == 0 && f.sameContent(fd: h.fd, size: UInt64(st.st_size), at: h.reader.committedOffset, checkBirth: false)
        }
        let fd = Foundation.open(f.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return fstat(fd, &st) == 0 && FileKey(st) == f.key && f.sameContent(fd: fd, size: UInt64(st.st_size), at: f.offset)
    }

    /// A descriptor for `f` (fstat into `st`): by its last name, or, when that name no longer holds it (renamed on:
    /// numbered rotation renames every file at each turn), by the name its device and inode have now in its
    /// directory, looked up at once rather than after the next rescan (a start-up backlog is then read in one go,
    /// not one rescan per rotation). nil when it cannot be opened now (the reason is handled).
    func openByIdentity(_ f: FollowedFile, _ st: inout stat) -> Int32? {
        for attempt in 0..<2 {
            let fd = Foundation.open(f.path, O_RDONLY | O_CLOEXEC)
            if fd >= 0 {
                f.openFailedAt = nil
                if fstat(fd, &st) == 0, FileKey(st) == f.key { return fd }
                close(fd)
            } else {
                let e = errno
                switch e {
                case ENOENT, ENOTDIR: break
                case EMFILE, ENFILE: descriptorsExhausted(e); return nil
                default:
                    // Unreadable (permissions): tried again when it grows or its mode or owner changes.
                    if f.openFailedAt == nil {
                        logger?.warning("cannot open \(f.path): \(String(cString: strerror(e)))", metadata: ["input": "\(name)"])
                    }
                    f.openFailedAt = (f.size, f.changed)
                    return nil
                }
            }
            // Renamed or deleted: the listing is out of date too.
            needsRescan = true
            var index: [String: [FileKey: String]] = [:]
            guard attempt == 0, let path = locate(f, index: &index), path != f.path else { return nil }
            f.path = path
        }
        return nil
    }

    /// Raises the soft RLIMIT_NOFILE to the hard limit (systemd leaves the soft one at 1024 for select(2)'s
    /// sake and recommends that programs needing more raise it themselves; connwatch uses poll(2)).
    package static func raiseDescriptorLimit() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }

    /// EMFILE/ENFILE: hold fewer files open from now on instead of skipping any (logged once).
    func descriptorsExhausted(_ e: Int32) {
        let open = opened.count
        let limit = max(1, open - max(4, open / 8))
        if descriptorLimit == nil {
            logger?.warning("out of file descriptors (\(String(cString: strerror(e)))) with \(open) log files open: holding at most \(limit) open from now on; the others are read in turns",
                            metadata: ["input": "\(name)"])
        }
        descriptorLimit = min(limit, descriptorLimit ?? Int.max)
        if open == 0 { retryOpenAt = Date().addingTimeInterval(1) }
        // Close down to the new bound now, so the next open has a descriptor.
        let idle = opened.values.filter { !hasBacklog($0) }.sorted { $0.lastGrowth < $1.lastGrowth }
        for f in idle.prefix(max(0, opened.count - limit + 1)) { closeHandle(f) }
    }

    func read(_ f: FollowedFile, emit: (Finding) -> Void, shouldStop: () -> Bool = { false }) {
        guard var h = f.handle else { return }
        var st = stat()
        guard fstat(h.fd, &st) == 0 else { return }
        let size = UInt64(st.st_size)
        f.size = size
        // copytruncate (size below what was read, or different bytes before the offset: truncated and written
        // past it again): the new content starts at 0.
        if f.truncated || size < f.position
            || (size > f.position && !f.sameContent(fd: h.fd, size: size, at: h.reader.committedOffset, checkBirth: false)) {
            // What was held (an open event, a partial line) was written before the cut: scanned, not dropped, and
            // counted as read, so that the copy goes on after it (it ends with those bytes) instead of repeating it.
            flushPartialLine(f, emit: emit)
            truncated(f)
            f.startOver(fd: h.fd)
            h = f.handle!
        }
        if f.head.count < FileIdentity.fingerprintBytes { f.head = FileIdentity.head(h.fd) }
        var source = DescriptorSource(fd: h.fd, path: f.path)
        let origin = Origin(input: "file", path: f.path, inode: f.key.inode)
        let before = f.position
        // A copy of the reader while it runs: `emit` may look at this follower (its files) meanwhile.
        var reader = h.reader
        do {
            try reader.run(&source, holdPartialLine: true, shouldStop: shouldStop) { buf, off, trunc in
                if !trunc { f.keepRecent(buf, at: off) }
                linesRead += Self.countLines(buf)
                scanner.scan(buf, bufferOffset: off, origin: origin, context: context, lastLineTruncated: trunc, emit: emit)
            }
            f.handle!.reader = reader
        } catch {
            // Unreadable now (EIO): closed, and tried again when its size changes.
            f.handle!.reader = reader
            logger?.warning("cannot read \(f.path): \(error.message)", metadata: ["input": "\(name)"])
            closeHandle(f)
            f.openFailedAt = (f.size, f.changed)
            return
        }
        let after = f.position
        if after != before { f.lastGrowth = Date(); bytesRead += after &- before }
        f.refreshTail()
    }

    /// Files that left the glob: released `rotateWait` after they left, read to their end first (within the
    /// caller's budget: what is left waits for the next pump).
    func releaseDeparted(now: Date, emit: (Finding) -> Void, shouldStop: () -> Bool) {
        for f in files.values {
            // A held copy is read (or skipped) when its hold ends, departed or not.
            guard let left = f.departedAt, now.timeIntervalSince(left) >= rotateWait, f.copyHeldUntil == nil else { continue }
            if f.retained && !hasBacklog(f) {
                if mayForget(f) { drop(f) } else if recheckAt == nil { retain(f, now: now) }
                continue
            }
            if shouldStop() { unfinished = true; return }
            // Renamed back into the glob since the last look (or missed by it): not departed after all.
            var st = stat()
            if matchesPattern(f.path), stat(f.path, &st) == 0, FileKey(st) == f.key { f.departedAt = nil; continue }
            // Not openable now (no descriptor free, or renamed on): the next pump tries again.
            if f.handle == nil && hasBacklog(f) && !(makeRoom(keeping: f) && attach(f)) { continue }
            if f.handle != nil {
                read(f, emit: emit, shouldStop: shouldStop)
                if hasBacklog(f) { unfinished = true; continue }
                flushPartialLine(f, emit: emit)
            }
            if mayForget(f) { drop(f) } else { retain(f, now: now) }
        }
    }

    /// Closed, still known; a listing a tick from now lets it go.
    func retain(_ f: FollowedFile, now: Date) {
        closeHandle(f)
        f.retained = true
        let again = now.addingTimeInterval(Self.listingTick)
        recheckAt = min(recheckAt ?? again, again)
    }

    /// Longer than the kernel's clock tick (file times have that granularity).
    static let listingTick = 0.05

    /// A file born after the last complete listing stays known (closed, checkpointed) until a later listing:
    /// forgotten now, a sweep (after lost events, or at a restart) would take it for one never seen and read it
    /// again. Without a birth time, the moment it was first seen stands in (it was born before that).
    func mayForget(_ f: FollowedFile) -> Bool {
        guard let through = seenThrough else { return true }
        var st = stat()
        // Deleted: no sweep can find it.
        if let h = f.handle, fstat(h.fd, &st) == 0, st.st_nlink == 0 { return true }
        return (f.birth ?? f.discovered) < through
    }

    // MARK: partial lines and deadlines

    /// Seconds until something is due without an event: a held partial line, the end of a departed file's
    /// grace period, or a retry after running out of descriptors.
    package func nextDeadline(now: Date = Date()) -> Double? {
        var due: [Date] = []
        for f in files.values {
            if f.heldBytes > 0 { due.append(f.lastGrowth.addingTimeInterval(partialLineTimeout)) }
            if let left = f.departedAt, !f.retained { due.append(left.addingTimeInterval(rotateWait)) }
            if let held = f.copyHeldUntil { due.append(held) }
        }
        if let retry = retryOpenAt { due.append(retry) }
        if let recheck = recheckAt { due.append(recheck) }
        return due.min().map { max(0, $0.timeIntervalSince(now)) }
    }

    /// Scans partial last lines that stopped growing `partialLineTimeout` ago as lines of their own.
    package func flushStalePartialLines(now: Date = Date(), emit: (Finding) -> Void) {
        for f in files.values where f.heldBytes > 0 && now.timeIntervalSince(f.lastGrowth) >= partialLineTimeout {
            // A held event handed over because no line came: not marked (nothing says it was incomplete); a
            // continuation line arriving later begins an event marked `cut: timeout`.
            flushPartialLine(f, afterTimeout: true, emit: emit)
        }
    }

    func flushPartialLine(_ f: FollowedFile, afterTimeout: Bool = false, emit: (Finding) -> Void) {
        guard var reader = f.handle?.reader else { return }
        let origin = Origin(input: "file", path: f.path, inode: f.key.inode)
        reader.flushPartialLine(afterTimeout: afterTimeout) { buf, off, trunc in
            // Kept as read (a truncated file's bytes can no longer be read back for its copy).
            if !trunc { f.keepRecent(buf, at: off) }
            scanner.scan(buf, bufferOffset: off, origin: origin, context: context, lastLineTruncated: trunc, emit: emit)
        }
        f.handle!.reader = reader
        f.refreshTail()
    }

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
}

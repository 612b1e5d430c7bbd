import Foundation

/// One file a follower knows: open (a descriptor and a reader) or closed (remembered by position), in the glob
/// or departed from it (renamed away or deleted: drained, and kept for `rotateWait` for late writers).
final class FollowedFile {
    let key: FileKey
    /// The last name it was seen under.
    var path: String
    var birth: Int64?
    /// First bytes (grows up to `FileIdentity.fingerprintBytes` while the file is short).
    var head: [UInt8]
    /// Bytes just before `tailOffset`.
    var tail: [UInt8]
    var tailOffset: UInt64
    /// Up to `recentBytes` bytes just before `tailOffset` when read from the file (`tail` is their end): a copy
    /// shorter than what was read of its original is recognised by them (see `FileFollower.copyCheck`).
    var recent: [UInt8] = []
    static let recentBytes = 4096
    /// Position when closed: the start of the first line not handed over.
    var offset: UInt64
    var inLongLineTail: Bool
    /// When closed: how far it had been read (a held partial line included) and its size when last looked at.
    var readTo: UInt64
    var size: UInt64
    var handle: Handle?
    /// false for a checkpoint loaded at start until the file under its inode is compared with it.
    var verified: Bool
    var lastGrowth = Date()
    /// Since when it has bytes waiting to be read: files are read oldest backlog first.
    var backlogSince: Date?
    /// When it left the glob (renamed away, deleted).
    var departedAt: Date?
    /// Departed, read to its end and closed, kept known until a listing after its birth (see `mayForget`).
    var retained = false
    /// Truncated (or another file under its inode), noticed while reading was paused: read from 0 when reading
    /// resumes, after its held partial line is scanned.
    var truncated = false
    /// When this process first knew it (ns, the clock of file times).
    let discovered = FileIdentity.fileClockNow()
    /// When a rescan last failed to find it (closed, not at its last name nor elsewhere in its directory).
    var missingSince: Date?
    /// Its modification time (ns) when last looked at while open (0: not yet).
    var modified: Int64 = 0
    /// Its change time (ns) when last looked at while closed: a chmod or chown changes it.
    var changed: Int64 = 0
    /// Its size and change time when opening it failed (permissions): tried again when either changes (it grows,
    /// or its mode or owner is mended).
    var openFailedAt: (size: UInt64, changed: Int64)?
    var openFailedNow: Bool { openFailedAt.map { $0.size == size && $0.changed == changed } ?? false }

    /// Size and change time from a stat of it.
    func lookedAt(_ st: stat) {
        size = UInt64(st.st_size)
        changed = Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec)
    }
    /// New to this process and to be read from 0: first compared with what was read of the file its name says it
    /// was rotated from (a copytruncate copy starts where that file was read up to; see `FileFollower.copyCheck`).
    var mayBeCopy = false
    /// A copy of this still untruncated file: not read while the file it copies holds the same bytes (they are
    /// read there); released when that file is truncated (then read from where that file was read up to), or at
    /// `copyHeldUntil` (a copy kept beside its original: only what it gains later is read).
    var copyOf: FileKey?
    /// Until when a copy is held, or until when a file that may still be being copied (shorter than what was
    /// read of its original, same first bytes) waits before it is taken for a new file.
    var copyHeldUntil: Date?
    /// A held copy released by its original's truncation: what had been read of the original then.
    var copiedFrom: ReadContent?
    /// Its size when it was held: a held file that grows is looked at again (a live log is no copy).
    var copyHeldSize: UInt64 = 0
    /// A new file listed under the name a followed file had until it left (replaced: written beside and renamed
    /// over it, as editors and some tools do): compared with that file like a copy.
    var replaces: FileKey?

    /// What was read of a file, kept after its truncation (copytruncate) so that its copy is read from there on.
    struct ReadContent {
        var path: String
        var head: [UInt8]
        var tail: [UInt8]
        /// The bytes before `offset` known (`tail` and up to `recentBytes` more).
        var recent: [UInt8]
        var offset: UInt64
        var longLineTail: Bool
        /// When it was recorded.
        var at: Date

        init(path: String, head: [UInt8], tail: [UInt8], recent: [UInt8], offset: UInt64, longLineTail: Bool, at: Date) {
            self.path = path; self.head = head; self.tail = tail; self.recent = recent; self.offset = offset
            self.longLineTail = longLineTail; self.at = at
        }

        /// From the checkpoints: nil when damaged (its hex does not decode, or nothing before the offset).
        init?(_ saved: TruncatedFile) {
            guard let head = FileIdentity.unhex(saved.fingerprint), let recent = FileIdentity.unhex(saved.recent),
                  !head.isEmpty, !recent.isEmpty, UInt64(recent.count) <= saved.offset else { return nil }
            self.init(path: saved.path, head: head, tail: Array(recent.suffix(FileIdentity.fingerprintBytes)), recent: recent,
                      offset: saved.offset, longLineTail: saved.longLineTail, at: Date(timeIntervalSince1970: Double(saved.at) / 1e9))
        }

        var saved: TruncatedFile {
            TruncatedFile(path: path, offset: offset, fingerprint: FileIdentity.hex(head), recent: FileIdentity.hex(recent),
                          longLineTail: longLineTail, at: Int64(at.timeIntervalSince1970 * 1e9))
        }
    }

    struct Handle {
        let fd: Int32
        var reader: ChunkReader
    }

    init(key: FileKey, path: String, offset: UInt64) {
        self.key = key; self.path = path; self.offset = offset; readTo = offset; size = offset
        head = []; tail = []; tailOffset = offset; inLongLineTail = false; verified = true
    }

    /// From a saved checkpoint: to be verified against the file when it is opened.
    init(_ c: FileCheckpoint) {
        key = FileKey(device: c.device, inode: c.inode)
        path = c.path
        offset = c.offset; readTo = c.offset; size = c.offset
        head = FileIdentity.unhex(c.fingerprint) ?? []
        tail = FileIdentity.unhex(c.tail) ?? []
        tailOffset = c.offset
        birth = c.birth
        inLongLineTail = c.longLineTail
        mayBeCopy = c.mayBeCopy
        verified = false
    }

    deinit { closeHandle() }

    var committed: UInt64 { handle?.reader.committedOffset ?? offset }
    /// Where reading goes on: past a held partial line.
    var position: UInt64 { handle.map { $0.reader.committedOffset + UInt64($0.reader.heldBytes) } ?? readTo }
    var heldBytes: Int { handle?.reader.heldBytes ?? 0 }

    var checkpoint: FileCheckpoint {
        FileCheckpoint(path: path, device: key.device, inode: key.inode, offset: committed,
                       fingerprint: FileIdentity.hex(head), tail: tailOffset == committed ? FileIdentity.hex(tail) : "",
                       birth: birth, longLineTail: handle?.reader.inLongLineTail ?? inLongLineTail, mayBeCopy: mayBeCopy,
                       departed: departedAt != nil)
    }

    /// Bytes handed over for scanning, `buffer` starting at file offset `at`: the last of them are the bytes
    /// before the new committed offset, kept as they were read (by the time a pread could fetch them again, a
    /// copytruncate may have cut the file).
    func keepRecent(_ buffer: UnsafeRawBufferPointer, at: UInt64) {
        let n = min(buffer.count, Self.recentBytes)
        let last = Array(buffer[(buffer.count - n)...])
        recent = tailOffset == at && !recent.isEmpty && n < Self.recentBytes ? Array((recent + last).suffix(Self.recentBytes)) : last
        tail = Array(recent.suffix(FileIdentity.fingerprintBytes))
        tailOffset = at + UInt64(buffer.count)
    }

    /// Records the bytes before the committed offset (from the open descriptor).
    func refreshTail() {
        guard let h = handle else { return }
        let at = h.reader.committedOffset
        guard at != tailOffset || tail.isEmpty else { return }
        if let bytes = FileIdentity.bytes(h.fd, endingAt: at, count: Self.recentBytes) {
            recent = bytes
            tail = Array(bytes.suffix(FileIdentity.fingerprintBytes))
            tailOffset = at
        }
    }

    /// Is the file behind `fd` (same device and inode) the one read up to `committed`? No when it is shorter
    /// than that (truncated), born at another time, or its first bytes or the bytes before the offset differ
    /// (deleted and recreated with the inode reused, or truncated and written past the offset again).
    /// `checkBirth`: false for a descriptor held open since the last check (its inode cannot have been reused).
    func sameContent(fd: Int32, size: UInt64, at position: UInt64, checkBirth: Bool = true) -> Bool {
        if size < position { return false }
        if checkBirth, let b = birth, let now = FileIdentity.birth(fd), b != now { return false }
        if !head.isEmpty {
            let n = min(head.count, Int(min(size, UInt64(FileIdentity.fingerprintBytes))))
            if n < head.count { return false }
            var buf = [UInt8](repeating: 0, count: n)
            guard pread(fd, &buf, n, 0) == n, buf == head else { return false }
        }
        if !tail.isEmpty && tailOffset == position {
            guard let bytes = FileIdentity.bytes(fd, endingAt: position, count: tail.count), bytes == tail else { return false }
        }
        return true
    }

    /// What was read of it (first bytes, bytes before the committed offset): what a copy of it is recognised by.
    /// nil when nothing is read yet or the bytes before the offset are not known.
    var readContent: ReadContent? {
        let at = committed
        guard at > 0, !head.isEmpty, !tail.isEmpty, tailOffset == at else { return nil }
        return ReadContent(path: path, head: head, tail: tail, recent: recent.suffix(tail.count) == tail[...] ? recent : tail, offset: at,
                           longLineTail: handle?.reader.inLongLineTail ?? inLongLineTail, at: Date())
    }

    /// Nothing read yet: a copy is read from its start.
    var noneRead: ReadContent {
        ReadContent(path: path, head: head, tail: [], recent: [], offset: 0, longLineTail: false, at: Date())
    }

    /// A copy of a file read up to `c.offset`: read on from there.
    func resume(at c: ReadContent) {
        offset = c.offset; readTo = c.offset; tailOffset = c.offset
        head = c.head; tail = c.tail; recent = c.recent; inLongLineTail = c.longLineTail
    }

    /// Holds only bytes already read elsewhere: read from `size` on.
    func skip(to size: UInt64, fd: Int32) {
        offset = size; readTo = size; tailOffset = size; inLongLineTail = false
        head = FileIdentity.head(fd)
        recent = FileIdentity.bytes(fd, endingAt: size, count: Self.recentBytes) ?? []
        tail = Array(recent.suffix(FileIdentity.fingerprintBytes))
    }

    /// The file is a new one (or was cut to nothing and rewritten): read it from 0.
    func startOver(fd: Int32) {
        birth = FileIdentity.birth(fd)
        head = FileIdentity.head(fd)
        tail = []; recent = []; tailOffset = 0
        offset = 0; readTo = 0; inLongLineTail = false; truncated = false
        if handle != nil { handle!.reader.reset(to: 0); lseek(fd, 0, SEEK_SET) }
    }

    /// Closes the descriptor, remembering the position (a held partial line is read again when reopened).
    func closeHandle() {
        guard let h = handle else { return }
        refreshTail()
        offset = h.reader.committedOffset
        readTo = position
        inLongLineTail = h.reader.inLongLineTail
        var st = stat()
        if fstat(h.fd, &st) == 0 { size = UInt64(st.st_size) }
        close(h.fd)
        h.reader.deallocate()
        handle = nil
    }
}

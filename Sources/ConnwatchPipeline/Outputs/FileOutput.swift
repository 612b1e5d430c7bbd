import Foundation
import ConnwatchModel
import ConnwatchRules

package enum FsyncPolicy: String, Sendable, CaseIterable {
    /// fdatasync before every checkpoint move.
    case always
    /// fdatasync at most every `interval` seconds; checkpoints move only at those syncs.
    case interval
    /// No fsync: checkpoints move once the kernel has the data (survives a crash of connwatch, not of the host).
    case never
}

/// The findings file: JSON lines appended with `O_APPEND`, a batch in one `writev(2)` with one iovec per finding
/// (readers such as forwarders never see a finding cut by another writer's). Reopened on SIGHUP and when the path's inode changes (logrotate).
package final class FileOutput: FindingOutput {
    package struct Settings: Sendable, Equatable {
        package var path: String
        package var fsync: FsyncPolicy = .interval
        package var fsyncInterval: TimeInterval = 1
        package var mode: mode_t = 0o640
        package init(path: String, fsync: FsyncPolicy = .interval, fsyncInterval: TimeInterval = 1) {
            self.path = path; self.fsync = fsync; self.fsyncInterval = fsyncInterval
        }
    }

    package let settings: Settings
    package var name: String { "file \(settings.path)" }
    let encoder: JSONLinesEncoder
    var fd: Int32 = -1
    var identity: (dev: UInt64, ino: UInt64) = (0, 0)
    /// Encoded findings not yet written; `ends[i]` is where finding i ends, `written` how much of the queue is out.
    var queue: [UInt8] = []
    var ends: [Int] = []
    var written = 0
    var unsynced = false
    var lastSync = Date()
    var retry = Retry()
    var reopenRequested = false
    var syncRequested = false

    /// Opens (creating the file and its directory) at once, so a wrong path fails at start-up, not later.
    package init(_ settings: Settings, lang: Language) throws(OutputError) {
        self.settings = settings
        encoder = JSONLinesEncoder(lang: lang)
        try open()
    }

    deinit { if fd >= 0 { close(fd) } }

    package var pending: Int { ends.count }

    package func accept(_ finding: Finding) {
        encoder.encode(finding, into: &queue)
        ends.append(queue.count)
    }

    package func reopen() { reopenRequested = true }
    package func urgeNextFlush() { syncRequested = true; retry.retryNow() }

    package func nextDeadline() -> Date? {
        if let at = retry.retryAt { return at }
        if unsynced && settings.fsync == .interval { return lastSync.addingTimeInterval(settings.fsyncInterval) }
        return nil
    }

    package func flush(now: Date) throws(OutputError) -> Durability {
        try retry.attempt(now: now) { () throws(OutputError) in
            try reopenIfMoved()
            try writeQueue()
            return try sync(now)
        }
    }

    func open() throws(OutputError) {
        let dir = (settings.path as NSString).deletingLastPathComponent
        if !dir.isEmpty {
            do { try FileSystem.createDirectory(dir, mode: 0o750) } catch {
                throw OutputError(output: name, kind: "open", errno: error.errno, message: "cannot create \(dir): \(error)")
            }
        }
        let fd = Foundation.open(settings.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, settings.mode)
        guard fd >= 0 else { throw OutputError(output: name, kind: "open", errno: errno) }
        var st = stat()
        fstat(fd, &st)
        // A new file gets `mode` exactly, whatever the umask (UMask=0077 would make it unreadable to forwarders).
        if st.st_size == 0 && st.st_uid == geteuid() && (st.st_mode & 0o777) != settings.mode { fchmod(fd, settings.mode) }
        self.fd = fd
        identity = (UInt64(st.st_dev), UInt64(st.st_ino))
    }

    /// A rename (logrotate `create`), a deleted path or SIGHUP: sync what went to the old file, then start
    /// a new one at the path. Copytruncate needs nothing: O_APPEND writes go to the new end.
    func reopenIfMoved() throws(OutputError) {
        if fd >= 0 && !reopenRequested {
            var st = stat()
            if stat(settings.path, &st) == 0 && (UInt64(st.st_dev), UInt64(st.st_ino)) == identity { return }
        }
        if fd >= 0 {
            if unsynced && settings.fsync != .never && fdatasync(fd) != 0 {
                throw OutputError(output: name, kind: "fsync", errno: errno)
            }
            close(fd)
            fd = -1
            unsynced = false
        }
        reopenRequested = false
        try open()
    }

    /// The queue in writev calls of one iovec per finding; a short write (disk full mid-line) keeps the rest
    /// for the retry, so the line ends up whole once space returns.
    func writeQueue() throws(OutputError) {
        guard !ends.isEmpty else { return }
        let before = written
        let e = queue.withUnsafeBytes { bytes in
            ends.withUnsafeBufferPointer { FileSystem.writeAll(fd, bytes, recordEnds: $0, written: &written) }
        }
        if written > before { unsynced = true }
        // Findings wholly out.
        let first = ends.firstIndex { $0 > written } ?? ends.count
        if first == ends.count {
            // Keep the buffer (a flood refills it at once; reallocating means page faults), unless a huge one.
            queue.removeAll(keepingCapacity: queue.capacity <= 32 << 20)
            ends.removeAll(keepingCapacity: true)
            written = 0
        } else if first > 0 {
            // Drop what is out so a long outage does not rescan it.
            let cut = ends[first - 1]
            queue.removeFirst(cut)
            ends.removeFirst(first)
            for i in ends.indices { ends[i] -= cut }
            written -= cut
        }
        if let e { throw OutputError(output: name, kind: "write", errno: e) }
    }

    func sync(_ now: Date) throws(OutputError) -> Durability {
        guard unsynced else { return .durable }
        switch settings.fsync {
        case .never:
            return .durable
        case .interval where now.timeIntervalSince(lastSync) < settings.fsyncInterval && !syncRequested:
            return .written
        case .always, .interval:
            if fdatasync(fd) != 0 { throw OutputError(output: name, kind: "fsync", errno: errno) }
            unsynced = false
            syncRequested = false
            lastSync = now
            return .durable
        }
    }
}

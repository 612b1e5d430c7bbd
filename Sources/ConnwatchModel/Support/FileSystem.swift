import Foundation

/// A failed file-system call, with the path and the call that failed.
package struct FileSystemError: Error, Sendable, CustomStringConvertible {
    package var path: String
    var operation: String
    package var errno: Int32
    package init(path: String, operation: String, errno: Int32) {
        self.path = path; self.operation = operation; self.errno = errno
    }
    package var description: String { "\(path): \(operation): \(String(cString: strerror(errno)))" }
}

/// Every file and directory connwatch writes goes through here, so that each one gets an explicit mode
/// whatever the umask, a replaced file is never seen half-written, and a symlink planted in a writable
/// directory is never followed.
package enum FileSystem {
    /// write(2) until every byte is out: short writes continue, EINTR retries. Returns nil or the errno,
    /// with `written` telling how far it got (a caller that retries later resumes from there).
    package static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, written: inout Int) -> Int32? {
        writeAll(fd, bytes, recordEnds: CollectionOfOne(bytes.count), written: &written)
    }

    /// writev(2)'s limit on iovecs per call (IOV_MAX; 1024 on Linux).
    static let maxVectors = max(16, sysconf(Int32(_SC_IOV_MAX)))

    /// The same for records laid end to end in `bytes` (`recordEnds`: where each ends, ascending, the last at
    /// `bytes.count`): writev(2) with one iovec per record, at most IOV_MAX per call, so a batch costs a few
    /// system calls and still never joins two records in one buffer. A short write resumes inside the record it
    /// stopped in.
    package static func writeAll<Ends: RandomAccessCollection>(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, recordEnds: Ends,
                                                               written: inout Int) -> Int32? where Ends.Element == Int {
        guard let base = bytes.baseAddress, written < bytes.count else { return nil }
        return withUnsafeTemporaryAllocation(of: iovec.self, capacity: min(maxVectors, recordEnds.count)) { vectors in
            // The first record not wholly out.
            var next = recordEnds.startIndex
            while next != recordEnds.endIndex && recordEnds[next] <= written { next = recordEnds.index(after: next) }
            while written < bytes.count {
                var count = 0
                var from = written
                var i = next
                while count < vectors.count && i != recordEnds.endIndex {
                    let end = recordEnds[i]
                    vectors[count] = iovec(iov_base: UnsafeMutableRawPointer(mutating: base + from), iov_len: end - from)
                    count += 1
                    from = end
                    i = recordEnds.index(after: i)
                }
                let n = writev(fd, vectors.baseAddress, Int32(count))
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                written += n
                while next != recordEnds.endIndex && recordEnds[next] <= written { next = recordEnds.index(after: next) }
            }
            return nil
        }
    }

    package static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws(FileSystemError) {
        var written = 0
        if let e = writeAll(fd, bytes, written: &written) { throw FileSystemError(path: path, operation: "write", errno: e) }
    }

    /// Creates `path` and any missing parents with exactly `mode` (chmod after mkdir: the umask does not
    /// apply). Existing directories are left as they are.
    package static func createDirectory(_ path: String, mode: mode_t) throws(FileSystemError) {
        var st = stat()
        if stat(path, &st) == 0 {
            if (st.st_mode & S_IFMT) == S_IFDIR { return }
            throw FileSystemError(path: path, operation: "mkdir", errno: ENOTDIR)
        }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty && parent != path { try createDirectory(parent, mode: mode) }
        if mkdir(path, mode) != 0 {
            if errno == EEXIST { return } // created meanwhile by someone else: theirs to own
            throw FileSystemError(path: path, operation: "mkdir", errno: errno)
        }
        if chmod(path, mode) != 0 { throw FileSystemError(path: path, operation: "chmod", errno: errno) }
    }

    /// A new directory under $TMPDIR (else /tmp) that only we can enter: mkdtemp(3) creates it with mode 0700
    /// under an unpredictable name. The caller removes it.
    package static func makePrivateTemporaryDirectory(prefix: String) throws(FileSystemError) -> String {
        let base = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array("\(base)/\(prefix)-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw FileSystemError(path: "\(base)/\(prefix)-XXXXXX", operation: "mkdtemp", errno: errno)
        }
        return String(cString: made)
    }

    /// Replaces `path` with `bytes` atomically: a new temporary file in the same directory (created with
    /// O_EXCL|O_NOFOLLOW under an unpredictable name, so nothing planted there is written through), given
    /// `mode`, written whole, then renamed over `path` (rename replaces a symlink at `path` itself, never
    /// its target). `durable`: fsync the file before the rename and the directory after it.
    package static func replaceAtomically(_ path: String, with bytes: UnsafeRawBufferPointer, mode: mode_t,
                                         durable: Bool) throws(FileSystemError) {
        let directory = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        var temp = ""
        var fd: Int32 = -1
        for _ in 0..<100 {
            temp = (directory as NSString).appendingPathComponent(".\(name).\(String(UInt64.random(in: 0...UInt64.max), radix: 36)).tmp")
            fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
            if fd >= 0 || errno != EEXIST { break }
        }
        guard fd >= 0 else { throw FileSystemError(path: temp, operation: "create", errno: errno) }
        func fail(_ operation: String, _ e: Int32) -> FileSystemError {
            close(fd)
            unlink(temp)
            return FileSystemError(path: path, operation: operation, errno: e)
        }
        if fchmod(fd, mode) != 0 { throw fail("chmod", errno) }
        var written = 0
        if let e = writeAll(fd, bytes, written: &written) { throw fail("write", e) }
        if durable && fsync(fd) != 0 { throw fail("fsync", errno) }
        if close(fd) != 0 {
            let e = errno
            unlink(temp)
            throw FileSystemError(path: path, operation: "close", errno: e)
        }
        if rename(temp, path) != 0 {
            let e = errno
            unlink(temp)
            throw FileSystemError(path: path, operation: "rename", errno: e)
        }
        if durable {
            let dfd = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if dfd >= 0 { fsync(dfd); close(dfd) }
        }
    }

    package static func replaceAtomically<C: ContiguousBytes>(_ path: String, with contents: C, mode: mode_t,
                                                             durable: Bool) throws(FileSystemError) {
        let result: Result<Void, FileSystemError> = contents.withUnsafeBytes { raw in
            do throws(FileSystemError) { try replaceAtomically(path, with: raw, mode: mode, durable: durable) } catch {
                return .failure(error)
            }
            return .success(())
        }
        try result.get()
    }

    /// Whether a file may be trusted to hold what connwatch wrote: a regular file owned by the running user or
    /// root and not writable by group or others, in a directory with the same property (else anyone could
    /// swap it). nil when trusted, else the reason.
    package static func untrustedReason(_ path: String) -> String? {
        let directory = (path as NSString).deletingLastPathComponent
        if let reason = untrustedDirectoryReason(directory.isEmpty ? "." : directory) { return reason }
        var st = stat()
        guard lstat(path, &st) == 0 else { return "\(path): \(String(cString: strerror(errno)))" }
        if (st.st_mode & S_IFMT) != S_IFREG { return "\(path) is not a regular file" }
        return ownershipProblem(st, path)
    }

    /// The directory half of `untrustedReason` (it may be reached through a symlink, as ~/.cache often is).
    package static func untrustedDirectoryReason(_ directory: String) -> String? {
        var st = stat()
        guard stat(directory, &st) == 0 else { return "\(directory): \(String(cString: strerror(errno)))" }
        return ownershipProblem(st, directory)
    }

    static func ownershipProblem(_ st: stat, _ path: String) -> String? {
        if st.st_uid != geteuid() && st.st_uid != 0 { return "\(path) is owned by uid \(st.st_uid)" }
        if st.st_mode & (S_IWGRP | S_IWOTH) != 0 {
            return "\(path) is writable by \(st.st_mode & S_IWOTH != 0 ? "others" : "its group") (mode \(String(st.st_mode & 0o7777, radix: 8)))"
        }
        return nil
    }
}

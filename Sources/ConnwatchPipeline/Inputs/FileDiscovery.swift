import Foundation
import ConnwatchModel

/// Finding the files: globs, directory watches, and files that moved (matched by identity, never by name).
extension FileFollower {
    /// A closed file not found is forgotten only when it is still not found this much later.
    static let missingGrace = 1.0

    static let watchMask = UInt32(IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE
                                  | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)

    /// Drains inotify. A file's growth means "look at the sizes", any other event "look again"; a directory the kernel stopped watching (removed, moved
    /// away) is forgotten, so that the next rescan watches it, or the one created in its place, again. A rename
    /// out of the glob is remembered by its new name, and followed through further renames until a rescan adopts
    /// it (numbered rotation renames a file again before it was ever looked at). A queue overflow (events lost)
    /// makes the next rescan sweep the directories for rotated files born since the last complete listing.
    package func handleEvents() {
        let size = 64 * 1024
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 8)
        defer { buffer.deallocate() }
        let header = MemoryLayout<inotify_event>.size
        let earlier = Set(movedFrom.keys)
        while true {
            let n = Foundation.read(inotify, buffer, size)
            if n <= 0 { break }
            var i = 0
            while i + header <= n {
                let event = buffer.load(fromByteOffset: i, as: inotify_event.self)
                // Growth needs a look at the sizes only; anything else (names, directories, modes) a rescan.
                if event.mask & ~UInt32(IN_MODIFY | IN_CLOSE_WRITE | IN_ISDIR) == 0 { needsSizes = true } else { needsRescan = true }
                if event.mask & UInt32(IN_Q_OVERFLOW) != 0 {
                    queueOverflowed()
                } else if event.mask & UInt32(IN_IGNORED) != 0 {
                    forgetWatch(event.wd)
                } else if event.mask & UInt32(IN_DELETE_SELF | IN_MOVE_SELF) != 0 {
                    inotify_rm_watch(inotify, event.wd)
                    forgetWatch(event.wd)
                } else if event.mask & UInt32(IN_MOVED_FROM | IN_MOVED_TO) != 0, event.len > 0, let dir = watches[event.wd] {
                    let name = String(cString: (buffer + i + header).assumingMemoryBound(to: CChar.self))
                    let path = (dir as NSString).appendingPathComponent(name)
                    if event.mask & UInt32(IN_MOVED_FROM) != 0 {
                        movedFrom[event.cookie] = path
                    } else if let old = movedFrom.removeValue(forKey: event.cookie) {
                        if let k = renamedOut.firstIndex(where: { $0.path == old }) {
                            renamedOut[k] = (path, 0)
                        } else if matchesPattern(old) && !matchesPattern(path) {
                            renamedOut.append((path, 0))
                        }
                    }
                }
                i += header + Int(event.len)
            }
        }
        // A rename's MOVED_TO may be queued just after a read: a MOVED_FROM waits one drain for it, then it is a
        // move out of the watched directories.
        for cookie in earlier { movedFrom[cookie] = nil }
    }

    /// Events were lost: files created and renamed out of the glob meanwhile are found by the next rescan's sweep
    /// (rotated names born since the last complete listing). Logged once per follower.
    func queueOverflowed() {
        overflows += 1
        if overflows == 1 {
            logger?.warning("inotify queue overflowed (fs.inotify.max_queued_events): looking for rotated files in the watched directories; logged once",
                            metadata: ["input": "\(name)"])
        }
        // Before the first listing there is nothing to look back to (files are found by that listing).
        guard let from = seenThrough else { return }
        sweepFrom = min(sweepFrom ?? from, from)
    }

    func forgetWatch(_ wd: Int32) {
        if let dir = watches.removeValue(forKey: wd), watchedDirectories[dir] == wd { watchedDirectories[dir] = nil }
    }

    func watch(_ dir: String) {
        guard watchedDirectories[dir] == nil else { return }
        let wd = inotify_add_watch(inotify, dir, Self.watchMask)
        guard wd >= 0 else { return }
        watches[wd] = dir
        watchedDirectories[dir] = wd
    }

    /// Lists the globs and matches what they name with the known files by identity. A known file that is not
    /// listed (renamed out of the glob, deleted, or renamed between the listing and the stat) is looked for in
    /// its directory by device and inode; it is forgotten only when it is gone and holds nothing unread.
    /// After the listing, the renames made meanwhile are drained: every file born before the listing started
    /// and ever in the glob is then known (`seenThrough`), unless inotify lost events (then `sweep`).
    func rescan() {
        needsRescan = false
        // Watch first, list after: a file created in between is listed, or raises an event.
        for pattern in patterns { for dir in Self.directoriesToWatch(pattern) { watch(dir) } }
        let listingStarted = FileIdentity.fileClockNow()
        let excludedKeys = Set(excludedPaths.compactMap { p -> FileKey? in
            var st = stat()
            return stat(p, &st) == 0 ? FileKey(st) : nil
        })
        var listed: [FileKey: (path: String, st: stat)] = [:]
        for pattern in patterns {
            // A glob that matches rotated names (`app.log*`) also matches their compressed copies (logrotate
            // `compress`): bytes read already, and not text. Only a glob naming a compressed extension takes them.
            let takesCompressed = Self.isCompressed(pattern)
            for path in Self.glob(pattern) where takesCompressed || !Self.isCompressed(path) {
                var st = stat()
                guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { continue }
                let key = FileKey(st)
                if excludedKeys.contains(key) || isExcluded(path) { continue }
                if listed[key] == nil { listed[key] = (path, st) }
                // A symlink's target may live elsewhere: watch its directory too.
                if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path) {
                    let resolved = target.hasPrefix("/") ? target : ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent(target)
                    watch((resolved as NSString).deletingLastPathComponent)
                }
            }
        }
        // A file renamed out of the glob while it was listed is in neither the listing nor the last drain.
        handleEvents()
        let now = Date()
        func adoptable(_ path: String, _ st: stat) -> Bool {
            (st.st_mode & S_IFMT) == S_IFREG && files[FileKey(st)] == nil && listed[FileKey(st)] == nil
                && !excludedKeys.contains(FileKey(st)) && !isExcluded(path)
        }
        // Renamed out of the glob before any listing saw them: followed from 0 like any rotated file. A name
        // that holds a known file (or none) may be one this file left again: kept for one more drain.
        renamedOut = renamedOut.compactMap { pending in
            var st = stat()
            if stat(pending.path, &st) == 0, adoptable(pending.path, st) {
                adoptDeparted(pending.path, st, now: now)
                return nil
            }
            return pending.drains < 1 ? (pending.path, pending.drains + 1) : nil
        }
        if let from = sweepFrom {
            sweepFrom = nil
            sweep(bornAfter: from, now: now, adoptable: adoptable)
        }
        // Known files no longer listed, by their last name: a new file listed under it may have replaced one.
        var left: [String: FileKey] = [:]
        for f in files.values where listed[f.key] == nil { left[f.path] = f.key }
        for (key, found) in listed {
            // A closed file's inode now holds another file (deleted and created again): born at another time. Birth
            // and inode read together: by now the listed name may hold the next file of a numbered rotation, whose
            // birth differs (the known file would be forgotten and read again from 0).
            if let f = files[key], f.handle == nil, let b = f.birth, let now = FileIdentity.statWithBirth(found.path),
               FileKey(now.st) == key, let born = now.birth, born != b {
                warnIfGoneUnread(f)
                drop(f)
            }
            if files[key] == nil, let c = parked.removeValue(forKey: key) {
                // Taken by the globs again: read on from its checkpoint (compared with the file when opened).
                files[key] = FollowedFile(c)
            }
            if let f = files[key] {
                f.path = found.path
                f.departedAt = nil
                f.retained = false
                if f.handle == nil { f.lookedAt(found.st) }
            } else {
                let f = FollowedFile(key: key, path: found.path, offset: startAtEnd ? UInt64(found.st.st_size) : 0)
                f.lookedAt(found.st)
                f.mayBeCopy = !startAtEnd
                f.replaces = left[found.path]
                // Skipped content still gets its identity recorded (opened once, read from its end).
                if startAtEnd { f.verified = false }
                files[key] = f
            }
        }
        var index: [String: [FileKey: String]] = [:]
        for f in Array(files.values) where listed[f.key] == nil {
            if let path = locate(f, index: &index) {
                f.missingSince = nil
                f.path = path
                var st = stat()
                if f.handle == nil, stat(path, &st) == 0 { f.lookedAt(st) }
                if f.departedAt == nil { f.departedAt = now }
            } else if f.handle != nil {
                // Deleted or moved out of reach while open: read through the descriptor until its time is up.
                if f.departedAt == nil { f.departedAt = now }
            } else if let since = f.missingSince, now.timeIntervalSince(since) >= Self.missingGrace {
                warnIfGoneUnread(f)
                drop(f)
            } else {
                // Not found once: it may have been renamed between the directory listing and the stat. Looked
                // for again before it is forgotten.
                if f.missingSince == nil { f.missingSince = now }
                let again = now.addingTimeInterval(Self.missingGrace)
                recheckAt = min(recheckAt ?? again, again)
            }
        }
        seenThrough = listingStarted
    }

    /// A file that left the glob unseen: followed from 0, departed (read to its end, kept for `rotateWait`).
    func adoptDeparted(_ path: String, _ st: stat, now: Date) {
        let f = FollowedFile(key: FileKey(st), path: path, offset: 0)
        f.size = UInt64(st.st_size)
        f.departedAt = now
        f.mayBeCopy = true
        files[f.key] = f
    }

    /// Rotated files no event announced (inotify lost events, or connwatch was stopped): in the watched
    /// directories and those of the known files, an unknown file with a rotated name of a glob match (see
    /// `isRotatedName`) born at or after `from` was created after the last complete listing started and left the
    /// glob unseen. Where the filesystem records no birth time the change time stands in (later: more files
    /// qualify).
    func sweep(bornAfter from: Int64, now: Date, adoptable: (String, stat) -> Bool) {
        let dirs = Set(watches.values).union(files.values.map { ($0.path as NSString).deletingLastPathComponent })
        for dir in dirs.sorted() {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] {
                let path = (dir as NSString).appendingPathComponent(name)
                guard isRotatedName(path), let (st, birth) = FileIdentity.statWithBirth(path), adoptable(path, st) else { continue }
                let born = birth ?? (Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec))
                if born >= from { adoptDeparted(path, st, now: now) }
            }
        }
    }

    /// A closed file that is gone from its directory or whose inode holds another file now (deleted, compressed,
    /// or moved to another directory: logrotate's `compress` without `delaycompress`, `olddir`) with bytes not read.
    /// A gzip file in the same directory whose first bytes are the file's is its compressed copy (its trailer gives
    /// the size when connwatch was stopped meanwhile): its bytes past what was read of the file are read at the next
    /// pump (`readCompressedRest`), matched by the bytes before the offset, so nothing read is read again. Else the
    /// lines are lost: said once, naming the file and how many bytes.
    func warnIfGoneUnread(_ f: FollowedFile) {
        let copy = compressedCopy(of: f)
        let unread: UInt64
        if let c = copy, c.size > f.readTo { unread = c.size - f.readTo } else if f.verified && f.size > f.readTo {
            unread = f.size - f.readTo
        } else { return }
        if let copy, copy.size > f.readTo, let content = f.readContent ?? (f.offset == 0 ? f.noneRead : nil),
           !takesAsItIs(copy.path) {
            compressedRests.append((copy.path, content))
            unfinished = true
            return
        }
        let copyText = copy.map { " (compressed to \($0.path): rotate with delaycompress so that a rotated file is read before it is compressed)" } ?? ""
        logger?.warning("the file read as \(f.path) is gone (deleted, compressed or moved to another directory) with \(unread) bytes not read: their lines are not scanned\(copyText)",
                        metadata: ["input": "\(name)", "inode": "\(f.key.inode)"])
    }

    /// Reads a compressed copy (gzip) of a file gone unread from where that file was read up to, to its end: the
    /// bytes before that offset must be the ones read (else nothing is read, and the loss is said). Read in one go
    /// (a rotated file's size), its findings named by the copy's path.
    func readCompressedRest(_ path: String, _ c: FollowedFile.ReadContent, emit: (Finding) -> Void) {
        let fd = Foundation.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        var st = stat()
        let inode = fstat(fd, &st) == 0 ? UInt64(st.st_ino) : nil
        var read: UInt64 = 0
        var lines: UInt64 = 0
        do {
            var source = try GzipSource(fd: fd, path: path)
            // Inflate up to the offset, keeping the bytes before it to compare.
            var before: [UInt8] = []
            let skip = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 8)
            defer { skip.deallocate() }
            while read < c.offset {
                let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: skip[..<Int(min(UInt64(skip.count), c.offset - read))]))
                if n == 0 { break }
                before = Array((before + skip[..<n]).suffix(c.tail.count))
                read += UInt64(n)
            }
            guard read == c.offset, before == c.tail else {
                logger?.warning("\(path) looks like a compressed copy of \(c.path) but does not hold what was read of it: not read",
                                metadata: ["input": "\(name)"])
                return
            }
            var reader = ChunkReader(chunkBytes: Self.chunkBytes, maxLineBytes: scanner.ruleSet.maxLineBytes, startOffset: c.offset,
                                     events: scanner.events, inLongLineTail: c.longLineTail)
            defer { reader.deallocate() }
            let origin = Origin(input: "file", path: path, inode: inode)
            try reader.run(&source) { buf, off, trunc in
                lines += Self.countLines(buf)
                read = off + UInt64(buf.count)
                scanner.scan(buf, bufferOffset: off, origin: origin, context: context, lastLineTruncated: trunc, emit: emit)
            }
        } catch {
            logger?.warning("cannot read \(path): \(error.message)", metadata: ["input": "\(name)"])
        }
        linesRead += lines
        bytesRead += read > c.offset ? read - c.offset : 0
        logger?.info("read \(c.path)'s last \(read > c.offset ? read - c.offset : 0) bytes from its compressed copy \(path) (compressed before they were read)",
                     metadata: ["input": "\(name)"])
    }

    /// A gzip file beside `f` whose decompressed first bytes are `f`'s, with its uncompressed size (the gzip
    /// trailer's, modulo 4 GiB).
    func compressedCopy(of f: FollowedFile) -> (path: String, size: UInt64)? {
        guard !f.head.isEmpty else { return nil }
        let dir = (f.path as NSString).deletingLastPathComponent
        for name in ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted() where name.lowercased().hasSuffix(".gz") {
            let path = (dir as NSString).appendingPathComponent(name)
            let fd = Foundation.open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { continue }
            var st = stat()
            var trailer = [UInt8](repeating: 0, count: 4)
            guard fstat(fd, &st) == 0, st.st_size >= 18, pread(fd, &trailer, 4, st.st_size - 4) == 4,
                  let source = try? GzipSource(fd: fd, path: path) else { close(fd); continue }
            var first = [UInt8](repeating: 0, count: f.head.count)
            var got = 0
            while got < first.count {
                let n = first.withUnsafeMutableBytes { b in (try? source.read(into: UnsafeMutableRawBufferPointer(rebasing: b[got...]))) ?? 0 }
                if n <= 0 { break }
                got += n
            }
            if got == first.count && first == f.head {
                return (path, trailer.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
            }
        }
        return nil
    }

    static let compressedExtensions: Set<String> = ["gz", "bz2", "xz", "zst", "lz4", "lzma", "z", "zip", "br"]

    /// A name a rotation gives a file matching a glob: that name followed by `.`, `-` or `_` and a suffix
    /// (`app.log.1`, `app.log-20261201`, `app.log.2026-12-01`), or with the suffix before its extension (logrotate's
    /// `extension .log`: `app-20261201.log`, `app.1.log`); not itself a match, and not compressed.
    func isRotatedName(_ path: String) -> Bool {
        if matchesPattern(path) || Self.isCompressed(path) { return false }
        let dir = (path as NSString).deletingLastPathComponent
        return Self.rotationSources(of: (path as NSString).lastPathComponent).contains {
            matchesPattern((dir as NSString).appendingPathComponent($0))
        }
    }

    static func isCompressed(_ path: String) -> Bool {
        compressedExtensions.contains((path as NSString).pathExtension.lowercased())
    }

    /// The names a file named `name` may have been rotated from: `name` cut before a `.`, `-` or `_`, at the end
    /// or before its extension (`app.log.1`, `app.log-20261201`, `app-20261201.log` and `app.1.log` → `app.log`).
    static func rotationSources(of name: String) -> [String] {
        let ext = (name as NSString).pathExtension
        let chars = Array(name)
        // The suffix at the end, or before the extension (then the extension is put back after the cut).
        let forms: [(stem: ArraySlice<Character>, ext: String)] =
            [(chars[...], "")] + (ext.isEmpty || chars.count <= ext.count ? [] : [(chars[..<(chars.count - ext.count - 1)], "." + ext)])
        var sources: [String] = []
        for form in forms {
            for (i, c) in form.stem.enumerated() where i > 0 && (c == "." || c == "-" || c == "_") {
                sources.append(String(form.stem.prefix(i)) + form.ext)
            }
        }
        return sources
    }

    // MARK: copies (copytruncate)

    /// What a new file is, compared with what was read of the files its name says it was rotated from (see
    /// `rotationSources`): those in its directory that are followed now, and those truncated lately (any
    /// directory: logrotate's `olddir`).
    enum CopyVerdict {
        /// A copy of a truncated file: read from where that file was read up to.
        case copy(FollowedFile.ReadContent)
        /// Only bytes already read: read from its end.
        case skip
        /// A copy of a followed file that still holds the same bytes (not truncated yet): they are read there.
        case heldBy(FollowedFile)
        /// Same first bytes, shorter than what was read of a truncated file: may still be being copied.
        case wait(until: Date)
        case new
    }

    /// Seconds after its last change that a file which may still be being copied waits before it is read as new.
    static let copyingWait = 1.0
    /// Truncated files' read content is kept this long (at most `truncatedKeepCount` of them) for their copies.
    static let truncatedKeep = 120.0
    static let truncatedKeepCount = 64
    /// Bytes compared between a copy and the followed file it copies.
    static let copyWindow = 4096

    func copyCheck(_ f: FollowedFile, fd: Int32, size: UInt64, now: Date) -> CopyVerdict {
        // Held as a copy until its original was truncated: the copy holds a prefix of what the original held then.
        if let c = f.copiedFrom {
            f.copiedFrom = nil
            if size <= c.offset { return .skip }
            if FileIdentity.bytes(fd, endingAt: c.offset, count: c.tail.count) == c.tail { return .copy(c) }
        }
        if Self.isCompressed(f.path) { return .new }
        let sources = Set(Self.rotationSources(of: (f.path as NSString).lastPathComponent))
        guard !sources.isEmpty || f.replaces != nil || f.copyOf != nil else { return .new }
        truncatedContents.removeAll { now.timeIntervalSince($0.at) > Self.truncatedKeep }
        var candidates: [(content: FollowedFile.ReadContent, live: FollowedFile?)] =
            truncatedContents.filter { sources.contains(($0.path as NSString).lastPathComponent) }.map { ($0, nil) }
        let dir = (f.path as NSString).deletingLastPathComponent
        var live = sources.sorted().compactMap { name -> FollowedFile? in
            var st = stat()
            return stat((dir as NSString).appendingPathComponent(name), &st) == 0 ? files[FileKey(st)] : nil
        }
        // The file it replaced, or the one it was held for (renamed over it since).
        for r in [f.replaces, f.copyOf].compactMap({ $0 }) { if let known = files[r], !live.contains(where: { $0 === known }) { live.append(known) } }
        for source in live where source !== f && !source.mayBeCopy {
            if let content = source.readContent { candidates.append((content, source)) }
        }
        var verdict = CopyVerdict.new
        // Followed files first (a copy taken before the truncation was noticed), then the longest read.
        for (c, live) in candidates.sorted(by: { ($0.live == nil ? 0 : 1, $0.content.offset) > ($1.live == nil ? 0 : 1, $1.content.offset) }) {
            let n = Int(min(size, UInt64(c.head.count)))
            var first = [UInt8](repeating: 0, count: n)
            guard n > 0, pread(fd, &first, n, 0) == n, first[...] == c.head[..<n] else { continue }
            if let live {
                // A copy of the followed file holds what the file holds at the same offsets (a copy being written
                // included): at what was read of it, or at the copy's end when the copy is shorter.
                // A wide window: lines that differ only in a few bytes must not pass for copies.
                let end = min(size, c.offset)
                if let mine = FileIdentity.bytes(fd, endingAt: end, count: Self.copyWindow),
                   mine == liveBytes(live, endingAt: end, count: mine.count) {
                    return .heldBy(live)
                }
                if holdsWhatWasRead(live) { continue }
                // The followed file no longer holds them (truncated, not noticed yet): compared as a truncated one
                // below, a copy shorter than what was read included (lines read between logrotate's copy and its
                // truncation: the copy was read again from 0, 190 lines in a real logrotate run).
            }
            if size >= c.offset && n == c.head.count {
                if FileIdentity.bytes(fd, endingAt: c.offset, count: c.tail.count) == c.tail { return .copy(c) }
                continue
            }
            // Shorter than what was read of the truncated file (read on after logrotate's copy, before its
            // truncation): a copy when its last bytes are the ones read at the same offsets.
            let known = c.offset - UInt64(c.recent.count)
            let k = Int(min(size, UInt64(FileIdentity.fingerprintBytes)))
            if n == c.head.count, size - UInt64(k) >= known {
                let from = Int(size - UInt64(k) - known)
                if FileIdentity.bytes(fd, endingAt: size, count: k).map({ $0[...] == c.recent[from..<(from + k)] }) == true { return .skip }
            }
            var st = stat()
            guard fstat(fd, &st) == 0 else { continue }
            let changed = Date(timeIntervalSince1970: Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9)
            let until = changed.addingTimeInterval(Self.copyingWait)
            if until > now, case .new = verdict { verdict = .wait(until: until) }
        }
        return verdict
    }

    /// `count` bytes of a followed file ending at `end`, read through its descriptor or by its name.
    func liveBytes(_ f: FollowedFile, endingAt end: UInt64, count: Int) -> [UInt8]? {
        if let h = f.handle { return FileIdentity.bytes(h.fd, endingAt: end, count: count) }
        let fd = Foundation.open(f.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, FileKey(st) == f.key else { return nil }
        return FileIdentity.bytes(fd, endingAt: end, count: count)
    }

    /// A followed file is truncated (copytruncate) or its inode holds other bytes now: what was read of it is kept
    /// for its copy (read from there, not again from 0), copies held for it are released, and a copy that the
    /// globs do not match (glob `app.log`, copy `app.log.1`) is looked for beside it and read from there to its
    /// end: the lines written between the last read and the truncation are in it.
    func truncated(_ f: FollowedFile) {
        let content = f.readContent
        releaseCopies(of: f, content: content)
        guard let content else { return }
        truncatedContents.append(content)
        if truncatedContents.count > Self.truncatedKeepCount { truncatedContents.removeFirst() }
        adoptCopies(of: content)
    }

    func releaseCopies(of f: FollowedFile, content: FollowedFile.ReadContent?) {
        for copy in files.values where copy.copyOf == f.key {
            copy.copyOf = nil
            copy.copyHeldUntil = nil
            copy.copiedFrom = content
            unfinished = true
        }
    }

    func adoptCopies(of c: FollowedFile.ReadContent) {
        let dir = (c.path as NSString).deletingLastPathComponent
        let base = (c.path as NSString).lastPathComponent
        let now = Date()
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] {
            let path = (dir as NSString).appendingPathComponent(name)
            guard !matchesPattern(path), !Self.isCompressed(path), !isExcluded(path),
                  Self.rotationSources(of: name).contains(base) else { continue }
            let fd = Foundation.open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            var st = stat()
            guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, files[FileKey(st)] == nil,
                  UInt64(st.st_size) >= c.offset, FileIdentity.head(fd).prefix(c.head.count) == c.head[...],
                  FileIdentity.bytes(fd, endingAt: c.offset, count: c.tail.count) == c.tail else { continue }
            let copy = FollowedFile(key: FileKey(st), path: path, offset: c.offset)
            copy.resume(at: c)
            copy.birth = FileIdentity.birth(fd)
            copy.size = UInt64(st.st_size)
            copy.departedAt = now
            files[copy.key] = copy
            unfinished = true
        }
    }

    /// Where a known file is now: its last name if that is still it, else a name in the same directory with
    /// its device and inode (listed once per rescan and directory). nil when it is deleted or gone elsewhere.
    func locate(_ f: FollowedFile, index: inout [String: [FileKey: String]]) -> String? {
        var st = stat()
        if stat(f.path, &st) == 0, FileKey(st) == f.key { return f.path }
        if let h = f.handle, fstat(h.fd, &st) == 0, st.st_nlink == 0 { return nil }
        let dir = (f.path as NSString).deletingLastPathComponent
        if index[dir] == nil {
            var entries: [FileKey: String] = [:]
            for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] {
                let path = (dir as NSString).appendingPathComponent(name)
                if stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG { entries[FileKey(st)] = path }
            }
            index[dir] = entries
        }
        return index[dir]?[f.key]
    }

    func matchesPattern(_ path: String) -> Bool {
        patterns.contains { fnmatch($0, path, FNM_PATHNAME) == 0 }
    }

    /// A compressed file a glob takes, read as it is (the glob names a compressed extension; see `rescan`).
    func takesAsItIs(_ path: String) -> Bool {
        patterns.contains { Self.isCompressed($0) && fnmatch($0, path, FNM_PATHNAME) == 0 }
    }

    func isExcluded(_ path: String) -> Bool {
        excludedPaths.contains { path == $0 || path.hasPrefix($0 + ".") || path.hasPrefix($0 + "-") }
    }

    /// Every directory level of a glob that can hold a match or a directory leading to one: the levels with
    /// wildcards as they exist now, and the deepest existing directory of the static prefix (so that a
    /// removed log directory, or any level of a deeper glob, is seen when it is created again).
    static func directoriesToWatch(_ pattern: String) -> [String] {
        let parts = pattern.split(separator: "/", omittingEmptySubsequences: false).dropLast()
        var result: [String] = []
        var prefix = ""
        var staticPrefix = "/"
        var wild = false
        for (i, part) in parts.enumerated() {
            prefix = i == 0 ? String(part) : prefix + "/" + part
            if part.contains(where: { "*?[".contains($0) }) { wild = true }
            let level = prefix.isEmpty ? "/" : prefix
            if !wild { staticPrefix = level; continue }
            for dir in glob(level) where isDirectory(dir) { result.append(dir) }
        }
        var dir = staticPrefix
        while !isDirectory(dir) && dir != "/" { dir = (dir as NSString).deletingLastPathComponent }
        result.append(dir)
        return result
    }

    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    static func glob(_ pattern: String) -> [String] {
        var g = glob_t()
        defer { globfree(&g) }
        guard Glibc.glob(pattern, 0, nil, &g) == 0 else { return [] }
        return (0..<Int(g.gl_pathc)).compactMap { g.gl_pathv[$0].map { String(cString: $0) } }
    }
}

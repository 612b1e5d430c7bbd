import Foundation

/// Where a followed file was read up to, and what tells that file apart from every other one.
///
/// Format 2 (written now), JSON keys as below:
/// - `path`: the last name connwatch saw (informational: files are matched by identity, never by name);
/// - `device`, `inode`: where the file lives now;
/// - `fingerprint`: hex of its first bytes (up to `FileIdentity.fingerprintBytes`);
/// - `tail`: hex of the bytes just before `offset` (up to `FileIdentity.fingerprintBytes`): a file whose first bytes
///   are a fixed header (IIS/W3C) is still told apart from a new file that reuses the inode;
/// - `birth_ns`: the file's birth time (statx) where the filesystem records it;
/// - `long_line_tail`: `offset` lies inside a line cut at `max_line_bytes`: what follows up to the next newline is
///   that line's tail, skipped, not a line of its own;
/// - `may_be_copy`: a new file with a rotated name not compared yet with what was read of its original (a
///   copytruncate copy held or waiting at the stop): compared at the restart before it is read from 0 (absent:
///   false; a connwatch that does not know the key reads such a file from 0, as before);
/// - `departed`: the file had left the glob (renamed away, deleted, a copy outside it) and was being read to its
///   end. A file not departed whose path the input's globs no longer match at the next start or reload was left by
///   a configuration change, not by a rotation: its checkpoint is kept as it is (the file is not read) until the
///   globs take it again (absent, in checkpoints written before this key: a rotated name of a glob match counts
///   as departed).
///
/// Format 1 (no `format` key) had only path, device, inode, offset and fingerprint; it still loads, and such a
/// checkpoint is matched by device, inode and first bytes as before.
package struct FileCheckpoint: Codable, Sendable, Equatable {
    package static let currentFormat = 2

    package var format: Int
    package var path: String
    package var device: UInt64
    package var inode: UInt64
    package var offset: UInt64
    package var fingerprint: String
    package var tail: String
    package var birth: Int64?
    package var longLineTail: Bool
    package var mayBeCopy: Bool
    /// nil: not recorded (an older connwatch wrote it).
    package var departed: Bool?

    package init(path: String, device: UInt64, inode: UInt64, offset: UInt64, fingerprint: String,
                tail: String = "", birth: Int64? = nil, longLineTail: Bool = false, mayBeCopy: Bool = false,
                departed: Bool? = nil, format: Int = FileCheckpoint.currentFormat) {
        self.format = format
        self.path = path; self.device = device; self.inode = inode; self.offset = offset
        self.fingerprint = fingerprint; self.tail = tail; self.birth = birth; self.longLineTail = longLineTail
        self.mayBeCopy = mayBeCopy
        self.departed = departed
    }

    enum CodingKeys: String, CodingKey {
        case format, path, device, inode, offset, fingerprint, tail
        case birth = "birth_ns"
        case longLineTail = "long_line_tail"
        case mayBeCopy = "may_be_copy"
        case departed
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        format = try c.decodeIfPresent(Int.self, forKey: .format) ?? 1
        guard format <= Self.currentFormat else {
            throw DecodingError.dataCorruptedError(forKey: .format, in: c,
                debugDescription: "file checkpoint format \(format) is newer than this connwatch (\(Self.currentFormat))")
        }
        path = try c.decode(String.self, forKey: .path)
        device = try c.decode(UInt64.self, forKey: .device)
        inode = try c.decode(UInt64.self, forKey: .inode)
        offset = try c.decode(UInt64.self, forKey: .offset)
        fingerprint = try c.decode(String.self, forKey: .fingerprint)
        tail = try c.decodeIfPresent(String.self, forKey: .tail) ?? ""
        birth = try c.decodeIfPresent(Int64.self, forKey: .birth)
        longLineTail = try c.decodeIfPresent(Bool.self, forKey: .longLineTail) ?? false
        mayBeCopy = try c.decodeIfPresent(Bool.self, forKey: .mayBeCopy) ?? false
        departed = try c.decodeIfPresent(Bool.self, forKey: .departed)
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(format, forKey: .format)
        try c.encode(path, forKey: .path)
        try c.encode(device, forKey: .device)
        try c.encode(inode, forKey: .inode)
        try c.encode(offset, forKey: .offset)
        try c.encode(fingerprint, forKey: .fingerprint)
        try c.encode(tail, forKey: .tail)
        try c.encodeIfPresent(birth, forKey: .birth)
        if longLineTail { try c.encode(true, forKey: .longLineTail) }
        if mayBeCopy { try c.encode(true, forKey: .mayBeCopy) }
        try c.encodeIfPresent(departed, forKey: .departed)
    }
}

/// What was read of a file truncated lately (copytruncate), saved with the checkpoints: a copy of it that was
/// not compared yet at the stop (held, waiting, or not looked at) is read on from `offset` after the restart,
/// not from 0. Kept `FileFollower.truncatedKeep` seconds, as in memory.
package struct TruncatedFile: Codable, Sendable, Equatable {
    package var path: String
    package var offset: UInt64
    /// Hex of the first bytes.
    package var fingerprint: String
    /// Hex of the bytes just before `offset` (up to `FollowedFile.recentBytes`).
    package var recent: String
    package var longLineTail: Bool
    /// When the truncation was noticed (ns since the epoch).
    package var at: Int64

    enum CodingKeys: String, CodingKey {
        case path, offset, fingerprint, recent
        case longLineTail = "long_line_tail"
        case at = "at_ns"
    }
}

/// Device + inode: which file a descriptor or a name refers to right now (not across deletion: inodes are reused).
struct FileKey: Hashable, Comparable {
    var device: UInt64
    var inode: UInt64
    init(device: UInt64, inode: UInt64) { self.device = device; self.inode = inode }
    init(_ st: stat) { device = UInt64(st.st_dev); inode = UInt64(st.st_ino) }
    static func < (a: FileKey, b: FileKey) -> Bool { (a.device, a.inode) < (b.device, b.inode) }
}

/// Reading a file's identity: first bytes, bytes before an offset, birth time.
enum FileIdentity {
    /// Bytes compared at the start of a file and just before the checkpointed offset.
    static let fingerprintBytes = 64

    /// Up to `count` bytes ending at `end` (fewer near the start of the file); nil when they cannot be read.
    static func bytes(_ fd: Int32, endingAt end: UInt64, count: Int = fingerprintBytes) -> [UInt8]? {
        let n = Int(min(UInt64(count), end))
        guard n > 0 else { return [] }
        var buf = [UInt8](repeating: 0, count: n)
        let got = pread(fd, &buf, n, off_t(end) - off_t(n))
        return got == n ? buf : nil
    }

    /// The first bytes, up to `fingerprintBytes`.
    static func head(_ fd: Int32) -> [UInt8] {
        var buf = [UInt8](repeating: 0, count: fingerprintBytes)
        let got = pread(fd, &buf, fingerprintBytes, 0)
        return got > 0 ? Array(buf[0..<got]) : []
    }

    typealias StatxFunction = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UInt32, UnsafeMutableRawPointer) -> Int32

    /// glibc declares statx only under _GNU_SOURCE, which Swift's Glibc module does not see: found at run time.
    static let statxFunction: StatxFunction? = {
        guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "statx") else { return nil }
        return unsafeBitCast(symbol, to: StatxFunction.self)
    }()

    /// Birth time in nanoseconds since the epoch, nil where the filesystem does not record it.
    static func birth(_ fd: Int32) -> Int64? { birth(fd, path: "", flags: 0x1000 /* AT_EMPTY_PATH */) }

    /// The same for a path (a symlink followed, as stat(2) does).
    static func birth(path: String) -> Int64? { birth(-100 /* AT_FDCWD */, path: path, flags: 0) }

    static func birth(_ dirfd: Int32, path: String, flags: Int32) -> Int64? {
        guard let statx = statxFunction else { return nil }
        // struct statx (kernel ABI): stx_mask at 0, stx_btime (tv_sec Int64, tv_nsec UInt32) at 80.
        let buf = UnsafeMutableRawPointer.allocate(byteCount: 256, alignment: 8)
        defer { buf.deallocate() }
        let statxBtime: UInt32 = 0x800
        guard statx(dirfd, path, flags, statxBtime, buf) == 0,
              buf.load(fromByteOffset: 0, as: UInt32.self) & statxBtime != 0 else { return nil }
        let seconds = buf.load(fromByteOffset: 80, as: Int64.self)
        let nanoseconds = buf.load(fromByteOffset: 88, as: UInt32.self)
        return seconds &* 1_000_000_000 &+ Int64(nanoseconds)
    }

    /// stat(2) of `path` and its birth time, both of one file: read again when the name changed hands between the
    /// two calls (numbered rotation renames every name over and over; a birth time read by name after a stat may
    /// be another file's). nil when the path is gone.
    static func statWithBirth(_ path: String) -> (st: stat, birth: Int64?)? {
        for _ in 0..<4 {
            var before = stat(), after = stat()
            guard stat(path, &before) == 0 else { return nil }
            let born = birth(path: path)
            guard stat(path, &after) == 0 else { return nil }
            if FileKey(before) == FileKey(after) { return (after, born) }
        }
        return nil
    }

    /// Now, in ns since the epoch, read from the clock the kernel stamps file times with (the coarse real-time
    /// clock: a file created after this reading is born at or after it; one born before it, earlier or in the
    /// same tick).
    static func fileClockNow() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME_COARSE, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    /// Lower-case hex of `bytes` (checkpoint fingerprints, journal cursors' ids).
    static func hex<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(unsafeUninitializedCapacity: bytes.count * 2) { out in
            var i = 0
            for b in bytes { out[i] = digits[Int(b >> 4)]; out[i + 1] = digits[Int(b & 15)]; i += 2 }
            return i
        }
    }

    /// nil for text that is not hex (a damaged checkpoint is then matched without it).
    static func unhex(_ s: String) -> [UInt8]? {
        let chars = Array(s.utf8)
        guard chars.count % 2 == 0 else { return nil }
        func value(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        var out = [UInt8]()
        out.reserveCapacity(chars.count / 2)
        var i = 0
        while i < chars.count {
            guard let hi = value(chars[i]), let lo = value(chars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }
}

import CSystemd
import Foundation

/// What `JournalInput` reads a journal through: libsystemd's `sd_journal` (`JournalReader`), or one journal
/// file's entries read straight from the file (`JournalFileWalk`).
package protocol JournalEntries: AnyObject {
    /// Moves to the next entry; false at the end.
    func next() -> Bool
    /// Moves `count` entries back / on; returns how many it moved.
    func previous(_ count: Int) -> Int
    func next(_ count: Int) -> Int
    /// The current entry's first MESSAGE, without `MESSAGE=` (valid until the next move).
    func message() -> UnsafeRawBufferPointer?
    /// The current entry's first value of `field`, without `FIELD=`.
    func string(_ field: String) -> String?
    func data(_ field: String) -> UnsafeRawBufferPointer?
    func cursor() -> String?
    func realtimeMicros() -> UInt64
    /// Following (the daemon): the events to poll the journal's descriptor for, and picking up what was
    /// appended once it polled readable.
    func events() -> Int16
    @discardableResult func process() -> Int32
}

extension JournalReader: JournalEntries {}

/// One journal file's entries in its own order (the order a `sd_journal` over that file alone gives), read
/// from the file mapped into memory (systemd's journal file format, docs/JOURNAL_FILE_FORMAT.md, regular and
/// compact layouts). libsystemd spent ≈ 70 % of `scan --journal` in its entry walk and per-field access
/// (perf record, 1M entries, 2026-12-02): here an entry costs a few loads.
///
/// Used only to read a file once from its head without matches (`scan --journal DIR` on several threads).
/// A value stored compressed is read through libsystemd (a handle seeked to the entry's cursor). The walk
/// ends where the file is not as the format says (an offset outside the file, a wrong object type or size),
/// as libsystemd stops reading a file whose entry it cannot load.
package final class JournalFileWalk: JournalEntries {
    let path: String
    let base: UnsafeRawPointer
    let size: Int
    let compact: Bool
    let seqnumID: String
    /// The file's entries (offsets of ENTRY objects), in the file's order.
    let entries: [UInt64]
    /// Index of the current entry (-1 before the first).
    var position = -1
    /// Where the walk ends: `entries.count`, or the first entry that could not be read.
    var end: Int
    /// The current entry's object, nil when it cannot be read.
    var entry: UnsafeRawPointer?
    var itemCount = 0
    /// Opened at the first compressed value.
    var fallback: JournalReader?
    /// Where the walk last gave back the mapping behind it (`releaseBehind`).
    var released = 0
    /// How far behind the current entry the mapping is kept, and given back in steps of.
    static let releaseStep = 8 << 20
    static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    // Object types and flags (journal-def.h).
    static let objectData: UInt8 = 1, objectEntry: UInt8 = 3, objectEntryArray: UInt8 = 6
    static let compressed: UInt8 = 1 | 2 | 4
    // Incompatible header flags this reader knows: compressed xz/lz4/zstd, keyed hash, compact.
    static let knownIncompatible: UInt32 = 1 | 2 | 4 | 8 | 16
    static let compactFlag: UInt32 = 16

    /// Nil when the file is not a journal file this reader knows (read it through libsystemd instead).
    package init?(path: String) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_size >= 208 else { return nil }
        let size = Int(st.st_size)
        // MAP_PRIVATE: a snapshot of what the writer has written; a one-shot scan reads what is there.
        guard let map = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), map != MAP_FAILED else { return nil }
        let base = UnsafeRawPointer(map)
        func unmap() { munmap(map, size) }
        guard memcmp(base, "LPKSHHRH", 8) == 0 else { unmap(); return nil }
        let incompatible = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 12, as: UInt32.self))
        let headerSize = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: 88, as: UInt64.self))
        guard incompatible & ~Self.knownIncompatible == 0, headerSize >= 208, headerSize <= UInt64(size) else { unmap(); return nil }
        self.path = path
        self.base = base
        self.size = size
        compact = incompatible & Self.compactFlag != 0
        seqnumID = Self.hex(base + 72, 16)
        let nEntries = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: 152, as: UInt64.self))
        var arrayOffset = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: 176, as: UInt64.self))
        // The chain of entry arrays, up to the header's count of entries (later slots are not filled yet).
        var found: [UInt64] = []
        found.reserveCapacity(Int(min(nEntries, UInt64(size / 64))))
        let itemSize = compact ? 4 : 8
        var arrays = 0
        walk: while arrayOffset != 0, UInt64(found.count) < nEntries, arrays < 1 << 24 {
            arrays += 1
            guard let array = Self.object(base, size, at: arrayOffset, type: Self.objectEntryArray, minimum: 24) else { break }
            let objectSize = Int(UInt64(littleEndian: array.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
            let n = (objectSize - 24) / itemSize
            for i in 0..<n {
                let at = 24 + i * itemSize
                let offset = compact ? UInt64(UInt32(littleEndian: array.loadUnaligned(fromByteOffset: at, as: UInt32.self)))
                    : UInt64(littleEndian: array.loadUnaligned(fromByteOffset: at, as: UInt64.self))
                if offset == 0 || UInt64(found.count) >= nEntries { break walk }
                found.append(offset)
            }
            arrayOffset = UInt64(littleEndian: array.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
        }
        entries = found
        end = found.count
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: base), size) }

    /// Hex of the 128-bit id at `p` (the file's seqnum id, an entry's boot id), as cursors spell them.
    static func hex(_ p: UnsafeRawPointer, _ count: Int) -> String {
        FileIdentity.hex(UnsafeRawBufferPointer(start: p, count: count))
    }

    /// The object at `offset` if it lies whole inside the file, 8-byte aligned, of `type` and at least `minimum` bytes.
    static func object(_ base: UnsafeRawPointer, _ size: Int, at offset: UInt64, type: UInt8, minimum: Int) -> UnsafeRawPointer? {
        guard offset & 7 == 0, offset >= 16, offset <= UInt64(size - 16) else { return nil }
        let p = base + Int(offset)
        let objectSize = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        guard p.load(as: UInt8.self) == type, objectSize >= UInt64(minimum), objectSize <= UInt64(size) - offset else { return nil }
        return p
    }

    /// Loads the entry at `position`; false (the walk ends there) when it is not a valid entry object.
    func load() -> Bool {
        entry = nil
        guard position >= 0, position < entries.count,
              let e = Self.object(base, size, at: entries[position], type: Self.objectEntry, minimum: 64 + (compact ? 4 : 16)) else { return false }
        let objectSize = Int(UInt64(littleEndian: e.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
        let itemSize = compact ? 4 : 16
        // libsystemd's own checks of an entry (journal-file.c, check_object): whole items, valid clocks.
        let realtime = UInt64(littleEndian: e.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
        let monotonic = UInt64(littleEndian: e.loadUnaligned(fromByteOffset: 32, as: UInt64.self))
        guard (objectSize - 64) % itemSize == 0, realtime > 0, realtime < 1 << 55, monotonic < 1 << 55 else { return false }
        entry = e
        itemCount = (objectSize - 64) / itemSize
        return true
    }

    /// Moves on as `sd_journal_next` does: at the end (or at an entry that cannot be read, where the walk
    /// ends) it stays on the last entry read.
    package func next() -> Bool {
        guard position + 1 < end else { return false }
        position += 1
        releaseBehind()
        if load() { return true }
        end = position
        position -= 1
        _ = load()
        return false
    }

    /// Gives back the pages behind the current entry (MADV_DONTNEED) every `releaseStep` of the walk: a mapped
    /// page read once stays in the process's RSS until unmapped, which made peak RSS grow with the file
    /// (≈ 116 MB on 1M entries) where `scan` promises < 64 MB. Everything behind is given back each time, not
    /// only the last step: a repeated value (MESSAGE, unit, pid) is one deduplicated data object anywhere
    /// earlier in the file, so pages given back are read again. Such a page comes back from the page cache with
    /// the same bytes (the mapping is read-only); the entries' own pages lie in their order.
    func releaseBehind() {
        let offset = Int(entries[position])
        guard offset - released >= 2 * Self.releaseStep else { return }
        let upTo = (offset - Self.releaseStep) & ~(Self.pageSize - 1)
        madvise(UnsafeMutableRawPointer(mutating: base), upTo, MADV_DONTNEED)
        released = upTo
    }

    package func next(_ count: Int) -> Int {
        var moved = 0
        while moved < count, next() { moved += 1 }
        return moved
    }

    package func previous(_ count: Int) -> Int {
        let moved = max(0, min(count, position))
        position -= moved
        return load() ? moved : 0
    }

    /// The data object of item `i` of the current entry and its payload (`FIELD=value`), nil when invalid.
    func item(_ i: Int) -> (object: UnsafeRawPointer, payload: UnsafeRawBufferPointer)? {
        guard let entry else { return nil }
        let offset = compact ? UInt64(UInt32(littleEndian: entry.loadUnaligned(fromByteOffset: 64 + 4 * i, as: UInt32.self)))
            : UInt64(littleEndian: entry.loadUnaligned(fromByteOffset: 64 + 16 * i, as: UInt64.self))
        let header = compact ? 72 : 64
        guard let d = Self.object(base, size, at: offset, type: Self.objectData, minimum: header) else { return nil }
        let objectSize = Int(UInt64(littleEndian: d.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
        return (d, UnsafeRawBufferPointer(start: d + header, count: objectSize - header))
    }

    /// The first value of the field whose name with `=` is `prefix`; compressed values through libsystemd.
    func value(prefix: UnsafeRawBufferPointer, field: String) -> UnsafeRawBufferPointer? {
        for i in 0..<itemCount {
            guard let (object, payload) = item(i) else { continue }
            if object.load(fromByteOffset: 1, as: UInt8.self) & Self.compressed != 0 {
                // The field name is inside the compressed payload: ask libsystemd for the whole entry's field.
                return viaLibsystemd(field)
            }
            if payload.count >= prefix.count, memcmp(payload.baseAddress!, prefix.baseAddress!, prefix.count) == 0 {
                return UnsafeRawBufferPointer(rebasing: payload[prefix.count...])
            }
        }
        return nil
    }

    func viaLibsystemd(_ field: String) -> UnsafeRawBufferPointer? {
        guard let cursor = cursor() else { return nil }
        if fallback == nil { fallback = try? JournalReader(.files([path])) }
        guard let reader = fallback, cursor.withCString({ sd_journal_seek_cursor(reader.journal, $0) }) >= 0,
              reader.next(), cursor.withCString({ sd_journal_test_cursor(reader.journal, $0) }) > 0 else { return nil }
        return field == "MESSAGE" ? reader.message() : reader.data(field)
    }

    package func message() -> UnsafeRawBufferPointer? {
        ("MESSAGE=" as StaticString).withUTF8Buffer { value(prefix: UnsafeRawBufferPointer($0), field: "MESSAGE") }
    }

    package func data(_ field: String) -> UnsafeRawBufferPointer? {
        let prefix = Array((field + "=").utf8)
        return prefix.withUnsafeBytes { value(prefix: $0, field: field) }
    }

    package func string(_ field: String) -> String? { data(field).map { String(decoding: $0, as: UTF8.self) } }

    /// libsystemd's cursor of the entry (sd_journal_get_cursor: `s=;i=;b=;m=;t=;x=`).
    package func cursor() -> String? {
        guard let e = entry else { return nil }
        func field(_ at: Int) -> String { String(UInt64(littleEndian: e.loadUnaligned(fromByteOffset: at, as: UInt64.self)), radix: 16) }
        return "s=\(seqnumID);i=\(field(16));b=\(Self.hex(e + 40, 16));m=\(field(32));t=\(field(24));x=\(field(56))"
    }

    /// A file walk is read once and never followed.
    package func events() -> Int16 { 0 }
    package func process() -> Int32 { 0 }

    package func realtimeMicros() -> UInt64 {
        guard let e = entry else { return 0 }
        return UInt64(littleEndian: e.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
    }
}

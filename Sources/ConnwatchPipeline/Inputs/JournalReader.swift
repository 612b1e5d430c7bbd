import CSystemd
import Foundation

/// Which journal to read.
package enum JournalSource: Sendable, Equatable {
    case system
    case directory(String)
    case files([String])
}

package struct JournalError: Error, Sendable, CustomStringConvertible {
    package var message: String
    package init(_ message: String) { self.message = message }
    package var description: String { message }
}

/// A thin owner of one `sd_journal` handle (libsystemd's sd-journal API, not a journalctl subprocess).
/// Not Sendable: a handle belongs to the task that opened it.
package final class JournalReader {
    let journal: OpaquePointer

    package init(_ source: JournalSource) throws(JournalError) {
        var j: OpaquePointer?
        let rc: Int32
        switch source {
        case .system:
            rc = sd_journal_open(&j, Int32(SD_JOURNAL_LOCAL_ONLY | SD_JOURNAL_SYSTEM))
        case .directory(let path):
            rc = sd_journal_open_directory(&j, path, 0)
        case .files(let paths):
            var cPaths: [UnsafePointer<CChar>?] = paths.map { UnsafePointer(strdup($0)) }
            cPaths.append(nil)
            defer { cPaths.forEach { free(UnsafeMutablePointer(mutating: $0)) } }
            rc = sd_journal_open_files(&j, &cPaths, 0)
        }
        guard rc >= 0, let j else { throw JournalError("cannot open journal \(source): \(Self.errno(rc))") }
        journal = j
        // Messages longer than this are cut by libsystemd itself; our own line limit applies after.
        sd_journal_set_data_threshold(journal, 0)
    }

    deinit { sd_journal_close(journal) }

    static func errno(_ rc: Int32) -> String { String(cString: strerror(-rc)) }

    /// `FIELD=value` expressions, OR-ed together (a disjunction between each).
    package func addMatches(_ matches: [String]) throws(JournalError) {
        for (i, m) in matches.enumerated() {
            guard let eq = m.firstIndex(of: "="), eq != m.startIndex,
                  m[..<eq].allSatisfy({ $0.isUppercase || $0.isNumber || $0 == "_" }) else {
                throw JournalError("invalid journal match '\(m)': expected FIELD=value with an upper-case field name")
            }
            if i > 0 { sd_journal_add_disjunction(journal) }
            let rc = m.withCString { sd_journal_add_match(journal, $0, 0) }
            if rc < 0 { throw JournalError("invalid journal match '\(m)': \(Self.errno(rc))") }
        }
    }

    package func seekHead() { sd_journal_seek_head(journal) }
    package func seekTail() {
        // seek_tail + previous: the next `next()` returns only entries written from now on.
        sd_journal_seek_tail(journal)
        sd_journal_previous(journal)
    }

    /// Positions on the entry of `cursor` so that `next()` returns the one after it. False when that entry
    /// is gone (vacuumed or rotated away); the position is then unspecified: seek somewhere else.
    package func seekAfter(cursor: String) -> Bool {
        guard cursor.withCString({ sd_journal_seek_cursor(journal, $0) }) >= 0 else { return false }
        guard sd_journal_next(journal) > 0 else { return false }
        return cursor.withCString { sd_journal_test_cursor(journal, $0) } > 0
    }

    /// Moves to the next entry; false at the end.
    package func next() -> Bool { sd_journal_next(journal) > 0 }
    package func previous(_ count: Int) -> Int { Int(sd_journal_previous_skip(journal, UInt64(count))) }
    package func next(_ count: Int) -> Int { Int(sd_journal_next_skip(journal, UInt64(count))) }

    /// The current entry's value of `field` as raw bytes (valid until the next move), without `FIELD=`.
    package func data(_ field: String) -> UnsafeRawBufferPointer? {
        field.withCString { value(of: $0, nameLength: field.utf8.count) }
    }

    func value(of field: UnsafePointer<CChar>, nameLength: Int) -> UnsafeRawBufferPointer? {
        var pointer: UnsafeRawPointer?
        var length = 0
        guard sd_journal_get_data(journal, field, &pointer, &length) >= 0, let pointer, length > nameLength else { return nil }
        return UnsafeRawBufferPointer(start: pointer + nameLength + 1, count: length - nameLength - 1)
    }

    /// MESSAGE, the hot path: the entry's fields enumerated up to the first MESSAGE, which took 7-8 % less of
    /// libsystemd's CPU time than `sd_journal_get_data(MESSAGE)` (C harness, 1M entries written by
    /// systemd-journal-remote, one file per handle: 1.09 against 1.18 s at best of 5, 2026-12-02).
    package func message() -> UnsafeRawBufferPointer? {
        sd_journal_restart_data(journal)
        var pointer: UnsafeRawPointer?
        var length = 0
        while sd_journal_enumerate_data(journal, &pointer, &length) > 0 {
            guard let pointer, length >= 8, memcmp(pointer, "MESSAGE=", 8) == 0 else { continue }
            return UnsafeRawBufferPointer(start: pointer + 8, count: length - 8)
        }
        return nil
    }

    package func string(_ field: String) -> String? {
        data(field).map { String(decoding: $0, as: UTF8.self) }
    }

    package func cursor() -> String? {
        var c: UnsafeMutablePointer<CChar>?
        guard sd_journal_get_cursor(journal, &c) >= 0, let c else { return nil }
        defer { free(c) }
        return String(cString: c)
    }

    /// Where the current entry sorts among the entries of all files (see `JournalOrderKey`).
    package func orderKey() -> JournalOrderKey? { cursor().flatMap(JournalOrderKey.init(cursor:)) }

    package func realtimeMicros() -> UInt64 {
        var usec: UInt64 = 0
        sd_journal_get_realtime_usec(journal, &usec)
        return usec
    }

    /// The descriptor to poll for new entries (inotify on the journal directory, inside libsystemd).
    package func descriptor() throws(JournalError) -> Int32 {
        let fd = sd_journal_get_fd(journal)
        guard fd >= 0 else { throw JournalError("journal has no pollable descriptor: \(Self.errno(fd))") }
        return fd
    }

    /// After the descriptor polled readable: lets libsystemd pick up appended entries and new files.
    @discardableResult
    package func process() -> Int32 { sd_journal_process(journal) }

    package func events() -> Int16 { Int16(truncatingIfNeeded: sd_journal_get_events(journal)) }
}

extension JournalReader {
    /// The journal files `sd_journal_open_directory` reads in `directory` (libsystemd 252's rules): files
    /// named `*.journal` or `*.journal~` in it, and in its subdirectories named by a 128-bit id (machine ids).
    /// Sorted by name; unreadable entries are left out as libsystemd leaves them out.
    package static func files(inDirectory directory: String) -> [String] {
        func isJournal(_ name: String) -> Bool { name.hasSuffix(".journal") || name.hasSuffix(".journal~") }
        func isID128(_ name: String) -> Bool {
            let hex = name.utf8.filter { $0 != UInt8(ascii: "-") }
            return hex.count == 32 && hex.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) || ($0 >= 0x41 && $0 <= 0x46) }
        }
        func regularFiles(_ dir: String, _ names: [String]) -> [String] {
            names.filter(isJournal).map { dir + "/" + $0 }.filter {
                var isDir: ObjCBool = false
                return FileManager.default.fileExists(atPath: $0, isDirectory: &isDir) && !isDir.boolValue
            }
        }
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: directory) else { return [] }
        var found = regularFiles(directory, names)
        for sub in names where isID128(sub) {
            var isDir: ObjCBool = false
            let path = directory + "/" + sub
            if fm.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue, let inner = try? fm.contentsOfDirectory(atPath: path) {
                found += regularFiles(path, inner)
            }
        }
        return found.sorted()
    }
}

/// An entry's place in the order one `sd_journal` walk over several files gives (libsystemd 252's
/// `compare_entry_order`): by sequence number within one sequence source, else by monotonic time within one
/// boot, else by wall-clock time, and last by the entry's content hash. Read from the entry's cursor.
package struct JournalOrderKey: Sendable, Equatable {
    var seqnumID: Substring
    var seqnum: UInt64
    var bootID: Substring
    var monotonic: UInt64
    var realtime: UInt64
    var xorHash: UInt64

    /// `s=…;i=…;b=…;m=…;t=…;x=…` (the cursor format of libsystemd, all values hexadecimal).
    package init?(cursor: String) {
        var fields: [Character: Substring] = [:]
        for part in cursor.split(separator: ";") where part.count > 2 && part.dropFirst().first == "=" {
            fields[part.first!] = part.dropFirst(2)
        }
        guard let s = fields["s"], let i = fields["i"].flatMap({ UInt64($0, radix: 16) }), let b = fields["b"],
              let m = fields["m"].flatMap({ UInt64($0, radix: 16) }), let t = fields["t"].flatMap({ UInt64($0, radix: 16) }),
              let x = fields["x"].flatMap({ UInt64($0, radix: 16) }) else { return nil }
        (seqnumID, seqnum, bootID, monotonic, realtime, xorHash) = (s, i, b, m, t, x)
    }

    /// True when a single walk reads `self` before `other`.
    package func precedes(_ other: JournalOrderKey) -> Bool {
        if seqnumID == other.seqnumID, seqnum != other.seqnum { return seqnum < other.seqnum }
        if bootID == other.bootID, monotonic != other.monotonic { return monotonic < other.monotonic }
        if realtime != other.realtime { return realtime < other.realtime }
        return xorHash < other.xorHash
    }
}

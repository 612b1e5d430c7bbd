import CVectorscan
import Foundation
import Logging
import ConnwatchModel

/// A pattern Vectorscan could not take, even in prefilter mode.
package struct VectorscanError: Error, Sendable, CustomStringConvertible {
    var expression: Int
    package var message: String
    package var description: String { message }
}

/// A compiled block-mode Vectorscan database. Read-only after compile, hence shareable; scratch space is
/// per task (`VectorscanScratch`).
package final class VectorscanDatabase: @unchecked Sendable {
    let database: OpaquePointer
    /// Which expressions had to be compiled with HS_FLAG_PREFILTER (PCRE2 decides for them).
    let prefiltered: [Bool]

    package struct Expression: Sendable {
        package var pattern: String
        package var caseless: Bool
        package init(pattern: String, caseless: Bool) { self.pattern = pattern; self.caseless = caseless }
    }

    /// Whether this database came from the compile cache rather than a fresh compile.
    let fromCache: Bool
    /// The cache file's identity (`CacheFile.identity`) when loaded from it and unchanged while read: what a
    /// `CheckStamp` names.
    let cacheIdentity: String?

    /// Compiles every expression into one database; expression i reports id i. With a cache directory,
    /// a database compiled earlier for exactly the same expressions is loaded instead (milliseconds
    /// instead of ~1.5 ms per pattern), and a fresh compile is stored there for next time.
    /// `readCache: false` compiles afresh and overwrites the cached copy (one that failed a check).
    package init(_ expressions: [Expression], cacheDirectory: String? = nil, readCache: Bool = true) throws(VectorscanError) {
        let cache = cacheDirectory.map { DatabaseCache(directory: $0, expressions: expressions) }
        let identity = readCache ? cache.flatMap { CacheFile.identity(of: $0.path) } : nil
        switch readCache ? cache?.load() : nil {
        case .database(let db, let flags)? where flags.count == expressions.count:
            database = db
            prefiltered = flags
            fromCache = true
            cacheIdentity = identity == cache.flatMap { CacheFile.identity(of: $0.path) } ? identity : nil
            return
        case .database(let db, _)?:
            hs_free_database(db)
            cacheLogger.warning("compiled rule cache ignored, recompiling: \(cache!.path): wrong pattern count")
        case .rejected(let reason)?:
            cacheLogger.warning("compiled rule cache ignored, recompiling: \(cache!.path): \(reason)")
        case .missing?, nil: break
        }
        fromCache = false
        cacheIdentity = nil
        var prefilter = [Bool](repeating: false, count: expressions.count)
        // Ask the parser first, so one unsupported construct does not cost a whole failed compile.
        for (i, e) in expressions.enumerated() where Self.info(e.pattern, flags: Self.baseFlags(e)) != nil {
            if let message = Self.info(e.pattern, flags: Self.baseFlags(e) | UInt32(HS_FLAG_PREFILTER)) {
                throw VectorscanError(expression: i, message: message)
            }
            prefilter[i] = true
        }
        while true {
            switch Self.compile(expressions, prefilter) {
            case .success(let db):
                database = db
                prefiltered = prefilter
                cache?.store(db, prefiltered: prefilter)
                return
            case .failure(let error):
                // Some constructs only fail at full compile: retry that one expression as a prefilter.
                guard error.expression >= 0, !prefilter[error.expression] else { throw error }
                prefilter[error.expression] = true
            }
        }
    }

    deinit { hs_free_database(database) }

    static func baseFlags(_ e: Expression) -> UInt32 {
        // MULTILINE: ^ and $ must mean line boundaries inside a many-line buffer.
        var flags = UInt32(HS_FLAG_MULTILINE)
        if e.caseless { flags |= UInt32(HS_FLAG_CASELESS) }
        return flags
    }

    static func info(_ pattern: String, flags: UInt32) -> String? {
        var info: UnsafeMutablePointer<hs_expr_info_t>?
        var error: UnsafeMutablePointer<hs_compile_error_t>?
        let rc = hs_expression_info(pattern, flags, &info, &error)
        if let info { free(info) }
        guard rc != HS_SUCCESS else { return nil }
        let message = error.flatMap { $0.pointee.message.map { String(cString: $0) } } ?? "compile error \(rc)"
        if let error { hs_free_compile_error(error) }
        return message
    }

    static func compile(_ expressions: [Expression], _ prefilter: [Bool]) -> Result<OpaquePointer, VectorscanError> {
        let flags = expressions.indices.map { i in
            baseFlags(expressions[i]) | (prefilter[i] ? UInt32(HS_FLAG_PREFILTER) : 0)
        }
        let ids = (0..<UInt32(expressions.count)).map { $0 }
        let cStrings: [UnsafePointer<CChar>?] = expressions.map { UnsafePointer(strdup($0.pattern)) }
        defer { cStrings.forEach { free(UnsafeMutablePointer(mutating: $0)) } }
        var db: OpaquePointer?
        var error: UnsafeMutablePointer<hs_compile_error_t>?
        let rc = cStrings.withUnsafeBufferPointer { exprs in
            hs_compile_multi(exprs.baseAddress, flags, ids, UInt32(expressions.count), UInt32(HS_MODE_BLOCK), nil, &db, &error)
        }
        guard rc == HS_SUCCESS, let db else {
            let message = error.flatMap { $0.pointee.message.map { String(cString: $0) } } ?? "compile error \(rc)"
            let index = error.map { Int($0.pointee.expression) } ?? -1
            if let error { hs_free_compile_error(error) }
            return .failure(VectorscanError(expression: index, message: message))
        }
        return .success(db)
    }
}

/// Per-task scratch space and hit collection for `VectorscanDatabase`.
package final class VectorscanScratch {
    var scratch: OpaquePointer?
    let database: VectorscanDatabase
    /// Hits of the current scan as (pattern id, end offset), in report order.
    package private(set) var hits = HitBuffer()

    package init(_ database: VectorscanDatabase, patternCount: Int) {
        self.database = database
        hs_alloc_scratch(database.database, &scratch)
        hits.lastEnd = [Int](repeating: -1, count: patternCount)
    }

    deinit { hs_free_scratch(scratch) }

    /// Scans `buffer` in one call; afterwards `hits` holds every (pattern, end) with at most one hit per
    /// pattern per line (later ends on the same line add nothing: PCRE2 re-finds the match on the line).
    package func scan(_ buffer: UnsafeRawBufferPointer) {
        hits.reset(buffer)
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        withUnsafeMutablePointer(to: &hits) { context in
            _ = hs_scan(database.database, base.assumingMemoryBound(to: CChar.self), UInt32(buffer.count), 0, scratch,
                        { id, _, to, _, context in
                            context!.assumingMemoryBound(to: HitBuffer.self).pointee.add(Int(id), Int(to))
                            return 0
                        }, context)
        }
    }
}

package struct HitBuffer {
    package var ids: [Int] = []
    package var ends: [Int] = []
    var lastEnd: [Int] = []
    var base: UnsafePointer<UInt8>?
    /// Ids beyond the pattern table reported since the scratch was made (a foreign database): ignored.
    private(set) var foreignIDs = 0

    mutating func reset(_ buffer: UnsafeRawBufferPointer) {
        ids.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        for i in lastEnd.indices { lastEnd[i] = -1 }
        base = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self)
    }

    @inline(__always)
    mutating func add(_ id: Int, _ end: Int) {
        // Ids come from the database: never trust them further than the pattern table reaches.
        guard id >= 0 && id < lastEnd.count else { foreignIDs += 1; return }
        let previous = lastEnd[id]
        lastEnd[id] = end
        if previous > 0, let base, end > previous,
           memchr(base + previous - 1, 0x0A, end - previous) == nil {
            return // same pattern, same line (the line of a hit is the line of its last byte)
        }
        ids.append(id)
        ends.append(end)
    }
}

/// A file of the compile cache: the key (exactly what its content was made from), the content, and a digest of
/// both. A load succeeds only when the key is identical and the bytes are whole, so a stale or damaged entry
/// is never used. The file and its directory must belong to us (or root) and be writable by nobody else: a
/// cached database is code-like input, and a foreign one under the right key could report ids we never gave
/// (crash) or none (blindness); a foreign prefilter plan could blind the prefilter.
struct CacheFile {
    let path: String
    let key: [UInt8]

    /// The name only spreads different keys over different files; the content check decides.
    init(directory: String, key: [UInt8], name: String = "rules", suffix: String = "hsdb") {
        self.key = key
        path = (directory as NSString).appendingPathComponent(String(format: "%@-%016llx.%@", name, Self.digest(key[...]), suffix))
    }

    /// Device, inode, size and modification time of `path` (nil when it cannot be stat'ed): a file replaced or
    /// rewritten gets another.
    static func identity(of path: String) -> String? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return "\(st.st_dev) \(st.st_ino) \(st.st_size) \(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec)"
    }

    /// FNV-1a, 64 bits: detects damage, not forgery (ownership and modes keep others out).
    static func digest(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf29ce484222325
        for b in bytes { hash = (hash ^ UInt64(b)) &* 0x100000001b3 }
        return hash
    }

    enum Loaded {
        case content(Data)
        case missing
        /// Present but not used, with the reason (logged by the caller).
        case rejected(String)
    }

    func load() -> Loaded {
        guard FileManager.default.fileExists(atPath: path) else { return .missing }
        if let reason = FileSystem.untrustedReason(path) { return .rejected("not trusted: \(reason)") }
        guard let data = FileManager.default.contents(atPath: path) else { return .rejected("unreadable") }
        return data.withUnsafeBytes { raw -> Loaded in
            guard raw.count >= key.count + 8, raw.prefix(key.count).elementsEqual(key) else { return .rejected("other expressions or version") }
            let body = raw.count - 8
            guard raw.loadUnaligned(fromByteOffset: body, as: UInt64.self) == Self.digest(raw[..<body]).littleEndian else {
                return .rejected("damaged (digest mismatch)")
            }
            return .content(data[key.count..<body])
        }
    }

    /// Best effort: a cache that cannot be written only costs the next start a compile.
    func store(_ content: some Collection<UInt8>) {
        var data = key
        data.append(contentsOf: content)
        withUnsafeBytes(of: Self.digest(data).littleEndian) { data.append(contentsOf: $0) }
        let directory = (path as NSString).deletingLastPathComponent
        do {
            try FileSystem.createDirectory(directory, mode: 0o700)
            // Never write into a directory others can write: they could swap the file right after.
            if let reason = FileSystem.untrustedDirectoryReason(directory) { throw CacheRefused(reason: reason) }
            try FileSystem.replaceAtomically(path, with: data, mode: 0o600, durable: false)
        } catch {
            cacheLogger.warning("compiled rule cache not written: \(error)")
        }
    }

    struct CacheRefused: Error, CustomStringConvertible {
        var reason: String
        var description: String { reason }
    }
}

/// A serialized database with the exact expressions it was compiled from (the key) and which of them needed
/// prefilter mode. RuleSet then checks what it loaded against the rules' own examples.
struct DatabaseCache {
    let file: CacheFile
    var path: String { file.path }

    init(directory: String, expressions: [VectorscanDatabase.Expression]) {
        var key = Array("connwatch-hs-cache 2 \(String(cString: hs_version()))\n\(expressions.count) expressions\n".utf8)
        for e in expressions {
            key += Array("\(e.caseless ? 1 : 0) \(e.pattern.utf8.count)\n".utf8) + Array(e.pattern.utf8)
        }
        file = CacheFile(directory: directory, key: key)
    }

    enum Loaded {
        case database(OpaquePointer, prefiltered: [Bool])
        case missing
        /// Present but not used, with the reason (logged by the caller).
        case rejected(String)
    }

    func load() -> Loaded {
        switch file.load() {
        case .missing: return .missing
        case .rejected(let reason): return .rejected(reason)
        case .content(let data):
            return data.withUnsafeBytes { raw -> Loaded in
                guard raw.count >= 8 else { return .rejected("damaged (short)") }
                var at = 0
                let flagsCount = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt32.self))); at += 4
                guard raw.count >= at + flagsCount + 4 else { return .rejected("damaged (short)") }
                let prefiltered = raw[at..<(at + flagsCount)].map { $0 != 0 }; at += flagsCount
                let size = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt32.self))); at += 4
                guard raw.count == at + size else { return .rejected("damaged (size)") }
                var db: OpaquePointer?
                let rc = hs_deserialize_database(raw.baseAddress!.advanced(by: at).assumingMemoryBound(to: CChar.self), size, &db)
                guard rc == HS_SUCCESS, let db else { return .rejected("not a database for this Vectorscan (\(rc))") }
                return .database(db, prefiltered: prefiltered)
            }
        }
    }

    func store(_ db: OpaquePointer, prefiltered: [Bool]) {
        var bytes: UnsafeMutablePointer<CChar>?
        var length = 0
        guard hs_serialize_database(db, &bytes, &length) == HS_SUCCESS, let bytes else { return }
        defer { free(bytes) }
        var data: [UInt8] = []
        withUnsafeBytes(of: UInt32(prefiltered.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: prefiltered.map { $0 ? 1 : 0 })
        withUnsafeBytes(of: UInt32(length).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: UnsafeRawBufferPointer(start: bytes, count: length))
        file.store(data)
    }
}

let cacheLogger = Logger(label: "connwatch")

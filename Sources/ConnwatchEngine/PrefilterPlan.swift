import Foundation

/// How Vectorscan prefilters each distinct pattern of a catalog (rules' and app detectors'), kept in the
/// compile cache: deriving the choices (PrefilterReducer, RequiredLiterals) was most of a start from the cache.
/// The cached plan is keyed by the exact pattern texts and `version`; a missing, stale or damaged one is
/// derived afresh (and stored again).
struct PrefilterPlan {
    /// Bump whenever PrefilterReducer or RequiredLiterals may choose differently for the same pattern: a plan
    /// from an older choice would otherwise be used (still a correct prefilter, but not today's).
    /// `PrefilterPlanTests` guards it with the choices' digest over a fixed set of patterns.
    static let version = 1

    let choices: [String: RuleSet.PrefilterChoice]
    /// Whether the choices came from the compile cache.
    let fromCache: Bool

    init(_ patterns: Set<String>, cacheDirectory: String?, readCache: Bool = true) {
        let sorted = patterns.sorted()
        let file = cacheDirectory.map { CacheFile(directory: $0, key: Self.key(sorted), name: "prefilter", suffix: "plan") }
        switch readCache ? file?.load() : nil {
        case .content(let data)?:
            if let choices = Self.decode(data, sorted) {
                self.choices = choices
                fromCache = true
                return
            }
            cacheLogger.warning("prefilter plan cache ignored, deriving again: \(file!.path): damaged (content)")
        case .rejected(let reason)?:
            cacheLogger.warning("prefilter plan cache ignored, deriving again: \(file!.path): \(reason)")
        case .missing?, nil: break
        }
        var choices: [String: RuleSet.PrefilterChoice] = [:]
        for p in sorted { choices[p] = RuleSet.prefilterChoice(of: p) }
        self.choices = choices
        fromCache = false
        file?.store(Self.encode(sorted.map { choices[$0]! }))
    }

    /// The choice for a pattern of the plan (derived on the spot for one it does not hold).
    subscript(_ pattern: String) -> RuleSet.PrefilterChoice { choices[pattern] ?? RuleSet.prefilterChoice(of: pattern) }

    static func key(_ sorted: [String]) -> [UInt8] {
        var key = Array("connwatch-prefilter-plan \(version)\n\(sorted.count) patterns\n".utf8)
        for p in sorted { key += Array("\(p.utf8.count)\n".utf8) + Array(p.utf8) }
        return key
    }

    // Content: per pattern in key order, "L" u32 count then per literal u32 length, bytes, caseless flags (0/1
    // per byte); or "R" u32 length and the regex form's bytes.
    static func encode(_ choices: [RuleSet.PrefilterChoice]) -> [UInt8] {
        var out: [UInt8] = []
        func u32(_ n: Int) { withUnsafeBytes(of: UInt32(n).littleEndian) { out.append(contentsOf: $0) } }
        for choice in choices {
            switch choice {
            case .literals(let set):
                out.append(UInt8(ascii: "L"))
                u32(set.count)
                for literal in set {
                    u32(literal.bytes.count)
                    out += literal.bytes
                    out += literal.caseless.map { $0 ? 1 : 0 }
                }
            case .regex(let form):
                out.append(UInt8(ascii: "R"))
                u32(form.utf8.count)
                out += Array(form.utf8)
            }
        }
        return out
    }

    /// nil when the content does not hold exactly one well-formed choice per pattern.
    static func decode(_ data: Data, _ sorted: [String]) -> [String: RuleSet.PrefilterChoice]? {
        let bytes = [UInt8](data)
        var at = 0
        func u32() -> Int? {
            guard at + 4 <= bytes.count else { return nil }
            defer { at += 4 }
            return Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24
        }
        func take(_ n: Int) -> [UInt8]? {
            guard n >= 0, at + n <= bytes.count else { return nil }
            defer { at += n }
            return Array(bytes[at..<(at + n)])
        }
        var choices: [String: RuleSet.PrefilterChoice] = [:]
        for p in sorted {
            guard let tag = take(1)?.first else { return nil }
            switch tag {
            case UInt8(ascii: "L"):
                guard let count = u32(), count > 0, count <= RequiredLiterals.maxSetSize else { return nil }
                var set: [RequiredLiteral] = []
                for _ in 0..<count {
                    guard let n = u32(), n > 0, let literal = take(n), let flags = take(n), flags.allSatisfy({ $0 <= 1 }) else { return nil }
                    set.append(RequiredLiteral(literal, flags.map { $0 == 1 }))
                }
                choices[p] = .literals(set)
            case UInt8(ascii: "R"):
                guard let n = u32(), n > 0, let form = take(n), let text = String(validating: form, as: UTF8.self) else { return nil }
                choices[p] = .regex(text)
            default:
                return nil
            }
        }
        return at == bytes.count ? choices : nil
    }
}

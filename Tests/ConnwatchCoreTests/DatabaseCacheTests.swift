import Foundation
import Testing
@testable import ConnwatchRules
@testable import ConnwatchEngine

@Suite struct DatabaseCacheTests {
    @Test func cachedDatabaseIsReusedOnlyForIdenticalExpressions() throws {
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("cw-cache-\(UUID().uuidString)").path
        let files = ["apps.yaml": appsYAML, "codes.yaml": codesYAML, "aadsts.yaml": aadstsRuleYAML,
                     "c.yaml": ruleYAML(id: "connector.timeout", patterns: ["Service timeout", #"(?<=x)y\1"#.replacingOccurrences(of: #"\1"#, with: "z")])]
        let catalog = try RuleLoader.load(directories: [rulesDirectory(files)])
        let first = try RuleSet(catalog, cacheDirectory: cache)
        #expect(!first.fromCache)
        let second = try RuleSet(catalog, cacheDirectory: cache)
        #expect(second.fromCache)
        #expect(second.prefilteredCount == first.prefilteredCount)
        let text = Array("AADSTS50020 x\nService timeout\nxyz\nnothing\n".utf8)
        #expect(try scanBytes(text, first) == scanBytes(text, second))
        #expect(try scanBytes(text, second).count == 3)

        // Any change of a pattern or its case flag misses the cache.
        var changed = catalog
        changed.rules[changed.rules.firstIndex { $0.id == "connector.timeout" }!].caseless = true
        #expect(try !RuleSet(changed, cacheDirectory: cache).fromCache)

        // A damaged cache file is ignored and rewritten.
        for name in try FileManager.default.contentsOfDirectory(atPath: cache) {
            let path = cache + "/" + name
            var data = try Data(contentsOf: URL(fileURLWithPath: path))
            data.removeLast(10)
            try data.write(to: URL(fileURLWithPath: path))
        }
        let third = try RuleSet(catalog, cacheDirectory: cache)
        #expect(!third.fromCache)
        #expect(try scanBytes(text, third).count == 3)
        #expect(try RuleSet(catalog, cacheDirectory: cache).fromCache)
    }
}

/// The prefilter plan (each pattern's literal set or regex form) kept in the compile cache.
@Suite struct PrefilterPlanTests {
    static func fixture() throws -> (RuleCatalog, String) {
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("cw-plan-\(UUID().uuidString)").path
        let files = ["apps.yaml": appsYAML, "codes.yaml": codesYAML, "aadsts.yaml": aadstsRuleYAML,
                     "c.yaml": ruleYAML(id: "connector.timeout", patterns: ["Service timeout occurred", "ReadTimeoutException: (?:x|y)"],
                                        match: ["Service timeout occurred", "ReadTimeoutException: x"])]
        return (try RuleLoader.load(directories: [rulesDirectory(files)]), cache)
    }

    static func planFile(_ cache: String) throws -> String {
        let plans = try FileManager.default.contentsOfDirectory(atPath: cache).filter { $0.hasPrefix("prefilter-") && $0.hasSuffix(".plan") }
        #expect(plans.count == 1, "\(plans)")
        return cache + "/" + (plans.first ?? "")
    }

    static let text = Array("AADSTS50020 x\nService timeout occurred\nReadTimeoutException: y\nnothing\n".utf8)

    @Test func aStartFromTheCacheReadsThePlanInsteadOfDerivingIt() throws {
        let (catalog, cache) = try Self.fixture()
        let patterns = Set(catalog.rules.flatMap(\.patterns) + catalog.apps.values.flatMap(\.detect))
        let first = PrefilterPlan(patterns, cacheDirectory: cache)
        #expect(!first.fromCache)
        let second = PrefilterPlan(patterns, cacheDirectory: cache)
        #expect(second.fromCache)
        #expect(second.choices == first.choices)
        #expect(second.choices == Dictionary(uniqueKeysWithValues: patterns.map { ($0, RuleSet.prefilterChoice(of: $0)) }))
        #expect(second.choices.values.contains { if case .literals = $0 { true } else { false } })
        #expect(second.choices.values.contains { if case .regex = $0 { true } else { false } })
        // Another pattern set is another file.
        #expect(!PrefilterPlan(patterns.union(["Another pattern here"]), cacheDirectory: cache).fromCache)

        let ruleSet = try RuleSet(catalog, cacheDirectory: cache)
        #expect(ruleSet.fromCache == false) // the plan existed, the database did not
        let cached = try RuleSet(catalog, cacheDirectory: cache)
        #expect(cached.fromCache)
        #expect(cached.prefilterChoices == ruleSet.prefilterChoices)
        #expect(try scanBytes(Self.text, cached) == scanBytes(Self.text, ruleSet))
        #expect(try scanBytes(Self.text, cached).count == 3)
    }

    /// Damaged files (digest, truncation, a well-digested but malformed content) are derived again and rewritten.
    @Test func aDamagedPlanIsDerivedAgain() throws {
        let (catalog, cache) = try Self.fixture()
        let patterns = Set(catalog.rules.flatMap(\.patterns) + catalog.apps.values.flatMap(\.detect))
        _ = try RuleSet(catalog, cacheDirectory: cache)
        let path = try Self.planFile(cache)
        let good = try Data(contentsOf: URL(fileURLWithPath: path))
        let key = PrefilterPlan.key(patterns.sorted())
        let body = [UInt8](good[key.count..<(good.count - 8)])
        var flipped = good
        flipped[key.count + 1] ^= 0x01
        let malformed = CacheFile(directory: cache, key: key, name: "prefilter", suffix: "plan")
        for damage in [flipped, good.dropLast(3), nil] as [Data?] {
            if let damage { try damage.write(to: URL(fileURLWithPath: path)) } else {
                malformed.store(body + [UInt8(ascii: "R")]) // a valid digest over content with a stray byte
            }
            #expect(!PrefilterPlan(patterns, cacheDirectory: cache).fromCache)
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == good, "rewritten")
            #expect(PrefilterPlan(patterns, cacheDirectory: cache).fromCache)
        }
        #expect(PrefilterPlan.decode(Data(body), patterns.sorted()) != nil)
        #expect(PrefilterPlan.decode(Data(body.dropLast()), patterns.sorted()) == nil)
        #expect(try scanBytes(Self.text, RuleSet(catalog, cacheDirectory: cache)).count == 3)
    }

    /// A well-formed plan with a valid digest that would blind the prefilter (a literal that never occurs) is
    /// caught by the check against the rules' examples, derived again, and replaced.
    @Test func aForgedPlanIsNotUsed() throws {
        let (catalog, cache) = try Self.fixture()
        let patterns = Set(catalog.rules.flatMap(\.patterns) + catalog.apps.values.flatMap(\.detect))
        let sorted = patterns.sorted()
        let blind = sorted.map { p -> RuleSet.PrefilterChoice in
            p == "Service timeout occurred" ? .literals([RequiredLiteral(Array("zqneverthere".utf8), Array(repeating: false, count: 12))])
                : RuleSet.prefilterChoice(of: p)
        }
        CacheFile(directory: cache, key: PrefilterPlan.key(sorted), name: "prefilter", suffix: "plan").store(PrefilterPlan.encode(blind))
        #expect(PrefilterPlan(patterns, cacheDirectory: cache).fromCache, "the forged plan loads: the test proves something")
        let ruleSet = try RuleSet(catalog, cacheDirectory: cache)
        #expect(try scanBytes(Self.text, ruleSet).map(\.rule).contains("connector.timeout"))
        #expect(ruleSet.prefilterChoice(rule: "connector.timeout", pattern: 1) == RuleSet.prefilterChoice(of: "Service timeout occurred"))
        let again = PrefilterPlan(patterns, cacheDirectory: cache)
        #expect(again.fromCache && again["Service timeout occurred"] == RuleSet.prefilterChoice(of: "Service timeout occurred"))
    }

    /// `PrefilterPlan.version` must change whenever the choices may: the choices for a fixed set of patterns,
    /// encoded, digest to the value recorded with this version. A failure here means: bump the version and
    /// record the new digest (else starts from an old cache keep the old choices).
    @Test func theVersionMovesWithTheChoices() {
        let probes = [
            #"\bNullPointerException\b"#, "Service [Tt]imeout", #"AADSTS(?<code>\d{5,7})"#,
            #"(?:Bearer a|A)ccess token is empty\b.*(?<code>Invalid)"#, "ErrorAccessDenied|Authorization_RequestDenied",
            #"["']-2147024891, System\.UnauthorizedAccessException"#, "(?i)Access(?-i) Denied",
            #"(?:graph\.microsoft\.com|login\.live\.com)/\S+ returned Forbidden"#, "SocketTimeoutException: (?:Read timed out|읽기 시간 초과됨)",
            #"graph/v1\b(?:[^\n]{0,600}?\n){0,2}[^\n]{0,600}?(?:(?<!\w)(?=403)|(?:HTTP|->)\s*[:=]?\s*['"(]?(?=403))(?<s>403)"#,
            #"Foo.{0,400}?Bar[^"]{2,300}Baz\d{3}"#, #"(?:opt)?Middle(?!x)"#,
        ]
        let digest = CacheFile.digest(PrefilterPlan.encode(probes.map(RuleSet.prefilterChoice(of:))))
        let recorded: [Int: UInt64] = [1: 0xb5dfdd88fe52564e]
        #expect(recorded[PrefilterPlan.version] == digest, "choices changed: bump PrefilterPlan.version and record \(String(digest, radix: 16))")
    }
}

/// A database from the compile cache is checked against the examples once; the passed check is remembered in a
/// stamp named by the database file's identity, so a start from the cache skips it, and a file that changed is
/// checked again.
@Suite struct CheckStampTests {
    static func stamps(_ cache: String, _ what: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: cache).filter { $0.hasPrefix("checked-") && $0.hasSuffix(".stamp") }
            .filter { name in
                let data = try Data(contentsOf: URL(fileURLWithPath: cache + "/" + name))
                return data.starts(with: Array("connwatch-check-stamp 1 \(what)\n".utf8))
            }
    }

    static func databaseFile(_ cache: String, _ ruleSet: RuleSet) throws -> String {
        let expressions = zip(ruleSet.prefilterChoices, ruleSet.owners).map {
            VectorscanDatabase.Expression(pattern: $0.expression, caseless: ruleSet.rules[$1.rule].rule.caseless)
        }
        return DatabaseCache(directory: cache, expressions: expressions).path
    }

    @Test func aCachedDatabaseIsCheckedOnceAndAgainWhenItsFileChanges() throws {
        let (catalog, cache) = try PrefilterPlanTests.fixture()
        let fresh = try RuleSet(catalog, cacheDirectory: cache)
        #expect(!fresh.fromCache)
        #expect(try Self.stamps(cache, "rules").isEmpty, "a fresh compile needs no check")
        let second = try RuleSet(catalog, cacheDirectory: cache)
        #expect(second.fromCache)
        let first = try Self.stamps(cache, "rules")
        #expect(first.count == 1, "checked and stamped")
        #expect(try !Self.stamps(cache, "detectors office365").isEmpty)
        let third = try RuleSet(catalog, cacheDirectory: cache)
        #expect(third.fromCache)
        #expect(try Self.stamps(cache, "rules") == first, "the stamp is reused, not written again")
        #expect(try scanBytes(PrefilterPlanTests.text, third) == scanBytes(PrefilterPlanTests.text, fresh))

        // The same bytes in a new file (another identity) are checked again.
        let path = try Self.databaseFile(cache, third)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try FileManager.default.removeItem(atPath: path)
        try bytes.write(to: URL(fileURLWithPath: path))
        #expect(chmod(path, 0o600) == 0)
        let fourth = try RuleSet(catalog, cacheDirectory: cache)
        #expect(fourth.fromCache)
        #expect(try Set(Self.stamps(cache, "rules")).isStrictSuperset(of: first), "a new stamp for the new file")
    }

    /// A blind database put under the right key after a stamp was written is caught: the stamp names the file it
    /// was written for, not the key.
    @Test func aBlindDatabaseInPlaceOfAStampedOneIsCaught() throws {
        let (catalog, cache) = try PrefilterPlanTests.fixture()
        _ = try RuleSet(catalog, cacheDirectory: cache)
        let stamped = try RuleSet(catalog, cacheDirectory: cache)
        #expect(try Self.stamps(cache, "rules").count == 1)
        let good = zip(stamped.prefilterChoices, stamped.owners).map {
            VectorscanDatabase.Expression(pattern: $0.expression, caseless: stamped.rules[$1.rule].rule.caseless)
        }
        let timeout = stamped.owners.firstIndex { stamped.rules[$0.rule].rule.id == "connector.timeout" }!
        var blindExpressions = good
        blindExpressions[timeout].pattern = "zqneverthere"
        let blind = try VectorscanDatabase(blindExpressions)
        DatabaseCache(directory: cache, expressions: good).store(blind.database, prefiltered: blind.prefiltered)
        let reloaded = try RuleSet(catalog, cacheDirectory: cache)
        #expect(try scanBytes(PrefilterPlanTests.text, reloaded).map(\.rule).contains("connector.timeout"))
        #expect(!reloaded.fromCache, "recompiled after the failed check")
    }
}

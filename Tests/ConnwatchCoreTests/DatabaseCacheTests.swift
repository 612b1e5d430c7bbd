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

import Foundation
import Testing
@testable import ConnwatchRules
@testable import ConnwatchEngine

/// The loaded rule catalog kept in the compile cache (`CatalogCache`, `CatalogCodec`).
@Suite struct CatalogCacheTests {
    /// Every stored field, by reflection (a field added to a type shows here without touching this test);
    /// dictionaries in key order, as two equal dictionaries may iterate differently.
    static func canonical(_ c: RuleCatalog) -> String {
        func plain(_ examples: [RuleExample]) -> ([RuleExample], [[(String, String)]]) {
            (examples.map { var e = $0; e.fields = [:]; return e }, examples.map { $0.fields.sorted { $0.key < $1.key } })
        }
        let rules = c.rules.map { r -> String in
            var r = r
            let (match, matchFields) = plain(r.matchExamples), (noMatch, noMatchFields) = plain(r.noMatchExamples)
            r.matchExamples = match
            r.noMatchExamples = noMatch
            return "\(r) \(matchFields) \(noMatchFields)"
        }
        let apps = c.apps.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
        let catalogs = c.catalogs.sorted { $0.key < $1.key }.map { key, catalog in
            "\(key) \(catalog.name) \(String(describing: catalog.lookupURL)) "
                + catalog.entries.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: "\n")
        }
        return (rules + apps + catalogs + c.files).joined(separator: "\n")
    }

    @Test func theShippedCatalogSurvivesTheCodecWhole() throws {
        let catalog = try RuleLoader.load(directories: [shippedRules])
        let bytes = CatalogCodec.encode(catalog)
        let decoded = try #require(bytes.withUnsafeBytes { CatalogCodec.decode($0) })
        #expect(decoded.rules.count == catalog.rules.count && !catalog.rules.isEmpty)
        let entries: (RuleCatalog) -> Int = { $0.catalogs.values.map(\.entries.count).reduce(0, +) }
        #expect(entries(decoded) == entries(catalog))
        #expect(Self.canonical(decoded) == Self.canonical(catalog))
        #expect(CatalogCodec.encode(decoded) == bytes)
        // Cut or lengthened content is refused, not half read.
        #expect(bytes.dropLast().withUnsafeBytes { CatalogCodec.decode($0) } == nil)
        #expect((bytes + [0]).withUnsafeBytes { CatalogCodec.decode($0) } == nil)
        var wrongCount = bytes
        wrongCount[0] = 0xFF // the app count
        #expect(wrongCount.withUnsafeBytes { CatalogCodec.decode($0) } == nil)
    }

    @Test func aLoadWithACacheReadsTheStoredCatalogForTheSameFilesOnly() throws {
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("cw-catalog-\(UUID().uuidString)").path
        let dir = try rulesDirectory(["apps.yaml": appsYAML, "codes.yaml": codesYAML, "aadsts.yaml": aadstsRuleYAML,
                                      "c.yaml": ruleYAML(id: "connector.timeout", patterns: ["Service timeout"])])
        let fresh = try RuleLoader.load(directories: [dir])
        let first = try CatalogCache.load(directories: [dir], cacheDirectory: cache)
        #expect(Self.canonical(first) == Self.canonical(fresh))
        let stored = try FileManager.default.contentsOfDirectory(atPath: cache).filter { $0.hasPrefix("catalog-") }
        #expect(stored.count == 1)
        let attributes = try FileManager.default.attributesOfItem(atPath: cache + "/" + (stored.first ?? ""))
        #expect((attributes[.posixPermissions] as? Int) == 0o600)

        // What is under the key is what a load returns: a marked copy proves the read.
        let key = try #require(CatalogCache.key([dir]))
        var marked = fresh
        marked.rules[0].title.en = "marked by the test"
        CacheFile(directory: cache, key: key, name: "catalog", suffix: "bin").store(CatalogCodec.encode(marked))
        #expect(try CatalogCache.load(directories: [dir], cacheDirectory: cache).rules[0].title.en == "marked by the test")

        // An edited rule file is another key: the file is read again.
        try ruleYAML(id: "connector.timeout", patterns: ["Service timeout occurred"])
            .write(toFile: dir + "/c.yaml", atomically: true, encoding: .utf8)
        let edited = try CatalogCache.load(directories: [dir], cacheDirectory: cache)
        #expect(edited.rules.first { $0.id == "connector.timeout" }?.patterns == ["Service timeout occurred"])
        #expect(edited.rules[0].title.en != "marked by the test")

        // A damaged entry is ignored and rewritten.
        for name in try FileManager.default.contentsOfDirectory(atPath: cache) where name.hasPrefix("catalog-") {
            let url = URL(fileURLWithPath: cache + "/" + name)
            var data = try Data(contentsOf: url)
            data.removeLast(10)
            try data.write(to: url)
        }
        let reloaded = try CatalogCache.load(directories: [dir], cacheDirectory: cache)
        #expect(Self.canonical(reloaded) == Self.canonical(try RuleLoader.load(directories: [dir])))

        // A catalog with errors is never stored: the loader reports them every time.
        let broken = try rulesDirectory(["apps.yaml": appsYAML, "c.yaml": ruleYAML(id: "connector.timeout", patterns: ["(unclosed"]) + "\n  - oops: [\n"])
        for _ in 0..<2 { #expect(throws: RuleErrors.self) { try CatalogCache.load(directories: [broken], cacheDirectory: cache) } }
        #expect(CatalogCache.key([broken]).map { CacheFile(directory: cache, key: $0, name: "catalog", suffix: "bin").load() }
            .map { if case .missing = $0 { true } else { false } } == true)
    }
}

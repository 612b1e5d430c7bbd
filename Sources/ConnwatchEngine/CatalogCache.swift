import Foundation
import ConnwatchRules

/// The loaded rule catalog kept in the compile cache: a start read and composed every YAML file through Yams
/// (~60 ms, most of a start from the cache, paid by every `scan`). The key is exactly what the loader reads
/// (each directory's rule files, paths and bytes) plus the identity of this executable, since the loader's
/// rules live in the code: a rebuilt binary, an edited file or another directory is another key. Only a
/// catalog that loaded without errors is stored, so every error is still found and reported by the loader.
enum CatalogCache {
    /// Bump when `CatalogCodec`'s layout changes (the executable's identity already covers the loader's code).
    static let version = 1

    /// The catalog of `directories`, from the cache when an entry with the same key is there.
    static func load(directories: [String], cacheDirectory: String?) throws(RuleErrors) -> RuleCatalog {
        guard let cacheDirectory, let key = key(directories) else { return try RuleLoader.load(directories: directories) }
        let file = CacheFile(directory: cacheDirectory, key: key, name: "catalog", suffix: "bin")
        switch file.load() {
        case .content(let data):
            if let catalog = data.withUnsafeBytes({ CatalogCodec.decode($0) }) { return catalog }
            cacheLogger.warning("rule catalog cache ignored, loading the rule files: \(file.path): damaged (content)")
        case .rejected(let reason):
            cacheLogger.warning("rule catalog cache ignored, loading the rule files: \(file.path): \(reason)")
        case .missing: break
        }
        let catalog = try RuleLoader.load(directories: directories)
        file.store(CatalogCodec.encode(catalog))
        return catalog
    }

    /// nil when a directory or file cannot be read: the loader then reports it.
    static func key(_ directories: [String]) -> [UInt8]? {
        guard let executable = executableIdentity() else { return nil }
        var key = Array("connwatch-catalog-cache \(version)\n\(executable)\n\(directories.count) directories\n".utf8)
        for directory in directories {
            guard let files = try? RuleLoader.yamlFiles(in: directory) else { return nil }
            key += Array("\(directory.utf8.count) \(files.count)\n".utf8) + Array(directory.utf8)
            for file in files {
                guard let text = try? YAMLInput.read(file) else { return nil }
                key += Array("\(file.utf8.count) \(text.utf8.count)\n".utf8) + Array(file.utf8) + Array(text.utf8)
            }
        }
        return key
    }

    /// The running executable's device, inode, size and modification time: what the loader does is compiled in.
    static func executableIdentity() -> String? {
        CacheFile.identity(of: "/proc/self/exe").map { "exe " + $0 }
    }
}

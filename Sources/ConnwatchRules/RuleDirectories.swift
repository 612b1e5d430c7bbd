import Foundation

/// Where rules come from when the operator does not say (`--rules`): the installed catalog, else the
/// repository's `Rules/`; then the operator's `/etc/connwatch/rules.d` layered on top when it exists.
package enum RuleDirectories {
    static let operatorDirectory = "/etc/connwatch/rules.d"

    package static func resolve(explicit: [String], extra: [String], configured: [String] = [],
                               executable: String = CommandLine.arguments[0],
                               environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        if !explicit.isEmpty { return explicit + extra }
        if !configured.isEmpty { return configured + extra }
        var dirs: [String] = []
        if let shipped = shippedDirectory(executable: executable, environment: environment) { dirs.append(shipped) }
        if isDirectory(operatorDirectory) { dirs.append(operatorDirectory) }
        return dirs + extra
    }

    static func shippedDirectory(executable: String, environment: [String: String]) -> String? {
        if let dir = environment["CONNWATCH_RULES_DIR"], !dir.isEmpty { return dir }
        let exe = URL(fileURLWithPath: executable).resolvingSymlinksInPath()
        let bin = exe.deletingLastPathComponent()
        let installed = bin.deletingLastPathComponent().appendingPathComponent("share/connwatch/rules").path
        if isDirectory(installed) { return installed }
        for system in ["/usr/share/connwatch/rules", "/usr/local/share/connwatch/rules"] where isDirectory(system) {
            return system
        }
        // A development checkout: walk up from the binary (.build/…/debug/connwatch) and from the cwd.
        for start in [bin, URL(fileURLWithPath: FileManager.default.currentDirectoryPath)] {
            var dir = start
            for _ in 0..<8 {
                let rules = dir.appendingPathComponent("Rules").path
                if isDirectory(rules) && FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) {
                    return rules
                }
                let parent = dir.deletingLastPathComponent()
                if parent.path == dir.path { break }
                dir = parent
            }
        }
        return nil
    }

    static func isDirectory(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }
}

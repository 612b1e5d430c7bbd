import Foundation
import ConnwatchModel

/// Every input's position, saved together in one file.
package struct CheckpointState: Codable, Sendable, Equatable {
    package var version = 1
    /// Journal input name → cursor of the last entry whose findings were written.
    package var journals: [String: String] = [:]
    /// File input name → files and offsets.
    package var files: [String: [FileCheckpoint]] = [:]
    /// File input name → when its last complete listing started (ns since the epoch): a file born later that left
    /// the glob while connwatch was stopped is looked for at the next start (absent: not looked for).
    package var filesSeenThrough: [String: Int64]?
    /// File input name → what was read of the files it saw truncated lately (copytruncate), for their copies.
    package var filesTruncated: [String: [TruncatedFile]]?
    package init() {}

    enum CodingKeys: String, CodingKey {
        case version, journals, files
        case filesSeenThrough = "files_seen_through_ns"
        case filesTruncated = "files_truncated"
    }
}

/// Writes checkpoints atomically (temp file, fsync, rename, fsync of the directory) and only when they
/// changed, so an idle daemon writes nothing. A failed save (the state directory's disk is full) retries with
/// the outputs' backoff, and the daemon holds reading meanwhile, like for a failing output.
package final class CheckpointStore {
    package static let name = "checkpoints"
    package let path: String
    package private(set) var saved: CheckpointState?
    var retry = Retry()

    package init(directory: String) {
        path = (directory as NSString).appendingPathComponent("checkpoints.json")
    }

    /// nil when there is no checkpoint yet (first run).
    package func load() throws(InputError) -> CheckpointState? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InputError(path: path, message: "cannot read checkpoints")
        }
        do {
            let state = try JSONDecoder().decode(CheckpointState.self, from: data)
            saved = state
            return state
        } catch {
            throw InputError(path: path, message: "corrupt checkpoint file (\(error)); move it away to start over")
        }
    }

    /// When a failed save is tried again.
    package func nextDeadline() -> Date? { retry.retryAt }
    package func retryNow() { retry.retryNow() }

    package func save(_ state: CheckpointState, now: Date = Date()) throws(OutputError) {
        guard state != saved else { return }
        try retry.attempt(now: now) { () throws(OutputError) in try write(state) }
        saved = state
    }

    func fail(_ message: String, errno code: Int32 = errno) -> OutputError {
        OutputError(output: Self.name, kind: "checkpoint", errno: code, message: "\(path): \(message)")
    }

    func write(_ state: CheckpointState) throws(OutputError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data: Data
        do { data = try encoder.encode(state) } catch { throw fail("\(error)", errno: EINVAL) }
        do {
            try FileSystem.createDirectory((path as NSString).deletingLastPathComponent, mode: 0o700)
            try FileSystem.replaceAtomically(path, with: data, mode: 0o600, durable: true)
        } catch { throw fail("cannot write checkpoints: \(error)", errno: error.errno) }
    }
}

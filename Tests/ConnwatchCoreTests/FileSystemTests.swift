import Foundation
import Testing
@testable import ConnwatchModel
@testable import ConnwatchPipeline

@Suite struct FileSystemTests {
    func tempDirectory() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cw-fs-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    func mode(_ path: String) -> mode_t {
        var st = stat()
        return lstat(path, &st) == 0 ? st.st_mode & 0o7777 : 0
    }

    @Test func replaceWritesThroughNoPlantedSymlink() throws {
        let dir = try tempDirectory()
        let victim = dir + "/victim"
        try "precious\n".write(toFile: victim, atomically: false, encoding: .utf8)
        let target = dir + "/checkpoints.json"
        // Planted at the target and at the old fixed temporary name.
        try FileManager.default.createSymbolicLink(atPath: target, withDestinationPath: victim)
        try FileManager.default.createSymbolicLink(atPath: target + ".tmp", withDestinationPath: victim)
        try FileSystem.replaceAtomically(target, with: Array("new\n".utf8), mode: 0o600, durable: true)
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "precious\n")
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "new\n")
        var st = stat()
        #expect(lstat(target, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG && st.st_mode & 0o777 == 0o600)
        // No temporary file is left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["checkpoints.json", "checkpoints.json.tmp", "victim"])
    }

    @Test func checkpointsDoNotFollowASymlinkInTheStateDirectory() throws {
        let dir = try tempDirectory()
        let victim = dir + "/victim"
        try "root-owned\n".write(toFile: victim, atomically: false, encoding: .utf8)
        let state = dir + "/state"
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: state + "/checkpoints.json.tmp", withDestinationPath: victim)
        let store = CheckpointStore(directory: state)
        var s = CheckpointState()
        s.journals["j"] = "cursor"
        try store.save(s)
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "root-owned\n")
        #expect(try CheckpointStore(directory: state).load() == s)
        #expect(mode(state + "/checkpoints.json") == 0o600)
    }

    @Test func createDirectoryGivesEveryNewLevelItsMode() throws {
        let dir = try tempDirectory()
        chmod(dir, 0o755)
        try FileSystem.createDirectory(dir + "/a/b/c", mode: 0o700)
        #expect(mode(dir) == 0o755) // existing: untouched
        #expect([mode(dir + "/a"), mode(dir + "/a/b"), mode(dir + "/a/b/c")] == [0o700, 0o700, 0o700])
        try "x".write(toFile: dir + "/file", atomically: false, encoding: .utf8)
        #expect(throws: FileSystemError.self) { try FileSystem.createDirectory(dir + "/file/x", mode: 0o700) }
    }

    @Test func writeAllHandlesShortWrites() throws {
        // A pipe takes at most its capacity per write while the reader drains it slowly: short writes.
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let bytes = [UInt8]((0..<(1 << 20)).map { UInt8($0 & 0xFF) })
        let received = Received.drain(fds[0], readSize: 1000)
        let writeEnd = fds[1]
        try bytes.withUnsafeBytes { try FileSystem.writeAll(writeEnd, $0, path: "pipe") }
        close(writeEnd)
        #expect(received.wait(timeout: 10) == bytes)
    }

    /// Records (more than IOV_MAX of them, one iovec each) through a slowly drained pipe: writev's short writes
    /// stop inside records and the rest follows; a call resuming from `written` (a retry) sends only the rest.
    @Test func writeAllOfRecordsHandlesShortWritesAndResumes() throws {
        var bytes: [UInt8] = []
        var ends: [Int] = []
        for i in 0..<3000 {
            bytes += Array("record \(i) ".utf8) + [UInt8](repeating: UInt8(65 + i % 26), count: (i * 37) % 700) + [0x0A]
            ends.append(bytes.count)
        }
        #expect(ends.count > FileSystem.maxVectors)
        for resumeAt in [0, ends[1500] - 3] {
            var fds: [Int32] = [0, 0]
            #expect(pipe(&fds) == 0)
            let received = Received.drain(fds[0], readSize: 999)
            let writeEnd = fds[1]
            var written = resumeAt
            let e = bytes.withUnsafeBytes { FileSystem.writeAll(writeEnd, $0, recordEnds: ends, written: &written) }
            close(writeEnd)
            #expect(e == nil)
            #expect(written == bytes.count)
            #expect(received.wait(timeout: 10) == Array(bytes[resumeAt...]))
        }
    }
}

/// What a reader thread got, handed to the test when the thread is done.
final class Received: @unchecked Sendable {
    let condition = NSCondition()
    var bytes: [UInt8]?
    /// Reads `fd` to its end on a thread, `readSize` bytes at a time (a slow reader: the writer sees short
    /// writes), then closes it.
    static func drain(_ fd: Int32, readSize: Int) -> Received {
        let received = Received()
        Thread {
            var got: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: readSize)
            while true {
                let n = read(fd, &buffer, buffer.count)
                if n <= 0 { break }
                got += buffer[0..<n]
            }
            close(fd)
            received.set(got)
        }.start()
        return received
    }

    func set(_ b: [UInt8]) { condition.lock(); bytes = b; condition.broadcast(); condition.unlock() }
    func wait(timeout: Double) -> [UInt8]? {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while bytes == nil && condition.wait(until: deadline) {}
        return bytes
    }
}

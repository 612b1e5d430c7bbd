import Foundation
import Testing
@testable import ConnwatchModel
@testable import ConnwatchEngine
@testable import ConnwatchPipeline

/// logrotate `compress` without `delaycompress` (and log4j2/logback rolling to `.gz`): a rotated file is
/// compressed and deleted, sometimes before its last lines were read (connwatch stopped, or busy). Its gzip copy
/// beside it is read on from where the file was read up to: nothing lost, nothing read twice.
extension FileRotationTests {
    /// Renamed, gzipped and deleted while connwatch is stopped (the checkpoint names the gone inode), with 10 lines
    /// unread at the stop (read from the gzip copy) or none (the copy adds nothing, and is not read again).
    @Test(arguments: [("app.log", 10), ("app.log*", 10), ("app.log", 0)])
    func compressedWhileStoppedIsReadFromTheOffset(glob: String, unread: Int) throws {
        let first = try t.follower(glob)
        let tally = Tally()
        t.append("app.log", lines(0..<30))
        pump(first, tally)
        let saved = first.checkpoints
        t.append("app.log", lines(30..<(30 + unread)))
        rename(dir + "/app.log", dir + "/app.log.1")
        _ = try gzipFile(dir + "/app.log.1")
        unlink(dir + "/app.log.1")
        t.append("app.log", lines(1000..<1010))
        let second = try t.follower(glob, checkpoints: saved, rotateWait: 0, seenThrough: first.seenThroughNanoseconds)
        let written = 0..<(30 + unread)
        pumpAsTheDaemonDoes(second, tally) { tally.lostCount(written) == 0 && tally.lostCount(1000..<1010) == 0 }
        pump(second, tally)
        #expect(tally.repeated.isEmpty, "repeated: \(tally.repeated)")
        #expect(tally.lost(written).isEmpty && tally.lost(1000..<1010).isEmpty)
    }

    /// A gzip file that starts like the gone file but holds other bytes before its offset is not its copy: not read.
    @Test func compressedFileWithOtherBytesBeforeTheOffsetIsNotRead() throws {
        let first = try t.follower("app.log")
        let tally = Tally()
        t.append("app.log", lines(0..<30))
        pump(first, tally)
        let saved = first.checkpoints
        t.append("app.log", lines(30..<40))
        // The same first lines (past the compared first bytes), then others: another file.
        t.append("other.log", lines(0..<20) + lines(500..<560))
        _ = try gzipFile(dir + "/other.log")
        unlink(dir + "/other.log")
        unlink(dir + "/app.log")
        t.append("app.log", lines(1000..<1010))
        let second = try t.follower("app.log", checkpoints: saved, rotateWait: 0)
        pumpAsTheDaemonDoes(second, tally) { tally.lostCount(1000..<1010) == 0 }
        pump(second, tally)
        #expect(tally.lostCount(500..<560) == 60, "the other file's lines are not read")
        #expect(tally.repeated.isEmpty, "repeated: \(tally.repeated)")
    }
}

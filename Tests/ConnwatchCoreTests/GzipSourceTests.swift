import Foundation
import Testing
@testable import ConnwatchModel

/// The .gz input against archives made by gzip(1), both ways of reading it (ISA-L igzip on its own thread,
/// `GzipSource`, and on the reading thread, `GzipStream`): every byte out as the original, several members,
/// trailing garbage, corrupt and truncated data, and a live pipe.
@Suite struct GzipSourceTests {
    let dir: String

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("cw-gz-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    /// Lines that do not compress to nothing (so the archive spans many input reads and output slots).
    static func text(lines: Int, seed: UInt64) -> Data {
        var s = seed
        var out = ""
        for i in 0..<lines {
            s = s &* 6364136223846793005 &+ 1442695040888963407
            out += "2026-12-01T10:00:\(i % 60) host app[\(s >> 48)]: request \(i) id=\(String(s, radix: 36)) status=\(200 + Int(s >> 60))\n"
        }
        return Data(out.utf8)
    }

    /// `data` gzip-compressed by gzip(1) (one member).
    func gzip(_ data: Data, _ name: String) throws -> Data {
        let plain = dir + "/" + name
        try data.write(to: URL(fileURLWithPath: plain))
        return try Data(contentsOf: URL(fileURLWithPath: try gzipFile(plain)))
    }

    func write(_ data: Data, _ name: String) throws -> String {
        let path = dir + "/" + name
        try data.write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Everything the opened input yields, read `readSize` bytes at a time, and the error that ended it.
    func readAll(_ path: String, readSize: Int = 1 << 20, onReader: Bool) throws -> (Data, InputError?) {
        var input = try OpenedInput.open(path, inflateOnReader: onReader)
        #expect(input.compressed)
        #expect((input.source is GzipStream) == onReader)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: readSize, alignment: 16)
        defer { buffer.deallocate() }
        var out = Data()
        do {
            while true {
                let n = try input.source.read(into: buffer)
                if n == 0 { return (out, nil) }
                out.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            }
        } catch {
            return (out, error)
        }
    }

    @Test(arguments: [false, true]) func aLargeArchiveInflatesToTheOriginalBytes(onReader: Bool) throws {
        let original = Self.text(lines: 60_000, seed: 1)
        let path = try write(try gzip(original, "big.log"), "big.log.gz")
        for size in [1 << 20, 4099, 777] {
            let (out, error) = try readAll(path, readSize: size, onReader: onReader)
            #expect(error == nil)
            #expect(out == original, "read size \(size)")
        }
    }

    @Test(arguments: [false, true]) func severalMembersAreReadInOrderAndTrailingGarbageIsIgnored(onReader: Bool) throws {
        let parts = [Self.text(lines: 20_000, seed: 2), Data("short member\n".utf8), Self.text(lines: 9_000, seed: 3)]
        var archive = Data()
        for (i, p) in parts.enumerated() { archive += try gzip(p, "part\(i).log") }
        let joined = parts.reduce(Data(), +)
        let (out, error) = try readAll(try write(archive, "multi.log.gz"), onReader: onReader)
        #expect(error == nil)
        #expect(out == joined)
        // Bytes after the last member that do not start another one are ignored, as gzip(1) does.
        let (withGarbage, garbageError) = try readAll(try write(archive + Data("not gzip\0\0".utf8), "garbage.log.gz"), onReader: onReader)
        #expect(garbageError == nil)
        #expect(withGarbage == joined)
    }

    @Test(arguments: [false, true]) func corruptDataIsAnErrorNamingTheFile(onReader: Bool) throws {
        let original = Self.text(lines: 40_000, seed: 4)
        var archive = try gzip(original, "c.log")
        // Bytes in the middle of the deflate stream overwritten.
        let middle = archive.count / 2
        for i in middle..<(middle + 64) { archive[i] = 0xFF }
        let path = try write(archive, "corrupt.log.gz")
        let (out, error) = try readAll(path, onReader: onReader)
        let e = try #require(error)
        #expect(e.path == path)
        #expect(e.message.hasPrefix("corrupt gzip data ("))
        // What igzip inflated before it noticed the damage comes out first (garbage included, as zcat writes
        // it): the bytes before the damage are the original's.
        #expect(out != original)
        #expect(out.count > original.count / 4)
        #expect(out.prefix(original.count / 4) == original.prefix(original.count / 4))
        // Read on after the error: the same error again, nothing inflated from the broken state.
        let stream = GzipStream(fd: open(path, O_RDONLY), path: path)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { buffer.deallocate() }
        var firstError: InputError?
        while firstError == nil {
            do { if try stream.read(into: buffer) == 0 { break } } catch { firstError = error }
        }
        #expect(firstError?.message == e.message)
        for _ in 0..<3 {
            #expect(throws: InputError.self) { _ = try stream.read(into: buffer) }
        }
    }

    @Test(arguments: [false, true]) func aWrongChecksumIsCorruptData(onReader: Bool) throws {
        var archive = try gzip(Self.text(lines: 1_000, seed: 5), "crc.log")
        archive[archive.count - 8] ^= 0x55 // CRC-32 in the trailer
        let (_, error) = try readAll(try write(archive, "crc.log.gz"), onReader: onReader)
        #expect(error?.message == "corrupt gzip data (checksum mismatch)")
        // A member after the first that starts with the magic but is no gzip header is corrupt too.
        let good = try gzip(Data("a\n".utf8), "a.log")
        let (_, headerError) = try readAll(try write(good + Data([0x1F, 0x00, 0x08, 0, 0, 0, 0, 0, 0, 3, 0x4B, 0x04, 0]), "badheader.log.gz"), onReader: onReader)
        #expect(headerError?.message.hasPrefix("corrupt gzip data") == true)
    }

    @Test(arguments: [false, true]) func truncatedArchivesAreErrors(onReader: Bool) throws {
        let original = Self.text(lines: 30_000, seed: 6)
        let archive = try gzip(original, "t.log")
        for (name, keep) in [("trailer", archive.count - 4), ("data", archive.count / 3), ("header", 5), ("magic", 2)] {
            let path = try write(archive.prefix(keep), "cut-\(name).log.gz")
            let (out, error) = try readAll(path, onReader: onReader)
            #expect(error?.message == "truncated gzip data (unexpected end of file)", "cut in the \(name)")
            #expect(error?.path == path)
            #expect(out == original.prefix(out.count))
            // Every byte inflated before the end of the file comes out before the error.
            if name == "trailer" { #expect(out == original) }
        }
        // The second of two members cut short: the first comes out whole.
        let two = archive + archive.prefix(archive.count - 10)
        let (out, error) = try readAll(try write(two, "cut-second.log.gz"), onReader: onReader)
        #expect(error?.message == "truncated gzip data (unexpected end of file)")
        #expect(out.count >= original.count)
        #expect(out.prefix(original.count) == original)
    }

    /// From a pipe, what arrived is handed over at once: a complete member is readable while the writer
    /// still holds the pipe open.
    @Test(arguments: [false, true]) func aLivePipeIsNotHeldBackUntilItsEnd(onReader: Bool) throws {
        let member = try gzip(Data("first line\n".utf8), "live.log")
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let writer = fds[1]
        member.withUnsafeBytes { _ = Foundation.write(writer, $0.baseAddress, $0.count) }
        var source: any ByteSource = onReader ? GzipStream(fd: fds[0], path: "<pipe>") : try GzipSource(fd: fds[0], path: "<pipe>")
        let closed = OnceFlag()
        // Should the read wait for the end of the pipe, closing it after a while ends the wait (and the test fails).
        DispatchQueue.global().asyncAfter(deadline: .now() + 20) { if closed.setFirst() { close(writer) } }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { buffer.deallocate() }
        let n = try source.read(into: buffer)
        let waitedForTheEnd = !closed.setFirst()
        #expect(!waitedForTheEnd, "the read waited for the writer to close the pipe")
        #expect(Data(buffer[0..<n]) == Data("first line\n".utf8))
        if !waitedForTheEnd { close(writer) }
    }
}

/// A flag set once, by whichever of two threads comes first.
final class OnceFlag: @unchecked Sendable {
    let lock = NSLock()
    var set = false
    /// True for the caller that set it.
    func setFirst() -> Bool { lock.withLock { defer { set = true }; return !set } }
}

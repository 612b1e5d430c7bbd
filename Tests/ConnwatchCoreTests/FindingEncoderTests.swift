import Foundation
import Testing
@testable import ConnwatchModel

/// The JSON writer's fast paths (8 bytes checked at once, digits and timestamps written in place) give exactly
/// what the plain definitions give.
@Suite struct FindingEncoderTests {
    static func needsEscape(_ b: UInt8) -> Bool { b < 0x20 || b == 0x22 || b == 0x5C || b == 0x7F }

    @Test func wordCheckAgreesWithTheByteCheck() {
        // Every byte value at every position among harmless bytes, and among bytes >= 0x80 (UTF-8).
        for filler in [UInt8(ascii: "a"), 0x80, 0xFF, 0x20, 0x7E] {
            for b in 0...255 {
                for position in 0..<8 {
                    var bytes = [UInt8](repeating: filler, count: 8)
                    bytes[position] = UInt8(b)
                    let word = bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
                    #expect(JSONWriter.mayNeedEscape(word) == bytes.contains(where: Self.needsEscape),
                            "byte \(b) at \(position) among \(filler)")
                }
            }
        }
        var generator = SystemRandomNumberGenerator()
        let interesting: [UInt8] = [0x00, 0x1F, 0x20, 0x21, 0x22, 0x23, 0x5B, 0x5C, 0x5D, 0x7E, 0x7F, 0x80, 0x81, 0xA0, 0xFF]
        for _ in 0..<50_000 {
            let bytes = (0..<8).map { _ in Bool.random(using: &generator) ? interesting.randomElement(using: &generator)! : UInt8.random(in: 0...255, using: &generator) }
            let word = bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
            #expect(JSONWriter.mayNeedEscape(word) == bytes.contains(where: Self.needsEscape), "\(bytes)")
        }
    }

    @Test func stringsRoundTripThroughJSON() throws {
        let pieces = ["", "a", "plain text of some length", "\"", "\\", "\u{7F}", "\u{0}", "\t\r\n", "한국어 오류", "\u{1F}x",
                      "AADSTS50011: The redirect URI 'https://x/\"y\"' specified", String(repeating: "é", count: 9)]
        var checked = 0
        for a in pieces {
            for b in pieces {
                for pad in 0..<9 {
                    let s = String(repeating: "p", count: pad) + a + String(repeating: "q", count: 8 - pad) + b
                    var w = JSONWriter(out: [])
                    w.openArray(); w.string(s); w.closeArray()
                    let decoded = try JSONSerialization.jsonObject(with: Data(w.out)) as? [String]
                    #expect(decoded == [s])
                    // Nothing that needs no escape is escaped: the output is the input plus quotes and escapes.
                    let escapes = s.utf8.filter(Self.needsEscape)
                    #expect(w.out.count >= s.utf8.count + 4 + escapes.count)
                    checked += 1
                }
            }
        }
        #expect(checked == pieces.count * pieces.count * 9)
    }

    @Test func numbersAndTimestampsAsTheTextForms() {
        for n: Int64 in [0, 7, -1, 10, 99, 100, 401, -40_000, 1_764_547_200_000_000, .max, .min] {
            var w = JSONWriter(out: [])
            w.number(n)
            #expect(String(decoding: w.out, as: UTF8.self) == String(n))
        }
        var w = JSONWriter(out: [])
        w.number(UInt64.max)
        #expect(String(decoding: w.out, as: UTF8.self) == String(UInt64.max))

        for seconds in [0.0, 1_710_029_544.25, 1_710_029_544.311, 951_782_400.999_9, 4_102_444_799.5] {
            let date = Date(timeIntervalSince1970: seconds)
            var bytes: [UInt8] = [0x41]
            Timestamp.iso8601(date, into: &bytes)
            #expect(bytes == [0x41] + Array(Timestamp.iso8601(date).utf8))
        }
        #expect(Timestamp.iso8601(Date(timeIntervalSince1970: 1_710_029_544.25)) == "2024-03-10T00:12:24.250Z")
        var t = JSONWriter(out: [])
        t.timestamp(Date(timeIntervalSince1970: 0))
        #expect(String(decoding: t.out, as: UTF8.self) == "\"1970-01-01T00:00:00.000Z\"")
    }
}

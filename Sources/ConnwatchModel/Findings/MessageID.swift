import Foundation

/// Stable 128-bit journal MESSAGE_IDs: FNV-1a (128-bit) of "connwatch:" + rule id, as 32 hex digits
/// (the form journalctl and sd-id128 use). Listed per rule in docs/RULES.md.
package enum MessageID {
    package static func of(rule: String) -> String {
        // FNV-1a 128: offset basis 0x6c62272e07bb014262b821756295c58d, prime 2^88 + 0x13b.
        var hi: UInt64 = 0x6c62_272e_07bb_0142
        var lo: UInt64 = 0x62b8_2175_6295_c58d
        for byte in "connwatch:\(rule)".utf8 {
            lo ^= UInt64(byte)
            // (hi·2^64 + lo) · (2^88 + 0x13b) mod 2^128
            let (carry, low) = lo.multipliedFullWidth(by: 0x13b)
            hi = hi &* 0x13b &+ carry &+ (lo << 24)
            lo = low
        }
        return String(format: "%016llx%016llx", hi, lo)
    }
}

import Foundation

// Built by Benchmarks/redaction-bench.sh with one tree's redaction files. `main ROUNDS FILE...`: every line of the
// files redacted ROUNDS times; prints CPU ns per line, the spans found and a digest of them (two builds whose
// behaviour is meant to be identical must agree on it). `main 0 FILE...` prints each line redacted instead.
func bench() {
    let rounds = Int(CommandLine.arguments[1])!
    var lines: [[UInt8]] = []
    for path in CommandLine.arguments.dropFirst(2) {
        lines += [UInt8](FileManager.default.contents(atPath: path)!).split(separator: 0x0A).map { Array($0) }
    }
    let redactor = Redactor()
    if rounds == 0 {
        for line in lines { print(line.withUnsafeBytes { String(decoding: redactor.redact($0), as: UTF8.self) }) }
        return
    }
    var digest = 0
    var spans = 0
    let start = cpuNanoseconds()
    for _ in 0..<rounds {
        for line in lines {
            line.withUnsafeBytes { p in
                let found = redactor.spans(in: p)
                spans &+= found.count
                for s in found { digest = digest &* 31 &+ s.lowerBound &* 7 &+ s.upperBound }
            }
        }
    }
    let ns = cpuNanoseconds() - start
    print(String(format: "%.1f ns/line", Double(ns) / Double(rounds * lines.count)), "lines=\(lines.count) spans=\(spans / rounds) digest=\(digest)")
}

func cpuNanoseconds() -> Int {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return t.tv_sec * 1_000_000_000 + t.tv_nsec
}

bench()

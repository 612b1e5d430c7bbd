import ConnwatchDaemon

// Compiled once (libFuzzer calls this for every input).
let ruleSet = FuzzTargets.shippedRuleSet!

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzScanner(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    FuzzTargets.scanner(UnsafeRawBufferPointer(start: data, count: size), ruleSet)
    return 0
}

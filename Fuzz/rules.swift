import ConnwatchDaemon

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRules(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    FuzzTargets.rules(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

import ConnwatchDaemon

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    FuzzTargets.config(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

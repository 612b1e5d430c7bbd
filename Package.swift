// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "connwatch",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "connwatch", targets: ["connwatch"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        .systemLibrary(name: "CVectorscan", pkgConfig: "libhs",
                       providers: [.apt(["libvectorscan-dev"])]),
        .systemLibrary(name: "CPCRE2", pkgConfig: "libpcre2-8",
                       providers: [.apt(["libpcre2-dev"])]),
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd",
                       providers: [.apt(["libsystemd-dev"])]),
        // ISA-L's igzip inflates .gz inputs (streaming, ~1.9x zlib's speed here); used by ConnwatchModel's
        // Support/ByteSource.swift.
        .systemLibrary(name: "CIsal", pkgConfig: "libisal",
                       providers: [.apt(["libisal-dev"])]),
        // Along the data flow; each target depends only on those above it.
        .target(name: "ConnwatchModel", dependencies: ["CIsal"]),
        .target(name: "ConnwatchRules", dependencies: ["ConnwatchModel", "Yams"]),
        // Exclusivity checked at compile time only: the scanner's per-hit state lives in class properties, and
        // their run-time checks (a thread-local access set per read or write) were a tenth of a hit line's cost.
        .target(name: "ConnwatchEngine", dependencies: ["ConnwatchRules", "ConnwatchModel", "CVectorscan", "CPCRE2", .product(name: "Logging", package: "swift-log")],
                swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"])]),
        // `report` reads findings files: the model only (no Vectorscan, PCRE2, libsystemd).
        .target(name: "ConnwatchReports", dependencies: ["ConnwatchModel"]),
        .target(name: "ConnwatchPipeline",
                dependencies: ["ConnwatchEngine", "ConnwatchRules", "ConnwatchModel", "CSystemd", "Yams", .product(name: "Logging", package: "swift-log"),
                               .product(name: "Prometheus", package: "swift-prometheus")]),
        .target(name: "ConnwatchDaemon",
                dependencies: ["ConnwatchPipeline", "ConnwatchEngine", "ConnwatchRules", "ConnwatchModel", "CSystemd", .product(name: "Logging", package: "swift-log")]),
        .executableTarget(
            name: "connwatch",
            dependencies: ["ConnwatchDaemon", "ConnwatchPipeline", "ConnwatchEngine", "ConnwatchRules", "ConnwatchReports",
                           "ConnwatchModel", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                           .product(name: "UnixSignals", package: "swift-service-lifecycle")]
        ),
        .testTarget(name: "ConnwatchCoreTests",
                    dependencies: ["ConnwatchModel", "ConnwatchRules", "ConnwatchEngine", "ConnwatchReports", "ConnwatchPipeline", "ConnwatchDaemon"], exclude: ["Fixtures"]),
        .testTarget(name: "ConnwatchCLITests", dependencies: ["ConnwatchModel", "ConnwatchRules", "ConnwatchEngine", "ConnwatchReports", "ConnwatchPipeline", "ConnwatchDaemon", "connwatch"]),
    ],
    swiftLanguageModes: [.v6]
)

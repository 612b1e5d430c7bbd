// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "connwatch",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "connwatch", targets: ["connwatch"]),
        .library(name: "ConnwatchCore", targets: ["ConnwatchCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        .systemLibrary(name: "CVectorscan", pkgConfig: "libhs",
                       providers: [.apt(["libvectorscan-dev"])]),
        .systemLibrary(name: "CPCRE2", pkgConfig: "libpcre2-8",
                       providers: [.apt(["libpcre2-dev"])]),
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd",
                       providers: [.apt(["libsystemd-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),
        .target(
            name: "ConnwatchCore",
            dependencies: ["CVectorscan", "CPCRE2", "CZlib", "CSystemd", "Yams"]
        ),
        .executableTarget(
            name: "connwatch",
            dependencies: ["ConnwatchCore", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .testTarget(name: "ConnwatchCoreTests", dependencies: ["ConnwatchCore"]),
        .testTarget(name: "ConnwatchCLITests", dependencies: ["ConnwatchCore", "connwatch"]),
    ],
    swiftLanguageModes: [.v6]
)

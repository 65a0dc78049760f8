// swift-tools-version:6.1
// The record stores' write throughput, built in release on its own (scripts/bench-records drives it):
// a user never links this, so it lives beside the package, not in it.
import PackageDescription

let package = Package(
    name: "records-bench",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "tlsguard", path: "../..")],
    targets: [
        .executableTarget(
            name: "records-bench",
            dependencies: [.product(name: "TLSTelemetry", package: "tlsguard")]
        ),
    ],
    swiftLanguageModes: [.v6]
)

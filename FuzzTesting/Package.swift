// swift-tools-version:6.1
// libFuzzer targets for tlsguard's parsers. Build and run with ../scripts/fuzz (see docs/fuzzing.md):
// swift build -c release --sanitize=fuzzer --sanitize=address, one executable per target.
import Foundation
import PackageDescription

/// SwiftPM names a path dependency after its directory (the checkout may be called anything).
let tlsguard = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

/// One executable per fuzz target: a `@_cdecl("LLVMFuzzerTestOneInput")` function, no main
/// (libFuzzer brings it).
func fuzzTarget(_ name: String, _ products: [String]) -> Target {
    .executableTarget(
        name: name,
        dependencies: ["FuzzSupport"] + products.map { .product(name: $0, package: tlsguard) }
            + [.product(name: "NIOCore", package: "swift-nio")]
    )
}

let package = Package(
    name: "tlsguard-fuzz",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
    ],
    targets: [
        // Input slicing shared by the targets.
        .target(name: "FuzzSupport"),
        fuzzTarget("FuzzTLSRecord", ["TLSWire"]),
        fuzzTarget("FuzzClientHello", ["TLSWire"]),
        fuzzTarget("FuzzServerHello", ["TLSWire"]),
        fuzzTarget("FuzzServerFlight", ["TLSWire"]),
        fuzzTarget("FuzzSSLv2", ["TLSWire"]),
        fuzzTarget("FuzzClientStateMachines", ["TLSScanner"]),
        fuzzTarget("FuzzClientHelloSniffer", ["TLSGateway"]),
        fuzzTarget("FuzzGatewayConfig", ["TLSGateway"]),
        fuzzTarget("FuzzProfile", ["TLSPolicy"]),
    ],
    swiftLanguageModes: [.v6]
)

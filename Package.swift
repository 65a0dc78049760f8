// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "tlsguard",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "tlsguard", targets: ["tlsguard"]),
        .library(name: "TLSWire", targets: ["TLSWire"]),
        .library(name: "TLSReport", targets: ["TLSReport"]),
        .library(name: "TLSScanner", targets: ["TLSScanner"]),
        // For FuzzTesting/ (the profile reader's fuzz target); not a promise of a stable API.
        .library(name: "TLSPolicy", targets: ["TLSPolicy"]),
        .library(name: "TLSGateway", targets: ["TLSGateway"]),
        .library(name: "TLSTelemetry", targets: ["TLSTelemetry"]),
        .library(name: "TLSImpact", targets: ["TLSImpact"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/attaswift/BigInt.git", from: "6.0.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        // The TLS wire codec, registries and fingerprints. No I/O: NIOCore's ByteBuffer only.
        .target(
            name: "TLSWire",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // What a scan saw: the report model (Codable, schema-versioned). TLSWire only, no I/O.
        .target(
            name: "TLSReport",
            dependencies: ["TLSWire"]
        ),
        // The probe engine: raw crafted hellos over NIOPosix, aggregated into a ScanReport.
        .target(
            name: "TLSScanner",
            dependencies: [
                "TLSReport",
                "TLSWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                // AES-CBC (AES._CBC) for our TLS 1.0–1.2 client's CBC suites.
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Logging", package: "swift-log"),
                // RSA public-key operations for the ROBOT probe's crafted ClientKeyExchange.
                .product(name: "BigInt", package: "BigInt"),
            ]
        ),
        // Grades, compliance profiles and remediation: pure functions over a ScanReport.
        .target(
            name: "TLSPolicy",
            dependencies: [
                "TLSReport",
                "TLSWire",
                .product(name: "Yams", package: "Yams"),
            ],
            resources: [.copy("Profiles"), .copy("ClientProfiles")]
        ),
        // In-process TLS servers (swift-nio-ssl) with certificates made on the fly, and the gateway
        // demo (upstream, gateway, clients): for `tlsguard demo`.
        .target(
            name: "TLSDemo",
            dependencies: [
                "TLSGateway",
                "TLSTelemetry",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        // Connection and request records in SQLite (GRDB) or, for a fleet, PostgreSQL (postgres-nio):
        // batched writes, one schema with migrations for both, the impact queries.
        .target(
            name: "TLSTelemetry",
            dependencies: [
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                // ByteBuffer (bytea) and the TLS settings of postgres-nio's connections.
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // The deprecation gateway: ClientHello sniffer, policy engine, TLS termination,
        // HTTP/1.1 reverse proxy and TCP relay, admin listener.
        .target(
            name: "TLSGateway",
            dependencies: [
                "TLSWire",
                "TLSPolicy",
                "TLSTelemetry",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // `tlsguard impact`: who a policy would refuse, from gateway records or proxies' access logs;
        // replays stored ClientHellos through the TLS contexts the tested policy builds.
        .target(
            name: "TLSImpact",
            dependencies: [
                "TLSWire",
                "TLSPolicy",
                "TLSTelemetry",
                "TLSGateway",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .executableTarget(
            name: "tlsguard",
            dependencies: [
                "TLSWire",
                "TLSReport",
                "TLSScanner",
                "TLSPolicy",
                "TLSDemo",
                "TLSGateway",
                "TLSTelemetry",
                "TLSImpact",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "TLSWireTests",
            dependencies: ["TLSWire", .product(name: "NIOCore", package: "swift-nio")],
            resources: [.copy("Fixtures")]
        ),
        // Real test peers (openssl s_server/s_client, plain TCP listeners), Foundation only.
        // Tests use it with `@testable import TestSupport`.
        .target(
            name: "TestSupport",
            dependencies: [.product(name: "X509", package: "swift-certificates")],
            path: "Tests/TestSupport",
            exclude: ["Peers"]
        ),
        .testTarget(
            name: "TLSScannerTests",
            dependencies: ["TLSReport", "TLSScanner", "TLSPolicy", "TLSWire", "TLSDemo", "TestSupport"]
        ),
        .testTarget(
            name: "TLSPolicyTests",
            dependencies: ["TLSPolicy", "TLSReport", "TLSScanner", "TLSWire", "TestSupport"]
        ),
        .testTarget(
            name: "TLSTelemetryTests",
            dependencies: ["TLSTelemetry", "TestSupport", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(
            name: "TLSGatewayTests",
            dependencies: [
                "TLSGateway", "TLSTelemetry", "TLSWire", "TestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "TLSImpactTests",
            dependencies: [
                "TLSImpact", "TLSTelemetry", "TLSGateway", "TLSPolicy", "TLSWire", "TLSDemo", "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "TLSGuardCLITests",
            dependencies: ["TLSDemo", "TLSTelemetry", "TestSupport"]
        ),
    ],
    swiftLanguageModes: [.v6]
)

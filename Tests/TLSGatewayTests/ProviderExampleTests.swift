import Foundation
import Logging
import Testing
import TLSGateway
import TLSTelemetry
import TLSWire
@testable import TestSupport

/// The README's provider example (docs/examples/gateway-provider.yaml) works as written.
@Suite("README provider example", .serialized)
struct ProviderExampleTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The example file in a scratch directory, with real certificates at the paths it names.
    static func install() throws -> String {
        let directory = try TestScratch.makeDirectory(prefix: "provider-example")
        let certs = directory.appendingPathComponent("certs")
        try FileManager.default.createDirectory(at: certs, withIntermediateDirectories: true)
        let rsa = try TestCertificate.rsa(commonName: "api.example.com")
        let ec = try TestCertificate.ecdsa(commonName: "api.example.com")
        for (source, name) in [(rsa.certPath, "api.example.com.rsa.pem"), (rsa.keyPath, "api.example.com.rsa.key"),
                               (ec.certPath, "api.example.com.ecdsa.pem"), (ec.keyPath, "api.example.com.ecdsa.key")] {
            try FileManager.default.copyItem(atPath: source, toPath: certs.appendingPathComponent(name).path)
        }
        let path = directory.appendingPathComponent("gateway.yaml").path
        try FileManager.default.copyItem(atPath: root.appendingPathComponent("docs/examples/gateway-provider.yaml").path, toPath: path)
        return path
    }

    @Test("loads, and its policy does what the README says at each date")
    func policyOverTime() throws {
        let path = try Self.install()
        let config = try GatewayConfiguration.load(path: path)
        #expect(config.listeners.first?.port == 8443)
        #expect(config.records.databasePath?.hasSuffix("records/tlsguard.sqlite") == true)
        _ = try GatewayRuntime(configuration: config, clock: .system)
        func decide(_ date: String, _ version: ProtocolVersion, ip: String = "203.0.113.5") -> ConnectionDecision {
            config.policyEngine(clock: GatewayClock { Dates.at(date) })
                .decide(ConnectionFacts(serverName: "api.example.com", maxOfferedVersion: version, clientAddress: ip))
        }
        #expect(decide("2027-04-01T00:00:00Z", .tls10).rule == "default.mode=warn")
        #expect(decide("2027-05-12T14:30:00Z", .tls10).rule == "default.brownouts[0]")
        #expect(decide("2027-06-09T17:59:00Z", .tls11).rule == "default.brownouts[1]")
        #expect(decide("2027-06-10T00:00:00Z", .tls10).action == .legacy)
        #expect(decide("2027-07-01T00:00:00Z", .tls10).rule == "default.cutoff")
        #expect(decide("2027-07-01T00:00:00Z", .tls10, ip: "198.51.100.7").rule == "exceptions[partner-acme]")
        #expect(decide("2027-10-01T00:00:00Z", .tls10, ip: "198.51.100.7").action == .refuse)
        #expect(decide("2027-10-01T00:00:00Z", .tls13).action == .strict)
    }

    @Test("runs as written (only the ports moved): TLS 1.0 warned, then refused after the cutoff")
    func runs() async throws {
        let path = try Self.install()
        var config = try GatewayConfiguration.load(path: path)
        let upstream = try await TestUpstream.start()
        config.listeners[0].port = 0
        config.admin?.port = 0
        config.upstream?.port = upstream.port
        let clock = TestClock(Dates.at("2027-03-01T12:00:00Z"))
        var logger = Logger(label: "example")
        logger.logLevel = .warning
        let gateway = try Gateway(configuration: config, clock: clock.clock, logger: logger)
        try await gateway.start()
        defer { Task { await upstream.stop() } }
        let port = gateway.listenerPorts["public"]!
        let warned = try TestHTTPS.curl(port: port, host: "api.example.com", tls: "1.0")
        #expect(warned.status == 200)
        #expect(warned.headers["link"] == "<https://developer.example.com/tls>; rel=\"deprecation\"; type=\"text/html\"")
        clock.set(Dates.at("2027-07-01T12:00:00Z"))
        #expect(try TestHTTPS.sClient(port: port, versionFlag: "-tls1", servername: "api.example.com").alert == 70)
        #expect(try TestHTTPS.curl(port: port, host: "api.example.com", tls: "1.3").status == 200)
        await gateway.shutdown(drainTimeout: .seconds(2))
        let records = try #require(gateway.telemetry?.store as? TelemetryStore).connections()
        #expect(records.map(\.outcome) == ["accepted-legacy", "refused", "accepted"])
        #expect(records[1].serverName == "api.example.com")
        #expect(records[1].ja4?.hasPrefix("t10d") == true)
    }
}

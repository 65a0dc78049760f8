import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import TLSGateway
import TLSTelemetry
import Testing
@testable import TestSupport

/// A clock tests set by hand.
final class TestClock: Sendable {
    private let box: NIOLockedValueBox<Date>
    init(_ date: Date) { box = NIOLockedValueBox(date) }
    func set(_ date: Date) { box.withLockedValue { $0 = date } }
    var now: Date { box.withLockedValue { $0 } }
    var clock: GatewayClock { GatewayClock { [box] in box.withLockedValue { $0 } } }
}

/// Dates used throughout: a sunset with its cutoff on 2026-06-30.
enum Dates {
    static func at(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }
    static let grace = at("2026-03-01T12:00:00Z")
    static let cutoff = at("2026-06-30T00:00:00Z")
    static let afterCutoff = at("2026-07-01T12:00:00Z")
    static let inFirstBrownout = at("2026-05-12T14:30:00Z")
    static let inSecondBrownout = at("2026-06-09T15:00:00Z")
    static let partnerExpiry = at("2026-09-30T00:00:00Z")
    static let afterPartnerExpiry = at("2026-10-01T00:00:00Z")
}

/// A running gateway made from a YAML config, with an upstream and a record database.
final class GatewayHarness: Sendable {
    let gateway: Gateway
    let clock: TestClock
    let upstream: TestUpstream?
    let directory: URL
    let configPath: String

    var port: Int { gateway.listenerPorts.values.first ?? 0 }
    var adminPort: Int? { gateway.adminPort }

    private init(gateway: Gateway, clock: TestClock, upstream: TestUpstream?, directory: URL, configPath: String) {
        self.gateway = gateway
        self.clock = clock
        self.upstream = upstream
        self.directory = directory
        self.configPath = configPath
    }

    /// Placeholders in `yaml`: `{{upstream}}` (the test upstream's address), `{{rsa}}`/`{{rsaKey}}`,
    /// `{{ec}}`/`{{ecKey}}` (localhost certificates), `{{db}}` (a fresh database path).
    static func start(yaml: String, at date: Date = Dates.grace, upstreamAddress: String? = nil) async throws -> GatewayHarness {
        let directory = try TestScratch.makeDirectory(prefix: "gateway")
        let upstream = upstreamAddress == nil ? try await TestUpstream.start() : nil
        let rsa = try TestCertificate.rsa()
        let ec = try TestCertificate.ecdsa()
        let text = yaml
            .replacingOccurrences(of: "{{upstream}}", with: upstreamAddress ?? "127.0.0.1:\(upstream!.port)")
            .replacingOccurrences(of: "{{rsaKey}}", with: rsa.keyPath)
            .replacingOccurrences(of: "{{rsa}}", with: rsa.certPath)
            .replacingOccurrences(of: "{{ecKey}}", with: ec.keyPath)
            .replacingOccurrences(of: "{{ec}}", with: ec.certPath)
            .replacingOccurrences(of: "{{db}}", with: directory.appendingPathComponent("records.sqlite").path)
        let configPath = directory.appendingPathComponent("gateway.yaml").path
        try text.write(toFile: configPath, atomically: true, encoding: .utf8)
        let clock = TestClock(date)
        var logger = Logger(label: "gateway-test")
        logger.logLevel = .critical
        let configuration = try GatewayConfiguration.load(path: configPath)
        let gateway = try Gateway(configuration: configuration, clock: clock.clock, logger: logger)
        try await gateway.start()
        return GatewayHarness(gateway: gateway, clock: clock, upstream: upstream, directory: directory, configPath: configPath)
    }

    func stop() async {
        await gateway.shutdown(drainTimeout: .seconds(2))
        await upstream?.stop()
    }

    /// Connection records written so far (waits for the writer first).
    func connections() async throws -> [ConnectionRecord] {
        guard let telemetry = gateway.telemetry else { return [] }
        await telemetry.flush()
        return try #require(telemetry.store as? TelemetryStore).connections()
    }

    func requests() async throws -> [RequestRecord] {
        guard let telemetry = gateway.telemetry else { return [] }
        await telemetry.flush()
        return try #require(telemetry.store as? TelemetryStore).requests()
    }

    /// Waits (briefly) until `count` connection records exist: records land when a connection's
    /// outcome is known, which for a refused client can be a moment after the client exits.
    func waitForConnections(_ count: Int) async throws -> [ConnectionRecord] {
        for _ in 0..<100 {
            let records = try await connections()
            if records.count >= count { return records }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        return try await connections()
    }
}

/// Starts a gateway, runs `body`, and always stops it.
func withGateway<T>(
    yaml: String, at date: Date = Dates.grace, upstreamAddress: String? = nil,
    _ body: (GatewayHarness) async throws -> T
) async throws -> T {
    let harness = try await GatewayHarness.start(yaml: yaml, at: date, upstreamAddress: upstreamAddress)
    do {
        let result = try await body(harness)
        await harness.stop()
        return result
    } catch {
        await harness.stop()
        throw error
    }
}

/// The provider case: TLS 1.2 minimum, warn until the cutoff, two brownouts, one partner exception.
let providerYAML = """
    listeners:
      - name: public
        address: 127.0.0.1:0
    admin:
      address: 127.0.0.1:0
    upstream:
      address: {{upstream}}
      responseTimeout: 2s
    certificates:
      - default: true
        hosts: [localhost]
        chain: {{rsa}}
        key: {{rsaKey}}
      - hosts: [localhost]
        chain: {{ec}}
        key: {{ecKey}}
    policy:
      default:
        minimumVersion: TLSv1.2
        mode: warn
        cutoff: 2026-06-30T00:00:00Z
        deprecationLink: https://example.com/tls
        brownouts:
          - start: 2026-05-12T14:00:00Z
            end: 2026-05-12T15:00:00Z
          - start: 2026-06-09T14:00:00Z
            end: 2026-06-09T16:00:00Z
    exceptions:
      - name: partner-acme
        cidr: 10.20.0.0/16
        expires: 2026-09-30
    records:
      database: {{db}}
      apiKeyHeader: X-API-Key
    """

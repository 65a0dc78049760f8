import Foundation
import Testing
import TLSDemo
import TLSGateway
import TLSImpact
import TLSTelemetry
import TLSWire

/// The analyzer on records with crafted hellos: replay beats version comparison, every
/// connection is counted once, and what could not be judged is said.
@Suite("impact analyzer")
struct ImpactAnalyzerTests {
    /// `--min` as the CLI builds it: an enforcing default policy, ECDSA and RSA certificates.
    static func policy(minimum: ProtocolVersion = .tls12, strictCiphers: String? = nil,
                       exceptions: [PolicyException] = []) throws -> ImpactPolicy {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("impact-unit-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let certificates = try DemoCertificate.writePair(into: folder, defaultKey: nil)
        var tls = GatewayConfiguration.TLSSettings()
        tls.strictCiphers = strictCiphers
        let configuration = GatewayConfiguration(
            listeners: [], upstream: nil, certificates: certificates,
            defaultPolicy: HostPolicy(name: "default", minimumVersion: minimum, mode: .enforce), exceptions: exceptions, tls: tls)
        return ImpactPolicy(runtime: try GatewayRuntime(configuration: configuration, clock: .system), moment: .at(Date()),
                            summary: "test minimum \(minimum.displayName)")
    }

    static let t0 = Date(timeIntervalSince1970: 1_790_000_000)

    /// A connection record (and its hello record) as the gateway writes them.
    static func record(_ hello: ClientHello?, id: String = UUID().uuidString, storeHello: Bool = true, maxVersion: String? = nil,
                       outcome: String = "accepted") -> (ConnectionRecord, ClientHelloRecord?) {
        let hash = hello?.distinctHash(recordVersion: .tls10)
        let c = ConnectionRecord(
            id: id, time: t0, listener: "public", clientAddress: "192.0.2.7", clientPort: 40000, serverName: "api.example.com",
            maxOfferedVersion: maxVersion ?? (try? hello?.maxOfferedVersion())?.name, ja4: hello.map { ClientFingerprint($0).ja4 },
            outcome: outcome, rule: "default.minimumVersion", helloHash: hash)
        let h = hello.flatMap { h in
            storeHello ? ClientHelloRecord(hash: hash!, firstSeen: t0, recordVersion: "TLSv1.0", bytes: h.wireBytes(recordVersion: .tls10)) : nil
        }
        return (c, h)
    }

    static func store(_ records: [(ConnectionRecord, ClientHelloRecord?)]) throws -> TelemetryStore {
        let store = try TelemetryStore(path: ":memory:")
        try store.insert(connections: records.map(\.0), requests: [], hellos: records.compactMap(\.1))
        return store
    }

    static let modern = ClientHelloBuilder(version: .tls13, cipherSuites: [CipherSuite(0x1301), CipherSuite(0xC02B), CipherSuite(0xC02F)],
                                           serverName: "api.example.com")
    /// TLS 1.2 offering only TLS_RSA_WITH_3DES_EDE_CBC_SHA: meets a version minimum, shares no default suite.
    static let tripleDES = ClientHelloBuilder(version: .tls12, cipherSuites: [CipherSuite(0x000A)], serverName: "api.example.com")
    static let tls10 = ClientHelloBuilder(version: .tls10, cipherSuites: [CipherSuite(0xC013), CipherSuite(0x002F)], serverName: "api.example.com")

    func run(_ store: TelemetryStore, policy: ImpactPolicy, grouping: ImpactGrouping? = nil) async throws -> ImpactReport {
        try await ImpactAnalyzer(policy: policy).run(source: store, since: Self.t0.addingTimeInterval(-60),
                                                      until: Self.t0.addingTimeInterval(60), grouping: grouping)
    }

    @Test("the same client build gives one distinct hello; another suite list another")
    func distinctHash() {
        let a = Self.modern.build(), b = Self.modern.build()
        #expect(a.random != b.random, "fresh random and key shares per hello")
        #expect(a.distinctHash(recordVersion: .tls10) == b.distinctHash(recordVersion: .tls10))
        #expect(a.distinctHash(recordVersion: .tls10) != Self.tripleDES.build().distinctHash(recordVersion: .tls10))
        #expect(a.distinctHash(recordVersion: .tls10) != a.distinctHash(recordVersion: .tls12), "the record version is part of it")
    }

    @Test("replayed: a TLS 1.2 hello with only 3DES is refused for its suites; TLS 1.0 for its version; TLS 1.3 connects")
    func replayBeatsVersions() async throws {
        let store = try Self.store([
            Self.record(Self.modern.build()), Self.record(Self.modern.build()),
            Self.record(Self.tripleDES.build()), Self.record(Self.tls10.build()),
        ])
        let report = try await run(store, policy: try Self.policy(), grouping: .ja4)
        #expect(report.totals.connections == 4)
        #expect(report.totals.refusedConnections == 2)
        #expect(report.totals.connectionsReplayed == 4)
        #expect(report.totals.distinctHellosReplayed == 3)
        let reasons = report.groups.flatMap(\.reasons)
        #expect(reasons.contains { $0.hasPrefix("no cipher suite in common") }, "\(reasons)")
        #expect(reasons.contains { $0.contains("TLS 1.0 is below the minimum TLS 1.2") }, "\(reasons)")
        #expect(report.groups.first { $0.maxVersions == ["TLS 1.2"] }?.offeredSuites == ["TLS_RSA_WITH_3DES_EDE_CBC_SHA"])
        #expect(report.groupedBy == .ja4)
    }

    @Test("without its stored hello a connection is judged by version only, and the report says how many")
    func versionOnly() async throws {
        let store = try Self.store([
            Self.record(Self.tripleDES.build(), storeHello: false),
            Self.record(nil, maxVersion: "TLSv1.1"),
            Self.record(nil, outcome: "malformed"),
        ])
        let report = try await run(store, policy: try Self.policy())
        #expect(report.totals.connectionsByVersionOnly == 2)
        #expect(report.totals.refusedConnections == 1, "3DES passes a version comparison: only TLS 1.1 is refused")
        #expect(report.totals.notJudged == 1)
        #expect(report.limitations.contains { $0.contains("2 connections have no stored ClientHello") }, "\(report.limitations)")
        #expect(report.limitations.contains { $0.contains("1 connections name a ClientHello the store does not hold") })
        #expect(report.limitations.contains { $0.contains("1 connections sent no usable ClientHello") })
    }

    @Test("--min serves RSA-only clients the RSA certificate: a TLS 1.2 client without ECDSA suites connects")
    func rsaOnlyClientConnects() async throws {
        // Both certificates are defaults (no host names): the client's capability picks. With only
        // the ECDSA one as default, this client was "no cipher suite in common".
        let rsaOnly = ClientHelloBuilder(version: .tls12, cipherSuites: [CipherSuite(0xC02F), CipherSuite(0x009C)],
                                         serverName: "api.example.com").build()
        #expect(!rsaOnly.canVerifyECDSA)
        let report = try await run(try Self.store([Self.record(rsaOnly)]), policy: try Self.policy())
        #expect(report.totals.connectionsReplayed == 1)
        #expect(report.totals.refusedConnections == 0, "\(report.groups.flatMap(\.reasons))")
    }

    @Test("a stricter strictCiphers list breaks clients a version minimum keeps")
    func cipherTightening() async throws {
        let store = try Self.store([Self.record(Self.modern.build()), Self.record(ClientHelloBuilder(
            version: .tls12, cipherSuites: [CipherSuite(0xC02B)], serverName: "api.example.com").build())])
        let loose = try await run(store, policy: try Self.policy())
        #expect(loose.totals.refusedConnections == 0)
        let strict = try await run(store, policy: try Self.policy(strictCiphers: "ECDHE-ECDSA-AES256-GCM-SHA384"))
        #expect(strict.totals.refusedConnections == 1)
        #expect(strict.groups.first?.reasons.first?.hasPrefix("no cipher suite in common") == true)
    }

    @Test("read in two steps (classes, then only the clients that may be refused), the report is the one-step report; exceptions by network and API key hold")
    func twoStepReadIsExact() async throws {
        let partner = "sha256:" + APIKeyHash.sha256Hex("partner")
        let policy = try Self.policy(exceptions: [
            PolicyException(name: "office", matcher: .network(try #require(IPAddressRange("198.51.100.0/24"))), expires: .distantFuture),
            PolicyException(name: "partner", matcher: .apiKeySHA256(APIKeyHash.sha256Hex("partner")), expires: .distantFuture),
        ])
        var records = [Self.record(Self.tls10.build()), Self.record(Self.tls10.build()), Self.record(Self.tls10.build()),
                       Self.record(Self.tls10.build()), Self.record(Self.modern.build())]
        records[0].0.clientAddress = "198.51.100.5"  // legacy, but from the excepted network
        let keys: [String?] = [nil, partner, "sha256:other", nil, "sha256:other"]
        var requests: [RequestRecord] = []
        for (i, (c, _)) in records.enumerated() where i != 3 {  // the fourth sends no request
            for n in 0..<2 {
                requests.append(RequestRecord(connectionID: c.id, time: Self.t0.addingTimeInterval(Double(n)), method: "GET",
                                              host: nil, path: "/", status: 200, userAgent: "ua-\(i)", apiKey: keys[i],
                                              upstreamLatencyMs: nil, outcome: "proxied", connectionTime: c.time))
            }
        }
        let store = try TelemetryStore(path: ":memory:")
        try store.insert(connections: records.map(\.0), requests: requests, hellos: records.compactMap(\.1))
        let twoStep = try await run(store, policy: policy, grouping: .apikey)
        let all = try await store.impactObservations(since: Self.t0.addingTimeInterval(-60), until: Self.t0.addingTimeInterval(60))
        let hellos = try await store.clientHellos(hashes: Set(all.compactMap(\.helloHash)))
        let oneStep = ImpactAnalyzer(policy: policy).analyze(all, hellos: hellos, source: store.sourceDescription, since: twoStep.since,
                                                             until: twoStep.until, grouping: .apikey)
        #expect(twoStep.totals == oneStep.totals)
        #expect(twoStep.groups == oneStep.groups)
        // Refused: the TLS 1.0 client with another key and the one that sent no request; not the
        // excepted network, not the partner key, not TLS 1.3.
        #expect(twoStep.totals.connections == 5)
        #expect(twoStep.totals.refusedConnections == 2)
        #expect(twoStep.groups.map(\.key).sorted() == ["(no API key)", "sha256:other"])
        #expect(twoStep.groups.first { $0.key == "sha256:other" }?.requests == 2)
    }

    @Test("default grouping: by client without API keys; text fix names the tested minimum")
    func grouping() async throws {
        let store = try Self.store([Self.record(Self.tls10.build())])
        let report = try await run(store, policy: try Self.policy(minimum: .tls13))
        #expect(report.groupedBy == .client)
        #expect(report.groups.first?.fixes.first?.contains("TLS 1.3") == true, "\(report.groups)")
    }

    @Test("access-log observations (negotiated version only) are judged by version")
    func logObservations() throws {
        let o = [
            ImpactObservation(source: "nginx", clientAddress: "2001:db8:1:2::9", negotiatedVersion: "TLSv1.0", cipherSuite: "TLS_RSA_WITH_AES_128_CBC_SHA",
                              userAgent: "curl/7.29.0", connections: 5, requests: 9, firstSeen: Self.t0, lastSeen: Self.t0),
            ImpactObservation(source: "nginx", clientAddress: "198.51.100.20", negotiatedVersion: "TLSv1.3", connections: 10,
                              requests: 10, firstSeen: Self.t0, lastSeen: Self.t0),
        ]
        let report = ImpactAnalyzer(policy: try Self.policy()).analyze(o, hellos: [:], source: "nginx log", since: Self.t0,
                                                                      until: Self.t0, grouping: .subnet)
        #expect(report.totals.refusedConnections == 5)
        #expect(report.totals.refusedRequests == 9)
        #expect(report.totals.connectionsByVersionOnly == 15)
        #expect(report.groups.map(\.key) == ["2001:db8:1:2::/64"])
        #expect(!report.limitations.contains { $0.contains("stored ClientHello") }, "that sentence is about gateway records")
    }

    @Test("a log line with $ssl_ciphers is judged on a hello rebuilt from its suites: 3DES-only breaks, GCM does not")
    func logSuites() throws {
        func line(_ suites: String, _ address: String) -> ImpactObservation {
            ImpactObservation(source: "nginx", clientAddress: address, negotiatedVersion: "TLSv1.2", offeredSuites: suites,
                              offeredGroups: "x25519,secp256r1", firstSeen: Self.t0, lastSeen: Self.t0)
        }
        let report = ImpactAnalyzer(policy: try Self.policy()).analyze(
            [line("TLS_RSA_WITH_3DES_EDE_CBC_SHA", "192.0.2.1"), line("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "192.0.2.2")],
            hellos: [:], source: "nginx log", since: Self.t0, until: Self.t0, grouping: .ip)
        #expect(report.groups.map(\.key) == ["192.0.2.1"], "\(report.groups.map(\.reasons))")
        let reason = report.groups.first?.reasons.first ?? ""
        #expect(reason.hasPrefix("no cipher suite in common") && reason.contains("rebuilt from the logged"), "\(reason)")
    }
}

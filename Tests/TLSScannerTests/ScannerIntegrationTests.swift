import TLSPolicy
import Foundation
import NIOCore
import Testing
@testable import TestSupport
import TLSReport
@testable import TLSScanner
import TLSWire

/// Scans real `openssl s_server` peers on 127.0.0.1 and checks the scan against `openssl s_client`,
/// one real handshake per suite: what the scan reports is exactly what the server accepts.
@Suite("scan against openssl s_server", .serialized)
struct ScannerIntegrationTests {
    static let versionFlags: [(ProtocolVersion, String)] = [(.tls10, "-tls1"), (.tls11, "-tls1_1"), (.tls12, "-tls1_2"), (.tls13, "-tls1_3")]

    func scan(_ port: Int, sni: String? = nil, fold: Bool = true) async -> TargetReport {
        var options = ScanOptions()
        options.connectTimeout = .seconds(3)
        options.readTimeout = .seconds(3)
        options.foldOrderIntoEnumeration = fold
        return await Scanner(options: options).scan(ScanTarget(host: "127.0.0.1", port: port, sni: sni))
    }

    func suiteCodes(_ report: TargetReport, _ v: ProtocolVersion) -> [UInt16] {
        (report.protocolResult(v)?.cipherSuites ?? []).compactMap { $0.suite?.rawValue }
    }

    /// Every version and every suite the scan reports is confirmed by s_client, and nothing s_client
    /// can negotiate is missing.
    func expectMatchesOpenSSL(_ report: TargetReport, port: Int, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(report.status.status == .completed, "\(report.status.reason ?? "")", sourceLocation: sourceLocation)
        for (v, flag) in Self.versionFlags {
            let result = try #require(report.protocolResult(v), sourceLocation: sourceLocation)
            #expect(result.check.status == .completed, "\(v): \(result.check.reason ?? "")", sourceLocation: sourceLocation)
            let accepted = try OpenSSLClient.acceptedSuites(port: port, versionFlag: flag)
            let versionAccepted = OpenSSLClient.acceptsVersion(port: port, versionFlag: flag)
            #expect(result.supported == versionAccepted, "\(v) supported", sourceLocation: sourceLocation)
            #expect(Set(suiteCodes(report, v)) == accepted, "\(v) suites", sourceLocation: sourceLocation)
        }
        // This OpenSSL has no SSL 2.0 or 3.0 at all: the scan must not claim them.
        #expect(report.protocolResult(.sslv2)?.supported == false, sourceLocation: sourceLocation)
        #expect(report.protocolResult(.sslv3)?.supported == false, sourceLocation: sourceLocation)
        #expect(report.anomalies.isEmpty, "\(report.anomalies)", sourceLocation: sourceLocation)
    }

    /// Server order: for each neighbouring pair (a, b) in the reported order, s_client offering
    /// "b:a" must get a. Client order: offering "b:a" gets b.
    func expectOrder(_ report: TargetReport, _ v: ProtocolVersion, flag: String, port: Int, enforced: Bool,
                     sourceLocation: SourceLocation = #_sourceLocation) throws {
        let p = try #require(report.protocolResult(v), sourceLocation: sourceLocation)
        #expect(p.serverOrder.enforced == enforced, sourceLocation: sourceLocation)
        let names = p.cipherSuites.compactMap(\.opensslName)
        #expect(names.count == p.cipherSuites.count, sourceLocation: sourceLocation)
        for i in 0..<(names.count - 1) {
            let (a, b) = (names[i], names[i + 1])
            let n = OpenSSLClient.negotiate(port: port, versionFlag: flag, cipher: v == .tls13 ? nil : "\(b):\(a)",
                                            ciphersuites: v == .tls13 ? "\(b):\(a)" : nil)
            #expect(n?.cipher == (enforced ? a : b), "offering \(b):\(a)", sourceLocation: sourceLocation)
        }
    }

    static func rsa() throws -> TestCertificate { try TestCertificate.rsa() }
    static let legacyCiphers = ["-cipher", "ALL:@SECLEVEL=0"]

    @Test func tls13Only() async throws {
        try await withOpenSSLServer(certificate: try Self.rsa(), arguments: ["-tls1_3"]) { server in
            let report = await scan(server.port)
            try expectMatchesOpenSSL(report, port: server.port)
            #expect(report.supportedVersions == [.tls13])
            #expect(report.protocolResult(.tls12)?.refusal != nil)
        }
    }

    @Test func tls12And13ModernSuites() async throws {
        let args = ["-no_tls1", "-no_tls1_1", "-cipher", "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256",
                    "-ciphersuites", "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"]
        try await withOpenSSLServer(certificate: try Self.rsa(), arguments: args) { server in
            let report = await scan(server.port)
            try expectMatchesOpenSSL(report, port: server.port)
            #expect(report.supportedVersions == [.tls12, .tls13])
            #expect(suiteCodes(report, .tls12).count == 3)
            #expect(report.protocolResult(.tls12)?.cipherSuites.allSatisfy { $0.suite?.strength.rating == .strong } == true)
        }
    }

    @Test func legacyTLS10To13WithCBC() async throws {
        try await withOpenSSLServer(certificate: try Self.rsa(), arguments: Self.legacyCiphers) { server in
            let report = await scan(server.port)
            try expectMatchesOpenSSL(report, port: server.port)
            #expect(report.supportedVersions == [.tls10, .tls11, .tls12, .tls13])
            let tls10 = try #require(report.protocolResult(.tls10))
            #expect(tls10.cipherSuites.contains { $0.name == "TLS_RSA_WITH_AES_128_CBC_SHA" })
            #expect(tls10.cipherSuites.contains { $0.suite?.strength.rating == .weak })
            // DHE suites are offered: the scan reads each suite's DH prime off the ServerKeyExchange.
            // OpenSSL's automatic parameters: ≥2048 bits for DHE_RSA, 1024 for DH_anon with AES-128.
            let tls12 = try #require(report.protocolResult(.tls12))
            let dhe = (tls12.dhParameters ?? []).filter { $0.suites.contains("TLS_DHE_RSA_WITH_AES_128_GCM_SHA256") }
            #expect(dhe.count == 1 && dhe[0].primeBits >= 2048, "\(tls12.dhParameters ?? [])")
            #expect(tls12.dhParameterBits == 1024)
            // Every connection is counted under the check that made it.
            let byCheck = report.connectionsByCheck
            #expect(byCheck.values.reduce(0, +) == report.probeCount, "\(byCheck)")
            #expect(byCheck["other"] == nil, "a connection outside any check: \(byCheck)")
            #expect(Set(byCheck.keys).isSuperset(of: ["connectivity", "versions", "groups", "features", "ccsInjection",
                                                       "fallbackSCSV", "tls12Client", "tls13Client",
                                                       "certificates", "clientRenegotiation"]), "\(byCheck)")
            // The downgrade sentinel is read off the enumeration's own TLS 1.2 and 1.1 ServerHellos.
            #expect(byCheck["downgradeSentinel"] == nil, "\(byCheck)")
        }
    }

    @Test func tls10Only() async throws {
        try await withOpenSSLServer(certificate: try Self.rsa(), arguments: ["-tls1"] + Self.legacyCiphers) { server in
            let report = await scan(server.port)
            try expectMatchesOpenSSL(report, port: server.port)
            #expect(report.supportedVersions == [.tls10])
            // TLS 1.0 is the best version: groups come from its ServerKeyExchange.
            #expect(report.protocolResult(.tls10)?.groups?.groups.isEmpty == false)
        }
    }

    @Test func tls11Only() async throws {
        try await withOpenSSLServer(certificate: try Self.rsa(), arguments: ["-tls1_1"] + Self.legacyCiphers) { server in
            let report = await scan(server.port)
            try expectMatchesOpenSSL(report, port: server.port)
            #expect(report.supportedVersions == [.tls11])
        }
    }

    @Test func tls12RSAKeyExchangeOnly() async throws {
        let args = ["-tls1_2", "-cipher", "AES128-SHA:AES256-GCM-SHA384:AES128-SHA256:AES256-SHA"]
        try await withOpenSSLServer(certificate: try Self.rsa(), arguments: args) { server in
            let report = await scan(server.port)
            try expectMatchesOpenSSL(report, port: server.port)
            let suites = try #require(report.protocolResult(.tls12)?.cipherSuites)
            #expect(suites.count == 4)
            #expect(suites.allSatisfy { $0.forwardSecrecy == false && $0.keyExchange == "RSA" })
            #expect(report.protocolResult(.tls12)?.groups?.check.status == .notRun)
        }
    }

    /// An order no library would pick by itself: weak first, AEAD in the middle.
    static let unusualOrder = "AES128-SHA:ECDHE-RSA-AES256-GCM-SHA384:AES256-SHA256:ECDHE-RSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-SHA:AES128-GCM-SHA256"

    @Test func serverOrderEnforced() async throws {
        let args = ["-tls1_2", "-serverpref", "-cipher", Self.unusualOrder]
        try await withOpenSSLServer(certificate: try Self.rsa(), arguments: args) { server in
            let report = await scan(server.port)
            try expectMatchesOpenSSL(report, port: server.port)
            try expectOrder(report, .tls12, flag: "-tls1_2", port: server.port, enforced: true)
            #expect(report.protocolResult(.tls12)?.cipherSuites.first?.opensslName == "AES128-SHA")
        }
    }

    @Test func clientOrderWhenServerHasNoPreference() async throws {
        let args = ["-tls1_2", "-cipher", Self.unusualOrder]
        try await withOpenSSLServer(certificate: try Self.rsa(), arguments: args) { server in
            let report = await scan(server.port)
            try expectMatchesOpenSSL(report, port: server.port)
            try expectOrder(report, .tls12, flag: "-tls1_2", port: server.port, enforced: false)
        }
    }

    /// The folded scan (one chain over every candidate, whose order is the server's) and the
    /// blockwise one (blocks of 64, then the order pass) report the same suites, in the same order,
    /// with the same verdict on the order, for a server with its own order and one without.
    @Test(arguments: [true, false]) func foldedAndBlockwiseEnumerationAgree(serverOrder: Bool) async throws {
        let args = Self.legacyCiphers + (serverOrder ? ["-serverpref"] : [])
        try await withOpenSSLServer(certificate: try Self.rsa(), arguments: args) { server in
            let folded = await scan(server.port, fold: true)
            let blockwise = await scan(server.port, fold: false)
            for v in [ProtocolVersion.tls10, .tls11, .tls12, .tls13] {
                let f = try #require(folded.protocolResult(v))
                let b = try #require(blockwise.protocolResult(v))
                #expect(f.cipherSuites.map(\.code) == b.cipherSuites.map(\.code), "\(v.name)")
                #expect(f.serverOrder.enforced == b.serverOrder.enforced, "\(v.name)")
                #expect(f.serverOrder.enforced == (f.cipherSuites.count >= 2 ? serverOrder : nil), "\(v.name)")
            }
            // With a server order, folding saves the order pass (about 90 connections here). Without
            // one, the two hellos that find out replace the order pass's two, and the counts differ
            // only by what the other checks happen to need.
            if serverOrder {
                #expect(folded.probeCount + 40 < blockwise.probeCount, "\(folded.probeCount) vs \(blockwise.probeCount)")
            }
            try expectOrder(folded, .tls12, flag: "-tls1_2", port: server.port, enforced: serverOrder)
        }
    }

    @Test func tls13ServerOrder() async throws {
        let args = ["-tls1_3", "-serverpref", "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384"]
        try await withOpenSSLServer(certificate: try Self.rsa(), arguments: args) { server in
            let report = await scan(server.port)
            try expectMatchesOpenSSL(report, port: server.port)
            try expectOrder(report, .tls13, flag: "-tls1_3", port: server.port, enforced: true)
        }
    }

    @Test func ecdsaCertificate() async throws {
        try await withOpenSSLServer(certificate: try TestCertificate.ecdsa(), arguments: Self.legacyCiphers) { server in
            let report = await scan(server.port)
            try expectMatchesOpenSSL(report, port: server.port)
            let tls12 = try #require(report.protocolResult(.tls12)?.cipherSuites)
            #expect(tls12.contains { $0.authentication == "ECDSA" })
            #expect(!tls12.contains { $0.authentication == "RSA" })
        }
    }

    @Test func groupsPerVersion() async throws {
        let args = ["-groups", "X25519:secp384r1"] + Self.legacyCiphers
        try await withOpenSSLServer(certificate: try Self.rsa(), arguments: args) { server in
            let report = await scan(server.port)
            for v in [ProtocolVersion.tls12, .tls13] {
                let groups = try #require(report.protocolResult(v)?.groups)
                #expect(groups.check.status == .completed)
                #expect(Set(groups.groups.map(\.name)) == ["x25519", "secp384r1"], "\(v)")
            }
            // s_client agrees: each found group works, and one the scan did not find does not.
            for g in ["X25519", "secp384r1"] {
                #expect(OpenSSLClient.negotiate(port: server.port, versionFlag: "-tls1_3", cipher: nil, extraArguments: ["-groups", g]) != nil)
            }
            #expect(OpenSSLClient.negotiate(port: server.port, versionFlag: "-tls1_3", cipher: nil, extraArguments: ["-groups", "prime256v1"]) == nil)
        }
    }

    @Test func sniIsSent() async throws {
        try await withOpenSSLServer(certificate: try Self.rsa(), arguments: ["-tls1_2", "-servername", "only.example", "-servername_fatal",
                                                                       "-cert2", try Self.rsa().certPath, "-key2", try Self.rsa().keyPath]) { server in
            let right = await scan(server.port, sni: "only.example")
            #expect(right.supportedVersions == [.tls12])
            let wrong = await scan(server.port, sni: "other.example")
            // -servername_fatal: a wrong name gets a fatal unrecognized_name alert on every hello.
            #expect(wrong.supportedVersions.isEmpty)
            #expect(wrong.protocolResult(.tls12)?.refusal?.contains("unrecognized_name") == true)
        }
    }

    // MARK: Failure paths: one clear line, never a hang

    @Test func nonTLSPort() async throws {
        let server = try PlainTCPServer.start(reply: "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
        defer { server.stop() }
        let report = await scan(server.port)
        #expect(report.status.status == .error)
        #expect(report.status.reason?.contains("not a TLS service") == true)
        #expect(report.status.reason?.contains("HTTP/1.1 400 Bad Request") == true)
    }

    @Test func closedPort() async throws {
        let port = try TestSupport.closedPort()
        let report = await scan(port)
        #expect(report.status.status == .error)
        #expect(report.status.reason == "127.0.0.1:\(port): connection refused")
    }

    @Test(.timeLimit(.minutes(1))) func silentServerTimesOut() async throws {
        // A listening socket nobody accepts on: the kernel completes the TCP handshake, then silence.
        let fd = try TestSocket.makeSocket()
        defer { close(fd) }
        let port = try TestSocket.bindLoopback(fd)
        #expect(listen(fd, 16) == 0)
        var options = ScanOptions()
        options.readTimeout = .milliseconds(300)
        options.retries = 0
        let report = await Scanner(options: options).scan(ScanTarget(host: "127.0.0.1", port: port))
        #expect(report.status.status == .error)
        #expect(report.status.reason?.contains("no answer") == true)
    }

    @Test func serverThatClosesEveryConnection() async throws {
        // Reads the hello and hangs up without a byte: not a TLS service, whatever it is.
        let server = try PlainTCPServer.start(replyBytes: [])
        defer { server.stop() }
        let report = await scan(server.port)
        #expect(report.status.status == .error)
        #expect(report.status.reason?.contains("closed the connection without a TLS answer") == true)
    }

    @Test func unresolvableName() async {
        let report = await Scanner().scan(ScanTarget(host: "no-such-host.invalid", port: 443))
        #expect(report.status.status == .error)
        #expect(report.status.reason?.contains("cannot resolve host 'no-such-host.invalid'") == true)
    }

    @Test func oneBadTargetDoesNotStopTheOthers() async throws {
        try await withOpenSSLServer(certificate: try Self.rsa(), arguments: ["-tls1_2"]) { server in
            let closed = try TestSupport.closedPort()
            let reports = await Scanner().scan([ScanTarget(host: "127.0.0.1", port: closed), ScanTarget(host: "127.0.0.1", port: server.port)])
            #expect(reports.map(\.status.status) == [.error, .completed])
            #expect(reports[1].supportedVersions == [.tls12])
        }
    }
}

@Suite("targets")
struct ScanTargetTests {
    @Test(arguments: [
        ("example.com", "example.com", 443, "example.com"),
        ("example.com:8443", "example.com", 8443, "example.com"),
        ("10.0.0.5:993", "10.0.0.5", 993, nil),
        ("[::1]:4433", "::1", 4433, nil),
        ("https://example.com/path", "example.com", 443, "example.com"),
    ] as [(String, String, Int, String?)])
    func parses(_ input: String, _ host: String, _ port: Int, _ sni: String?) throws {
        let t = try ScanTarget(parsing: input)
        #expect(t.host == host)
        #expect(t.port == port)
        #expect(t.sni == sni)
    }

    @Test(arguments: ["", "host:0", "host:99999", "host:abc", "ftp://x", "bad host", "[::1", "::1:443", "::1",
                      "a..b", "-a.com", "[zz::1]:443", "host\r\n:443"])
    func rejects(_ input: String) {
        #expect(throws: TargetParseError.self) { try ScanTarget(parsing: input) }
    }
}

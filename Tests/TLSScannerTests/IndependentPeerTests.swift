import Foundation
import Testing
@testable import TestSupport
import TLSReport
@testable import TLSScanner
import TLSWire

/// Scans against TLS implementations other than OpenSSL: tlslite-ng (pure Python, PyPI) and GnuTLS
/// (`gnutls-serv`, Debian's gnutls-bin), each configured with the weaknesses it can still offer and
/// as a clean server. What each can and cannot be made to do is in docs/test-peers.md.
/// Peers come from scripts/install-test-deps (the tlslite-ng venv and gnutls-bin).
@Suite("independent TLS implementations", .serialized)
struct IndependentPeerTests {
    func scan(_ port: Int) async -> TargetReport {
        var options = ScanOptions()
        // tlslite-ng computes every key exchange in Python: give its answers time.
        options.readTimeout = .seconds(5)
        return await Scanner(options: options).scan(ScanTarget(host: "127.0.0.1", port: port))
    }


    /// The codes of the suites the scan found for `v`, in the report's order.
    func codes(_ r: TargetReport, _ v: ProtocolVersion) -> [String] {
        r.protocolResult(v)?.cipherSuites.map(\.code) ?? []
    }

    static func hex(_ code: UInt16) -> String { String(format: "0x%04X", code) }

    // MARK: tlslite-ng

    func tlslite(_ profile: String, noFallbackSCSV: Bool = false) throws -> ScriptedPeer {
        let cert = try TestCertificate.rsa()
        var args = ["--cert", cert.certPath, "--key", cert.keyPath, "--profile", profile]
        if noFallbackSCSV { args.append("--no-fallback-scsv") }
        return try ScriptedPeer.start("tlslite_server.py", arguments: args, python: ScriptedPeer.venvPython)
    }

    /// tlslite-ng's own suite lists for a profile, per version name, in its order of preference.
    func tlsliteSuites(_ profile: String) throws -> [String: [String]] {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("TestSupport/Peers/tlslite_server.py").path
        let result = try TestProcess.run(ScriptedPeer.venvPython, [script, "--list-suites", "--profile", profile], timeout: 30)
        try #require(result.succeeded, "\(result.stderr)")
        let decoded = try JSONDecoder().decode([String: [UInt16]].self, from: Data(result.stdout.utf8))
        return decoded.mapValues { $0.map(Self.hex) }
    }

    @Test func tlsliteLegacyWithoutFallbackSCSV() async throws {
        let peer = try tlslite("legacy", noFallbackSCSV: true)
        defer { peer.stop() }
        let r = await scan(peer.port)
        #expect(r.supportedVersions == [.tls10, .tls11, .tls12, .tls13], "\(r.status.reason ?? "")")
        expect(r, "fallback_scsv", vulnerable: true, evidence: "was accepted")
        expect(r, "rc4", vulnerable: true, evidence: "RC4")
        expect(r, "sweet32", vulnerable: true, evidence: "3DES")
        expect(r, "beast", vulnerable: true, evidence: "TLS 1.0 accepts")
        expect(r, "no_forward_secrecy", vulnerable: true, evidence: "TLS_RSA_WITH")
        // tlslite-ng has no TLS compression and answers heartbeats correctly.
        expect(r, "compression", vulnerable: false, evidence: "chose null")
        expect(r, "heartbleed", vulnerable: false)
        expect(r, "ccs_injection", vulnerable: false)
        expect(r, "poodle", vulnerable: false)
        expect(r, "export", vulnerable: false)
        expect(r, "null_cipher", vulnerable: false)
        expect(r, "anonymous", vulnerable: false)
    }

    @Test func tlsliteLegacyHonoursFallbackSCSVAndMatchesItsOwnSuiteLists() async throws {
        let peer = try tlslite("legacy")
        defer { peer.stop() }
        let r = await scan(peer.port)
        expect(r, "fallback_scsv", vulnerable: false, evidence: "inappropriate_fallback")
        expect(r, "rc4", vulnerable: true)
        // Every suite tlslite-ng lists, and no other, in its order (it picks by its own list).
        let expected = try tlsliteSuites("legacy")
        for v in [ProtocolVersion.tls10, .tls11, .tls12, .tls13] {
            let want = try #require(expected[v.name], "tlslite-ng lists nothing for \(v.name)")
            #expect(codes(r, v) == want, "\(v.name)")
            if want.count >= 2 { #expect(r.protocolResult(v)?.serverOrder.enforced == true, "\(v.name)") }
        }
    }

    @Test func tlsliteModernIsClean() async throws {
        let peer = try tlslite("modern")
        defer { peer.stop() }
        let r = await scan(peer.port)
        #expect(r.supportedVersions == [.tls12, .tls13], "\(r.status.reason ?? "")")
        let vulnerable = r.judgedWeaknesses.filter { $0.vulnerable == true }.map(\.id)
        #expect(vulnerable.isEmpty, "\(vulnerable)")
        expect(r, "fallback_scsv", vulnerable: false, evidence: "inappropriate_fallback")
        expect(r, "rc4", vulnerable: false)
        expect(r, "sweet32", vulnerable: false)
        let expected = try tlsliteSuites("modern")
        #expect(codes(r, .tls12) == expected["TLSv1.2"])
        #expect(codes(r, .tls13) == expected["TLSv1.3"])
    }

    // MARK: gnutls-serv

    /// RC4 and 3DES (both still built into Debian 12's GnuTLS 3.7.9, off by default), TLS 1.0/1.1,
    /// server order. Compression is not in it (removed in GnuTLS 3.6.0): +COMP-DEFLATE is ignored.
    static let gnutlsLegacy = "NORMAL:+ARCFOUR-128:+3DES-CBC:+VERS-TLS1.0:+VERS-TLS1.1:+COMP-DEFLATE:%SERVER_PRECEDENCE"
    static let gnutlsModern = "NORMAL:-VERS-TLS1.0:-VERS-TLS1.1:-CIPHER-ALL:+AES-256-GCM:+AES-128-GCM:+CHACHA20-POLY1305:-KX-ALL:+ECDHE-RSA:%SERVER_PRECEDENCE"

    /// What GnuTLS will negotiate with an RSA certificate, per version, from its own priority list
    /// (`gnutls-cli --list`): suites whose key exchange an RSA key can do, in priority order.
    func gnutlsSuites(_ priority: String) throws -> [String: [String]] {
        let listed = try GnuTLSServer.prioritySuites(priority)
        func usable(_ code: UInt16) -> Bool {
            guard let info = CipherSuite(rawValue: code).info else { return false }
            return code >> 8 == 0x13 || info.authentication == .rsa
        }
        var out: [String: [String]] = [:]
        for v in [ProtocolVersion.tls10, .tls11, .tls12, .tls13] {
            out[v.name] = listed.filter { s in
                guard usable(s.code) else { return false }
                switch v {
                case .tls13: return s.minVersion == "TLS1.3"
                case .tls12: return s.minVersion != "TLS1.3"
                default: return s.minVersion == "TLS1.0"
                }
            }.map { Self.hex($0.code) }
        }
        return out
    }

    @Test func gnutlsLegacyOffersRC4And3DESInItsPriorityOrder() async throws {
        let server = try GnuTLSServer.start(certificate: try TestCertificate.rsa(), priority: Self.gnutlsLegacy,
                                            extraArguments: ["--heartbeat"])
        defer { server.stop() }
        let r = await scan(server.port)
        #expect(r.supportedVersions == [.tls10, .tls11, .tls12, .tls13], "\(r.status.reason ?? "")")
        expect(r, "rc4", vulnerable: true, evidence: "TLS_ECDHE_RSA_WITH_RC4_128_SHA")
        expect(r, "sweet32", vulnerable: true, evidence: "3DES")
        expect(r, "beast", vulnerable: true)
        expect(r, "no_forward_secrecy", vulnerable: true)
        // GnuTLS has no compression any more, honours TLS_FALLBACK_SCSV, and answers heartbeats
        // (enabled here) correctly.
        expect(r, "compression", vulnerable: false, evidence: "chose null")
        expect(r, "fallback_scsv", vulnerable: false, evidence: "inappropriate_fallback")
        expect(r, "heartbleed", vulnerable: false)
        #expect(r.features?.heartbeat == true)
        expect(r, "secure_renegotiation", vulnerable: false)
        expect(r, "ccs_injection", vulnerable: false)
        // gnutls-serv renegotiates when the client asks (`openssl s_client`'s "R" agrees).
        expect(r, "client_renegotiation", vulnerable: true, evidence: "got a ServerHello")
        // Protocols, suites and their order agree with GnuTLS's own list for the priority string.
        let expected = try gnutlsSuites(Self.gnutlsLegacy)
        for v in [ProtocolVersion.tls10, .tls11, .tls12, .tls13] {
            #expect(codes(r, v) == expected[v.name], "\(v.name)")
            #expect(r.protocolResult(v)?.serverOrder.enforced == true, "\(v.name)")
        }
    }

    @Test func gnutlsWithoutSafeRenegotiation() async throws {
        // %DISABLE_SAFE_RENEGOTIATION: no renegotiation_info at all (RFC 5746 off).
        let server = try GnuTLSServer.start(certificate: try TestCertificate.rsa(), priority: "NORMAL:%DISABLE_SAFE_RENEGOTIATION")
        defer { server.stop() }
        let r = await scan(server.port)
        expect(r, "secure_renegotiation", vulnerable: true)
        #expect(r.features?.secureRenegotiation == false)
    }

    @Test func gnutlsModernIsClean() async throws {
        let server = try GnuTLSServer.start(certificate: try TestCertificate.rsa(), priority: Self.gnutlsModern)
        defer { server.stop() }
        let r = await scan(server.port)
        #expect(r.supportedVersions == [.tls12, .tls13], "\(r.status.reason ?? "")")
        // The one thing a scan flags on a modern GnuTLS server: it renegotiates at a client's
        // request (GnuTLS's default; `openssl s_client`'s "R" gets a second handshake too).
        let vulnerable = r.judgedWeaknesses.filter { $0.vulnerable == true }.map(\.id)
        #expect(vulnerable == ["client_renegotiation"], "\(vulnerable)")
        expect(r, "rc4", vulnerable: false)
        expect(r, "sweet32", vulnerable: false)
        expect(r, "compression", vulnerable: false)
        expect(r, "fallback_scsv", vulnerable: false, evidence: "inappropriate_fallback")
        expect(r, "secure_renegotiation", vulnerable: false)
        let expected = try gnutlsSuites(Self.gnutlsModern)
        #expect(codes(r, .tls12) == expected["TLSv1.2"])
        #expect(codes(r, .tls13) == expected["TLSv1.3"])
    }
}

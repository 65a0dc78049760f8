import Foundation
import Testing
@testable import TestSupport
import TLSReport
@testable import TLSScanner
import TLSWire

/// Known-weakness checks against real peers: each weakness against a server that has it, and the
/// clean case against one that does not.
@Suite("weaknesses", .serialized)
struct WeaknessTests {
    func scan(_ port: Int) async -> TargetReport {
        var options = ScanOptions()
        options.readTimeout = .seconds(3)
        return await Scanner(options: options).scan(ScanTarget(host: "127.0.0.1", port: port))
    }


    @Test func legacyOpenSSL() async throws {
        try await withOpenSSLServer(certificate: try TestCertificate.rsa(), arguments: ["-cipher", "ALL:@SECLEVEL=0"]) { server in
            let r = await scan(server.port)
            expect(r, "beast", vulnerable: true, evidence: "TLS 1.0 accepts")
            expect(r, "anonymous", vulnerable: true, evidence: "TLS_DH_anon")
            expect(r, "no_forward_secrecy", vulnerable: true, evidence: "TLS_RSA_WITH")
            expect(r, "fallback_scsv", vulnerable: false, evidence: "inappropriate_fallback")
            expect(r, "downgrade_sentinel", vulnerable: false, evidence: "DOWNGRD")
            expect(r, "ccs_injection", vulnerable: false)
            expect(r, "heartbleed", vulnerable: false)
            expect(r, "compression", vulnerable: false)
            expect(r, "secure_renegotiation", vulnerable: false)
            expect(r, "poodle", vulnerable: false)
            expect(r, "drown", vulnerable: false)
            expect(r, "export", vulnerable: false)
            expect(r, "rc4", vulnerable: false)
            expect(r, "client_renegotiation", vulnerable: false, evidence: "no_renegotiation")
            let f = try #require(r.features)
            #expect(f.check.status == .completed)
            #expect(f.version == .tls12)
            #expect(f.extendedMasterSecret == true)
            #expect(f.secureRenegotiation == true)
            #expect(f.heartbeat == false)
            #expect(f.resumption == .completed, "\(f.resumption.reason ?? "")")
            #expect(f.sessionIDResumption == true)
            #expect(f.sessionIDs == true)
            #expect(f.ticketResumption == true)
            // TLS 1.3 is on too (OpenSSL's default): our TLS 1.3 client resumes, without 0-RTT.
            #expect(f.earlyData == .completed, "\(f.earlyData.reason ?? "")")
            #expect(f.tls13?.resumed == true)
            #expect(f.tls13?.earlyData == .notOffered)
            expect(r, "early_data", vulnerable: false)
            // OpenSSL's automatic DH parameters follow the suite: 2048 bits for DHE_RSA with an
            // RSA-2048 key, but 1024 for DH_anon suites with a 128-bit cipher (80 security bits),
            // which ALL:@SECLEVEL=0 enables. Logjam, in every version.
            let p12 = try #require(r.protocolResult(.tls12))
            #expect(p12.dhParameterBits == 1024)
            let sizes = Set((p12.dhParameters ?? []).map(\.primeBits))
            #expect(sizes.isSuperset(of: [1024, 2048]), "\(sizes)")
            for v: ProtocolVersion in [.tls10, .tls11, .tls12] {
                #expect(r.protocolResult(v)?.dhParameterBits == 1024, "\(v)")
            }
            expect(r, "dh_parameters", vulnerable: true, evidence: "the 1024-bit one")
        }
    }

    @Test func modernServerIsClean() async throws {
        let args = ["-no_tls1", "-no_tls1_1", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305"]
        try await withOpenSSLServer(certificate: try TestCertificate.ecdsa(), arguments: args) { server in
            let r = await scan(server.port)
            let vulnerable = r.judgedWeaknesses.filter { $0.vulnerable == true }.map(\.id)
            #expect(vulnerable.isEmpty, "\(vulnerable)")
            expect(r, "dh_parameters", vulnerable: nil, status: .notApplicable)
            expect(r, "fallback_scsv", vulnerable: false)
            expect(r, "downgrade_sentinel", vulnerable: false)
        }
    }

    @Test func tls13OnlyMakesPre13ChecksNotApplicable() async throws {
        try await withOpenSSLServer(certificate: try TestCertificate.rsa(), arguments: ["-tls1_3"]) { server in
            let r = await scan(server.port)
            for id: FindingID in ["heartbleed", "ccs_injection", "compression", "secure_renegotiation", "fallback_scsv", "downgrade_sentinel"] {
                expect(r, id, vulnerable: nil, status: .notApplicable)
            }
            // Nothing is in clear, so the features come from our TLS 1.3 client.
            #expect(r.features?.check.status == .completed)
            #expect(r.features?.version == .tls13)
            #expect(r.features?.resumption.status == .notApplicable)
            #expect(r.features?.tls13?.resumed == true)
        }
    }

    @Test func dhe1024WithAPublishedPrime() async throws {
        // RFC 5114 §2.1's 1024-bit group, as OpenSSL names it.
        let dir = try TestScratch.makeDirectory(prefix: "dh")
        let params = dir.appendingPathComponent("dh1024.pem").path
        let gen = try TestProcess.run(TestTools.opensslPath, ["genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt", "group:dh_1024_160", "-out", params], timeout: 30)
        #expect(gen.succeeded, "\(gen.stderr)")
        let args = ["-tls1_2", "-dhparam", params, "-cipher", "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-SHA:@SECLEVEL=0"]
        try await withOpenSSLServer(certificate: try TestCertificate.rsa(), arguments: args) { server in
            let r = await scan(server.port)
            #expect(r.protocolResult(.tls12)?.dhParameterBits == 1024)
            #expect(r.protocolResult(.tls12)?.dhWellKnownPrime == "RFC 5114 §2.1 (1024-bit)")
            expect(r, "dh_parameters", vulnerable: true, evidence: "1024-bit prime (RFC 5114 §2.1 (1024-bit))")
            #expect(r.judged("dh_parameters")?.severity == .high)
        }
    }

    /// The bits openssl s_client reports as the server's temporary DH key for one suite.
    func opensslDHBits(_ port: Int, suite: String) throws -> Int? {
        let r = try TestProcess.run(TestTools.opensslPath, [
            "s_client", "-connect", "127.0.0.1:\(port)", "-tls1_2", "-cipher", suite + ":@SECLEVEL=0",
        ], timeout: 15, input: "")
        guard let line = r.stdout.split(separator: "\n").first(where: { $0.contains("Server Temp Key: DH,") }) else { return nil }
        return line.split(separator: " ").compactMap { Int($0) }.first
    }

    /// One prime per suite: OpenSSL's automatic DH parameters (no -dhparam) give DH_anon with
    /// AES-128 a 1024-bit prime, DH_anon with AES-256 3072 bits and DHE_RSA (RSA-2048 key) 2048.
    /// Every suite's prime is read, from the enumeration's own probes, and checked against
    /// `openssl s_client` per suite.
    @Test func dhPrimePerSuiteAndDHAnon() async throws {
        let suites = ["ADH-AES128-SHA", "ADH-AES256-SHA", "DHE-RSA-AES128-SHA"]
        let args = ["-tls1_2", "-cipher", suites.joined(separator: ":") + ":@SECLEVEL=0"]
        try await withOpenSSLServer(certificate: try TestCertificate.rsa(), arguments: args) { server in
            var truth: [String: Int] = [:]
            for suite in suites { truth[suite] = try opensslDHBits(server.port, suite: suite) }
            #expect(truth == ["ADH-AES128-SHA": 1024, "ADH-AES256-SHA": 3072, "DHE-RSA-AES128-SHA": 2048])
            let r = await scan(server.port)
            let p12 = try #require(r.protocolResult(.tls12))
            var found: [String: Int] = [:]
            for d in p12.dhParameters ?? [] {
                for name in d.suites {
                    if let openssl = CipherSuiteInfo.named(iana: name)?.opensslName { found[openssl] = d.primeBits }
                }
            }
            #expect(found == truth)
            #expect(p12.dhParameters?.map(\.primeBits) == [1024, 2048, 3072], "smallest first")
            #expect(p12.dhParameterBits == 1024)
            expect(r, "dh_parameters", vulnerable: true, evidence: "DH primes of 1024, 2048, 3072 bits: the 1024-bit one")
            expect(r, "dh_parameters", vulnerable: true, evidence: "TLS_DH_anon_WITH_AES_128_CBC_SHA")
        }
    }

    /// A DH_anon-only server: its prime is judged like a DHE one (it was ignored before).
    @Test func dhAnonOnlyIsJudged() async throws {
        let args = ["-tls1_2", "-cipher", "ADH-AES128-SHA:@SECLEVEL=0"]
        try await withOpenSSLServer(certificate: try TestCertificate.rsa(), arguments: args) { server in
            let r = await scan(server.port)
            #expect(r.protocolResult(.tls12)?.dhParameterBits == 1024)
            expect(r, "dh_parameters", vulnerable: true, evidence: "DH_anon uses a 1024-bit prime")
            expect(r, "anonymous", vulnerable: true)
        }
    }

    @Test func scriptedVulnerablePeer() async throws {
        let peer = try ScriptedPeer.start("vulnerable_tls_server.py")
        defer { peer.stop() }
        let r = await scan(peer.port)
        #expect(r.supportedVersions == [.sslv3, .tls10, .tls11, .tls12], "\(r.status.reason ?? "")")
        expect(r, "heartbleed", vulnerable: true, evidence: "heartbeat response")
        expect(r, "ccs_injection", vulnerable: true, evidence: "accepted")
        expect(r, "fallback_scsv", vulnerable: true, evidence: "was accepted")
        expect(r, "compression", vulnerable: true, evidence: "DEFLATE")
        expect(r, "secure_renegotiation", vulnerable: true)
        expect(r, "poodle", vulnerable: true, evidence: "SSL 3.0 accepts")
        expect(r, "no_forward_secrecy", vulnerable: true, evidence: "no accepted suite has forward secrecy")
        #expect(r.judged("no_forward_secrecy")?.severity == .high)
        expect(r, "downgrade_sentinel", vulnerable: nil, status: .notApplicable)
        #expect(r.features?.heartbeat == true)
    }
}

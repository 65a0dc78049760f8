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
            // OpenSSL's automatic DH parameters are a published group of ≥2048 bits.
            let p12 = try #require(r.protocolResult(.tls12))
            #expect((p12.dhParameterBits ?? 0) >= 2048)
            expect(r, "dh_parameters", vulnerable: false)
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

import Foundation
import Testing
@testable import TestSupport
@testable import TLSPolicy
import TLSReport
@testable import TLSScanner
import TLSWire

/// Grades and PCI verdicts of real loopback servers.
@Suite("grade and PCI DSS on real servers", .serialized)
struct PolicyIntegrationTests {
    func pki() throws -> TestPKI { try TestPKI.shared.get() }

    /// A report and the verdicts made beside it.
    struct Judged {
        var report: TargetReport
        var policy: PolicyResult
        var grade: GradeReport? { policy.grade }
        var compliance: [ComplianceReport]? { policy.compliance }
    }

    func scan(_ port: Int, now: Date? = nil) async throws -> Judged {
        var options = ScanOptions()
        options.readTimeout = .seconds(3)
        options.extraRoots = [try TestPKI.certificate(try pki().root)]
        options.now = now
        let t = await Scanner(options: options).scan(ScanTarget(host: "127.0.0.1", port: port, sni: "localhost"))
        return Judged(report: t, policy: .judge(t, profiles: [try Profile.resolve("pci-dss-4")], platform: "nginx"))
    }

    /// The test PKI's chain (ECDSA P-256 leaf for localhost, trusted through --ca-file), or another leaf.
    func server(leaf: String = "leaf", _ args: [String], _ body: (OpenSSLServer) async throws -> Void) async throws {
        let dir = try pki().directory
        let cert = TestCertificate(certPath: dir.appendingPathComponent("\(leaf).pem").path, keyPath: dir.appendingPathComponent("\(leaf).key").path)
        try await withOpenSSLServer(certificate: cert, arguments: ["-cert_chain", dir.appendingPathComponent("intermediate.pem").path, "-www"] + args, body)
    }

    @Test func modernTrustedServerIsAAndPCICompliant() async throws {
        try await server(["-no_tls1", "-no_tls1_1", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384"]) { s in
            let t = try await scan(s.port)
            let g = try #require(t.grade)
            // s_server -www sends no HSTS: A, not A+.
            #expect(g.grade == "A", "\(g.caps)")
            #expect(g.caps.map(\.grade) == ["A"])
            let pci = try #require(t.compliance?.first)
            #expect(pci.verdict == .compliant, "\(pci.requirements.filter { $0.status != .pass }.map { "\($0.id): \($0.evidence)" })")
        }
    }

    @Test func legacyServerFailsPCIWithTheReasons() async throws {
        try await server(["-cipher", "ALL:@SECLEVEL=0"]) { s in
            let t = try await scan(s.port)
            let g = try #require(t.grade)
            #expect(g.grade == "F") // anonymous DH suites: key exchange 0
            #expect(g.caps.contains { $0.reason.contains("anonymous key exchange") })
            #expect(g.caps.contains { $0.reason == "TLS 1.0 or TLS 1.1 is offered" })
            let pci = try #require(t.compliance?.first)
            #expect(pci.verdict == .notCompliant)
            let versions = try #require(pci.requirements.first { $0.id == "no-ssl-or-early-tls" })
            #expect(versions.status == .fail)
            #expect(versions.evidence.contains("TLS 1.0"))
            #expect(versions.remediation?.contains { $0.platform == "nginx" && $0.steps.contains { $0.contains("ssl_protocols TLSv1.2 TLSv1.3;") } } == true)
            #expect(pci.requirements.first { $0.id == "known-vulnerabilities" }?.status == .fail) // anonymous suites
        }
    }

    @Test func tls10OnlyIsC() async throws {
        try await server(["-tls1", "-cipher", "ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0"]) { s in
            let t = try await scan(s.port)
            let g = try #require(t.grade)
            #expect(g.grade == "C")
            #expect(g.caps.contains { $0.reason == "no TLS 1.2 or 1.3" })
            #expect(t.compliance?.first?.verdict == .notCompliant)
        }
    }

    @Test func rsaKeyExchangeOnlyIsB() async throws {
        try await withOpenSSLServer(certificate: try TestCertificate.rsa(), arguments: ["-tls1_2", "-cipher", "AES128-GCM-SHA256:AES256-SHA256"]) { s in
            let t = try await scan(s.port)
            let g = try #require(t.grade)
            #expect(g.grade == "T") // self-signed
            #expect(g.gradeIgnoringTrust == "B")
            #expect(g.caps.contains { $0.reason == "no forward secrecy" })
            #expect(g.caps.contains { $0.reason.contains("self-signed") })
        }
    }

    @Test func rsa1024IsB() async throws {
        try await server(leaf: "rsa1024", ["-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0"]) { s in
            let t = try await scan(s.port)
            let g = try #require(t.grade)
            #expect(g.caps.contains { $0.grade == "B" && $0.reason.contains("1024-bit RSA") }, "\(g.caps)")
            #expect(t.compliance?.first?.requirements.first { $0.id == "trusted-certificate" }?.status == .fail)
        }
    }

    @Test func expiredIsT() async throws {
        try await server(["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"]) { s in
            let t = try await scan(s.port, now: Date().addingTimeInterval(200 * 86400))
            let g = try #require(t.grade)
            #expect(g.grade == "T")
            #expect(g.caps.contains { $0.reason.contains("expired") }, "\(g.caps)")
            #expect(t.compliance?.first?.verdict == .notCompliant)
        }
    }
}

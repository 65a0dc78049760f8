import Foundation
import Testing
@testable import TestSupport
import TLSReport
import TLSWire
@testable import TLSScanner

/// Servers with an RSA and an ECDSA certificate for the same name: every TLS 1.2 suite of both
/// certificates must be found, as `openssl s_client -cipher` per suite finds them, and both
/// chains reported. haproxy picks its ECDSA certificate whenever an ECDSA suite is offered (so a
/// plain elimination ends with the ECDSA suites); nginx (OpenSSL) picks per suite.
@Suite("servers with RSA and ECDSA certificates", .serialized)
struct DualCertificateScanTests {
    static let suites = [
        "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
        "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
        "DHE-RSA-AES128-GCM-SHA256", "DHE-RSA-AES256-GCM-SHA384", "DHE-RSA-CHACHA20-POLY1305",
    ]

    func pki() throws -> TestPKI { try TestPKI.shared.get() }
    func path(_ name: String) throws -> String { try pki().directory.appendingPathComponent(name).path }

    /// A 2048-bit DH group (RFC 7919 ffdhe2048), so DHE is on without generating parameters.
    func dhParameters() throws -> String {
        let file = try pki().directory.appendingPathComponent("ffdhe2048.pem")
        if !FileManager.default.fileExists(atPath: file.path) {
            let r = try TestProcess.run(TestTools.opensslPath, ["genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt", "group:ffdhe2048", "-out", file.path], timeout: 30)
            #expect(r.succeeded, "\(r.stderr)")
        }
        return file.path
    }

    /// The suites of `Self.suites` a one-suite `openssl s_client -tls1_2` handshake gets.
    func opensslAccepts(_ port: Int) throws -> Set<String> {
        var accepted = Set<String>()
        for suite in Self.suites {
            let r = try TestProcess.run(TestTools.opensslPath, [
                "s_client", "-connect", "127.0.0.1:\(port)", "-servername", "localhost", "-tls1_2", "-cipher", suite,
            ], timeout: 15)
            if r.stdout.contains("Cipher is \(suite)") { accepted.insert(suite) }
        }
        return accepted
    }

    func scanTLS12(_ port: Int) async throws -> (suites: Set<String>, report: TargetReport) {
        var options = ScanOptions()
        options.readTimeout = .seconds(3)
        options.extraRoots = [try TestPKI.certificate(try pki().root)]
        let report = await Scanner(options: options).scan(ScanTarget(host: "127.0.0.1", port: port, sni: "localhost"))
        let tls12 = try #require(report.protocols.first { $0.version == .tls12 })
        #expect(tls12.check.status == .completed, "\(tls12.check.reason ?? "")")
        return (Set(tls12.cipherSuites.compactMap { $0.opensslName }), report)
    }

    /// The scan finds exactly the TLS 1.2 suites openssl s_client gets (all nine), and both chains.
    func expectEverySuiteAndBothChains(_ port: Int) async throws {
        let truth = try opensslAccepts(port)
        #expect(truth == Set(Self.suites), "openssl s_client: \(truth.sorted())")
        let (found, report) = try await scanTLS12(port)
        #expect(found == truth, "missing \(truth.subtracting(found).sorted()), extra \(found.subtracting(truth).sorted())")
        try expectBothChains(report)
    }

    func expectBothChains(_ report: TargetReport) throws {
        let chains = try #require(report.certificates).chains
        let keys = Set(chains.compactMap { $0.analysis.certificates.first?.keyType })
        #expect(chains.count == 2, "\(chains.map(\.servedFor))")
        #expect(keys.count == 2, "\(keys)")
    }

    @Test func haproxyWithTwoCrtLines() async throws {
        let dir = try pki().directory
        for name in ["leaf", "rsaleaf"] {
            let combined = try String(contentsOfFile: try path("\(name).pem"), encoding: .utf8)
                + (try String(contentsOfFile: try path("intermediate.pem"), encoding: .utf8))
                + (try String(contentsOfFile: try path("\(name).key"), encoding: .utf8))
            try combined.write(to: dir.appendingPathComponent("\(name).haproxy.pem"), atomically: true, encoding: .utf8)
        }
        let server = try HAProxyServer.start(
            bindOptions: "crt \(try path("rsaleaf.haproxy.pem")) crt \(try path("leaf.haproxy.pem")) ssl-min-ver TLSv1.2 "
                + "ciphers \(Self.suites.joined(separator: ":"))",
            global: "ssl-dh-param-file \(try dhParameters())")
        defer { server.stop() }
        try await expectEverySuiteAndBothChains(server.port)
    }

    @Test func nginxWithTwoCertificates() async throws {
        let block = """
            ssl_certificate \(try path("rsaleaf.pem")); ssl_certificate_key \(try path("rsaleaf.key"));
            ssl_certificate \(try path("leaf.pem")); ssl_certificate_key \(try path("leaf.key"));
            ssl_dhparam \(try dhParameters());
            ssl_protocols TLSv1.2 TLSv1.3;
            ssl_ciphers \(Self.suites.joined(separator: ":"));
            """
        let server = try NginxServer.start(serverBlock: block)
        defer { server.stop() }
        try await expectEverySuiteAndBothChains(server.port)
    }
}

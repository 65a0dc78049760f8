import Foundation
import Testing
@testable import TestSupport
import TLSPolicy
import TLSReport
@testable import TLSScanner
import TLSWire
import X509

/// The scan's certificate and HTTP checks against live servers: each problem on a server that has
/// it, and the clean case on one that does not.
@Suite("scan: certificates and HTTP", .serialized)
struct CertificateScanTests {
    func pki() throws -> TestPKI { try TestPKI.shared.get() }

    func scan(_ port: Int, sni: String? = "localhost", roots: [[UInt8]] = [], now: Date? = nil, http: Bool = false) async throws -> TargetReport {
        var options = ScanOptions()
        options.readTimeout = .seconds(3)
        options.extraRoots = try roots.map(TestPKI.certificate)
        options.now = now
        options.http = http
        return await Scanner(options: options).scan(ScanTarget(host: "127.0.0.1", port: port, sni: sni))
    }

    /// s_server serving `name`.pem/.key from the test PKI, with the intermediate as its chain when asked.
    func serve(_ name: String, chain: Bool = true, extra: [String] = [], _ body: (OpenSSLServer) async throws -> Void) async throws {
        let dir = try pki().directory
        let cert = TestCertificate(certPath: dir.appendingPathComponent("\(name).pem").path, keyPath: dir.appendingPathComponent("\(name).key").path)
        let args = (chain ? ["-cert_chain", dir.appendingPathComponent("intermediate.pem").path] : []) + ["-cipher", "ALL:@SECLEVEL=0"] + extra
        try await withOpenSSLServer(certificate: cert, arguments: args, body)
    }

    func onlyChain(_ r: TargetReport, sourceLocation: SourceLocation = #_sourceLocation) throws -> CertificateChainReport {
        let c = try #require(r.certificates, sourceLocation: sourceLocation)
        #expect(c.check.status == .completed, sourceLocation: sourceLocation)
        #expect(c.chains.count == 1, "\(c.chains.map(\.servedFor))", sourceLocation: sourceLocation)
        return try #require(c.chains.first?.analysis, sourceLocation: sourceLocation)
    }

    @Test func trustedChainIsClean() async throws {
        try await serve("leaf") { server in
            let a = try onlyChain(try await scan(server.port, roots: [try pki().root]))
            #expect(a.trusted == true)
            #expect(a.trustProblems.isEmpty)
            #expect(a.hostnameMatches == true)
            #expect(a.chainProblems.isEmpty)
            #expect(a.certificates.count == 2)
            #expect(a.certificates[0].keyType == "ECDSA")
            #expect(CertificateVerdict(a.certificates[0]).weakSignature == false)
        }
    }

    @Test func selfSigned() async throws {
        try await withOpenSSLServer(certificate: try TestCertificate.rsa(), arguments: ["-tls1_2"]) { server in
            let a = try onlyChain(try await scan(server.port))
            #expect(a.trusted == false)
            #expect(a.trustProblems.contains { $0.contains("self-signed") }, "\(a.trustProblems)")
        }
    }

    @Test func wrongHostName() async throws {
        try await serve("leaf") { server in
            let a = try onlyChain(try await scan(server.port, sni: "wrong.example", roots: [try pki().root]))
            #expect(a.trusted == true)
            #expect(a.hostnameMatches == false)
            #expect(a.hostnameProblem == "name mismatch: served for localhost, 127.0.0.1, asked for wrong.example")
        }
    }

    @Test func missingIntermediate() async throws {
        try await serve("leaf", chain: false) { server in
            let a = try onlyChain(try await scan(server.port, roots: [try pki().root]))
            #expect(a.trusted == false)
            #expect(a.trustProblems.last?.hasPrefix("intermediate missing") == true, "\(a.trustProblems)")
            #expect(a.missingIssuer?.contains("Intermediate") == true, "\(a.missingIssuer ?? "nil")")
        }
    }

    /// Leaf and intermediate sent, root in no store (the system store does not have the test
    /// root): "unknown root", no incomplete-chain problem, and the grade is T, not a B cap.
    @Test func unknownRootIsNotAMissingIntermediate() async throws {
        try await serve("leaf") { server in
            let r = try await scan(server.port)
            let a = try onlyChain(r)
            #expect(a.trusted == false)
            #expect(a.trustProblems.count == 1)
            #expect(a.trustProblems.first?.hasPrefix("not trusted: unknown root 'CN=Test Root CA,O=tlsguard tests'") == true, "\(a.trustProblems)")
            #expect(a.missingIssuer == nil)
            #expect(!a.chainProblems.contains { $0.contains("incomplete") }, "\(a.chainProblems)")
            #expect(Grader.grade(r)?.grade == "T")
        }
    }

    /// An RSA-1024 leaf gets the verdict "not trusted" with its reason, and the weak-key flag.
    @Test func rsa1024LeafIsNotTrusted() async throws {
        try await serve("rsa1024") { server in
            let a = try onlyChain(try await scan(server.port, roots: [try pki().root]))
            #expect(a.trusted == false)
            #expect(a.trustProblems == ["not trusted: the leaf has a 1024-bit RSA key: modern clients refuse RSA keys under 2048 bits"])
            #expect(CertificateVerdict(a.certificates[0]).weakKey)
        }
    }

    @Test func expired() async throws {
        try await serve("leaf") { server in
            // The leaf is valid for 90 days: judge it 102 days from now.
            let later = Date().addingTimeInterval(102 * 86400)
            let a = try onlyChain(try await scan(server.port, roots: [try pki().root], now: later))
            #expect(a.trusted == false)
            #expect(a.trustProblems.contains { $0.hasPrefix("expired 1") && $0.contains("days ago") }, "\(a.trustProblems)")
            #expect(a.certificates[0].expired)
        }
    }

    @Test func rsa1024() async throws {
        try await serve("rsa1024") { server in
            let a = try onlyChain(try await scan(server.port, roots: [try pki().root]))
            #expect(a.certificates[0].keyType == "RSA")
            #expect(a.certificates[0].keyBits == 1024)
        }
    }

    @Test func sha1Signed() async throws {
        try await serve("sha1") { server in
            let a = try onlyChain(try await scan(server.port, roots: [try pki().root]))
            #expect(a.certificates[0].signatureAlgorithm == "sha1WithRSAEncryption")
            #expect(CertificateVerdict(a.certificates[0]).weakSignature)
        }
    }

    @Test func rsaAndECDSAOnOneServer() async throws {
        let dir = try pki().directory
        let rsa = try TestCertificate.rsa()
        let args = ["-dcert", dir.appendingPathComponent("leaf.pem").path, "-dkey", dir.appendingPathComponent("leaf.key").path,
                    "-cipher", "ALL:@SECLEVEL=0"]
        try await withOpenSSLServer(certificate: rsa, arguments: args) { server in
            let r = try await scan(server.port, roots: [try pki().root])
            let chains = try #require(r.certificates?.chains)
            #expect(Set(chains.compactMap(\.keyType)) == ["RSA", "ECDSA"], "\(chains.map(\.servedFor))")
            let ecdsa = try #require(chains.first { $0.keyType == "ECDSA" })
            #expect(ecdsa.servedFor.contains { $0.contains("ECDSA suites") })
        }
    }

    @Test func tls13OnlyServerChainByFullHandshake() async throws {
        try await serve("leaf", extra: ["-tls1_3"]) { server in
            let r = try await scan(server.port, roots: [try pki().root])
            let chain = try #require(r.certificates?.chains.first)
            #expect(chain.servedFor.allSatisfy { $0.hasPrefix("TLSv1.3") }, "\(chain.servedFor)")
            #expect(chain.analysis.trusted == true)
            #expect(chain.analysis.certificates.count == 2)
        }
    }

    @Test func mustStapleAndOCSPStapling() async throws {
        let p = try pki()
        let dir = p.directory
        // An OCSP response for the leaf, made by openssl's responder from an index file.
        let scratch = try TestScratch.makeDirectory(prefix: "ocsp")
        let index = scratch.appendingPathComponent("index.txt").path
        try "V\t301231235959Z\t\t1001\tunknown\t/CN=staple.localhost\n".write(toFile: index, atomically: true, encoding: .utf8)
        let req = scratch.appendingPathComponent("req.der").path
        let resp = scratch.appendingPathComponent("resp.der").path
        let ossl = TestTools.opensslPath
        let a = try TestProcess.run(ossl, ["ocsp", "-issuer", dir.appendingPathComponent("intermediate.pem").path,
                                           "-cert", dir.appendingPathComponent("staple.pem").path, "-no_nonce", "-reqout", req], timeout: 10)
        #expect(a.succeeded, "\(a.stderr)")
        let b = try TestProcess.run(ossl, ["ocsp", "-index", index, "-CA", dir.appendingPathComponent("intermediate.pem").path,
                                           "-rsigner", dir.appendingPathComponent("intermediate.pem").path,
                                           "-rkey", dir.appendingPathComponent("intermediate.key").path,
                                           "-reqin", req, "-respout", resp, "-ndays", "2"], timeout: 10)
        #expect(b.succeeded, "\(b.stderr)")
        try await serve("staple", extra: ["-tls1_2", "-status", "-status_file", resp]) { server in
            let r = try await scan(server.port, roots: [p.root])
            #expect(r.features?.ocspStapling == true)
            #expect(r.certificates?.chains.first?.analysis.certificates.first?.mustStaple == true)
        }
        try await serve("leaf", extra: ["-tls1_2"]) { server in
            let r = try await scan(server.port, roots: [p.root])
            #expect(r.features?.ocspStapling == false)
            #expect(r.certificates?.chains.first?.analysis.certificates.first?.mustStaple == false)
        }
    }

    // MARK: HTTP

    func nginx(hsts: String?, _ body: (NginxServer) async throws -> Void) async throws {
        let dir = try pki().directory
        var block = """
            ssl_certificate \(dir.appendingPathComponent("leaf.pem").path);
            ssl_certificate_key \(dir.appendingPathComponent("leaf.key").path);
            server_tokens on;
            """
        if let hsts { block += "\nadd_header Strict-Transport-Security \"\(hsts)\" always;" }
        let server = try NginxServer.start(serverBlock: block)
        defer { server.stop() }
        try await body(server)
    }

    @Test func nginxWithHSTS() async throws {
        try await nginx(hsts: "max-age=31536000; includeSubDomains; preload") { server in
            let r = try await scan(server.port, http: true)
            let h = try #require(r.http)
            #expect(h.check.status == .completed, "\(h.check.reason ?? "")")
            #expect(h.statusCode == 200)
            #expect(h.server?.hasPrefix("nginx/") == true)
            #expect(h.hsts?.valid == true)
            #expect(h.hsts?.maxAge == 31_536_000)
            #expect(h.hsts?.includeSubDomains == true)
            #expect(h.hsts?.preload == true)
            #expect(h.hsts?.problems.isEmpty == true)
        }
    }

    @Test func nginxWithoutHSTS() async throws {
        try await nginx(hsts: nil) { server in
            let r = try await scan(server.port, http: true)
            #expect(r.http?.hsts?.valid == false)
            #expect(r.http?.hsts?.problems == ["no Strict-Transport-Security header"])
        }
    }

    @Test func nginxWithShortHSTS() async throws {
        try await nginx(hsts: "max-age=600") { server in
            let r = try await scan(server.port, http: true)
            #expect(r.http?.hsts?.valid == true)
            let hsts = try #require(r.http?.hsts)
            #expect(hsts.problems.isEmpty, "the observation holds parse problems only")
            #expect(HSTSVerdict(hsts).problems.first?.contains("under 180 days") == true)
        }
    }

    @Test func noHTTPMeansNotRun() async throws {
        try await withOpenSSLServer(certificate: try TestCertificate.rsa(), arguments: ["-tls1_2"]) { server in
            let r = try await scan(server.port, http: false)
            #expect(r.http?.check.status == .notRun)
        }
    }

    @Test(arguments: [
        ("max-age=31536000", true, 31_536_000, false),
        ("max-age=\"600\"; includeSubDomains", true, 600, true),
        ("MAX-AGE=10;INCLUDESUBDOMAINS;foo=bar", true, 10, true),
        ("includeSubDomains", false, nil, true),
        ("max-age=abc", false, nil, false),
        ("max-age=1; max-age=2", false, 2, false),
        ("max-age=-5", false, nil, false),
    ] as [(String, Bool, Int?, Bool)])
    func hstsParsing(_ header: String, _ valid: Bool, _ maxAge: Int?, _ sub: Bool) {
        let p = HSTSPolicy.parse(header)
        #expect(p.valid == valid, "\(header): \(p.problems)")
        if valid { #expect(p.maxAge == maxAge) }
        #expect(p.includeSubDomains == sub)
    }
}

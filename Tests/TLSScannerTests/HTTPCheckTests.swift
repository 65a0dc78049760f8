import Foundation
import NIOCore
import Testing
@testable import TestSupport
import TLSReport
@testable import TLSScanner
import TLSWire

/// The HTTP check on servers swift-nio-ssl cannot reach: TLS 1.0 or 1.1 only, DHE only, CBC-SHA256
/// only. Our own TLS 1.0–1.2 client does the request there; every case is a real `openssl s_server
/// -www` (which answers `GET /` with `HTTP/1.0 200 ok`), nginx (for HSTS) or tlslite-ng (for the
/// failures after the handshake).
@Suite("HTTP check through our own TLS client", .serialized)
struct HTTPCheckTests {
    static let legacy = "DEFAULT:@SECLEVEL=0"

    func scan(_ port: Int, readTimeout: TimeAmount = .seconds(3)) async -> TargetReport {
        var options = ScanOptions()
        options.readTimeout = readTimeout
        options.http = true
        return await Scanner(options: options).scan(ScanTarget(host: "127.0.0.1", port: port, sni: "localhost"))
    }

    func session(_ port: Int) throws -> ProbeSession {
        var options = ScanOptions()
        options.readTimeout = .seconds(3)
        let address = try SocketAddress(ipAddress: "127.0.0.1", port: port)
        return ProbeSession(scanner: Scanner(options: options), target: ScanTarget(host: "127.0.0.1", port: port), address: address)
    }

    func dhParameters() throws -> String {
        let file = try TestPKI.shared.get().directory.appendingPathComponent("ffdhe2048.pem")
        if !FileManager.default.fileExists(atPath: file.path) {
            let r = try TestProcess.run(TestTools.opensslPath, ["genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt", "group:ffdhe2048", "-out", file.path], timeout: 30)
            #expect(r.succeeded, "\(r.stderr)")
        }
        return file.path
    }

    func expectAnswered(_ r: TargetReport, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let h = r.http
        #expect(h?.check.status == .completed, "\(what): \(h?.check.reason ?? "no http result") (\(r.status.reason ?? ""))",
                sourceLocation: sourceLocation)
        #expect(h?.statusCode == 200, "\(what)", sourceLocation: sourceLocation)
        #expect(h?.statusLine?.hasPrefix("HTTP/1.0 200") == true, "\(what): \(h?.statusLine ?? "no status line")", sourceLocation: sourceLocation)
    }

    // MARK: Scans

    /// (a), (b), (c), (d), (e) of the issue: openssl with one version and a few suites.
    static let scanCases: [(String, [String], Bool)] = [
        ("TLS 1.0 only", ["-tls1", "-cipher", legacy], false),
        ("TLS 1.1 only", ["-tls1_1", "-cipher", legacy], false),
        ("TLS 1.0 DHE and static RSA with CBC", ["-tls1", "-cipher", "DHE-RSA-AES128-SHA:AES256-SHA:@SECLEVEL=0"], false),
        ("TLS 1.2 DHE only", ["-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-SHA:@SECLEVEL=0"], false),
        ("TLS 1.2 ECDHE CBC-SHA", ["-tls1_2", "-cipher", "ECDHE-RSA-AES128-SHA"], false),
        ("TLS 1.2 CBC-SHA256 only", ["-tls1_2", "-cipher", "ECDHE-RSA-AES256-SHA384:AES128-SHA256"], false),
        ("TLS 1.0 ECDSA certificate", ["-tls1", "-cipher", legacy], true),
    ]

    @Test(arguments: scanCases)
    func serverOutOfBoringSSLsReachIsAnswered(what: String, arguments: [String], ecdsa: Bool) async throws {
        let cert = ecdsa ? try TestCertificate.ecdsa() : try TestCertificate.rsa()
        let dh = arguments.joined().contains("DHE") ? ["-dhparam", try dhParameters()] : []
        try await withOpenSSLServer(certificate: cert, arguments: ["-www"] + dh + arguments) { server in
            let r = await scan(server.port)
            expectAnswered(r, what)
            #expect(r.http?.hsts?.problems == ["no Strict-Transport-Security header"], "\(what)")
        }
    }

    /// nginx with TLS 1.0 only and HSTS: the header is read and parsed.
    @Test func nginxTLS10WithHSTS() async throws {
        let dir = try TestPKI.shared.get().directory
        let server = try NginxServer.start(serverBlock: """
            ssl_certificate \(dir.appendingPathComponent("rsaleaf.pem").path);
            ssl_certificate_key \(dir.appendingPathComponent("rsaleaf.key").path);
            ssl_protocols TLSv1;
            ssl_ciphers DEFAULT:@SECLEVEL=0;
            add_header Strict-Transport-Security "max-age=31536000; includeSubDomains" always;
            """)
        defer { server.stop() }
        let r = await scan(server.port)
        #expect(r.supportedVersions == [.tls10], "\(r.status.reason ?? "")")
        let h = try #require(r.http)
        #expect(h.check.status == .completed, "\(h.check.reason ?? "")")
        #expect(h.statusCode == 200)
        #expect(h.server?.hasPrefix("nginx") == true)
        #expect(h.hsts?.valid == true)
        #expect(h.hsts?.maxAge == 31_536_000)
        #expect(h.hsts?.includeSubDomains == true)
    }

    // MARK: Our client, suite by suite

    /// Every (version, suite) our client speaks that openssl can serve with an RSA or ECDSA
    /// certificate: a handshake, the request, and the response head.
    static let clientCases: [(ProtocolVersion, String, UInt16, Bool)] = [
        (.tls10, "ECDHE-RSA-AES128-SHA", 0xC013, false), (.tls10, "ECDHE-RSA-AES256-SHA", 0xC014, false),
        (.tls10, "DHE-RSA-AES128-SHA", 0x0033, false), (.tls10, "DHE-RSA-AES256-SHA", 0x0039, false),
        (.tls10, "AES128-SHA", 0x002F, false), (.tls10, "AES256-SHA", 0x0035, false),
        (.tls10, "ECDHE-ECDSA-AES128-SHA", 0xC009, true), (.tls11, "ECDHE-ECDSA-AES256-SHA", 0xC00A, true),
        (.tls11, "ECDHE-RSA-AES128-SHA", 0xC013, false), (.tls11, "DHE-RSA-AES256-SHA", 0x0039, false),
        (.tls11, "AES128-SHA", 0x002F, false),
        (.tls12, "ECDHE-RSA-AES128-SHA256", 0xC027, false), (.tls12, "ECDHE-RSA-AES256-SHA384", 0xC028, false),
        (.tls12, "ECDHE-ECDSA-AES128-SHA256", 0xC023, true), (.tls12, "ECDHE-ECDSA-AES256-SHA384", 0xC024, true),
        (.tls12, "DHE-RSA-AES128-GCM-SHA256", 0x009E, false), (.tls12, "DHE-RSA-AES256-GCM-SHA384", 0x009F, false),
        (.tls12, "DHE-RSA-AES128-SHA256", 0x0067, false), (.tls12, "DHE-RSA-AES256-SHA256", 0x006B, false),
        (.tls12, "AES128-GCM-SHA256", 0x009C, false), (.tls12, "AES256-GCM-SHA384", 0x009D, false),
        (.tls12, "AES128-SHA256", 0x003C, false), (.tls12, "AES256-SHA256", 0x003D, false),
        (.tls12, "ECDHE-RSA-AES128-SHA", 0xC013, false),
    ]

    @Test func everyVersionAndSuiteGetsTheHead() async throws {
        let flags: [ProtocolVersion: String] = [.tls10: "-tls1", .tls11: "-tls1_1", .tls12: "-tls1_2"]
        let rsa = try TestCertificate.rsa(), ecdsa = try TestCertificate.ecdsa()
        for (version, name, code, useECDSA) in Self.clientCases {
            let args = ["-www", flags[version]!, "-cipher", "\(name):@SECLEVEL=0", "-dhparam", try dhParameters()]
            try await withOpenSSLServer(certificate: useECDSA ? ecdsa : rsa, arguments: args) { server in
                var config = TLS12ClientStateMachine.Configuration(serverName: "localhost", cipherSuites: [CipherSuite(code)])
                config.version = version
                config.requestTicket = false
                config.httpRequest = "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                let r = await (try session(server.port)).handshake12(config)
                let what = "\(version.displayName) \(name)"
                #expect(r.established, "\(what): \(r.error?.detail ?? "")")
                #expect(r.serverHello?.cipherSuite == CipherSuite(code), "\(what)")
                #expect(r.httpHead?.hasPrefix("HTTP/1.0 200 ok") == true, "\(what): \(r.httpHead ?? r.error?.detail ?? "")")
            }
        }
    }

    // MARK: Failures, in our own words

    func tlslite(_ after: String) throws -> ScriptedPeer {
        let cert = try TestCertificate.rsa()
        return try ScriptedPeer.start("tlslite_server.py", arguments: ["--cert", cert.certPath, "--key", cert.keyPath,
                                                                       "--max-version", "1.0", "--after-handshake", after],
                                      python: ScriptedPeer.venvPython)
    }

    static func expectOwnWords(_ reason: String?, sourceLocation: SourceLocation = #_sourceLocation) {
        let text = reason ?? ""
        for foreign in ["BoringSSL", "OPENSSL_internal", ".build/", "error:", "NIOSSL"] {
            #expect(!text.contains(foreign), "\(text)", sourceLocation: sourceLocation)
        }
    }

    @Test func serverThatClosesAfterTheHandshakeIsAnError() async throws {
        let peer = try tlslite("close")
        defer { peer.stop() }
        let r = await scan(peer.port, readTimeout: .seconds(5))
        #expect(r.supportedVersions == [.tls10], "\(r.status.reason ?? "")")
        #expect(r.http?.check.status == .error)
        #expect(r.http?.check.reason == "no HTTP response head after the TLS 1.0 handshake: the server closed the connection",
                "\(r.http?.check.reason ?? "")")
        Self.expectOwnWords(r.http?.check.reason)
    }

    @Test func garbageAfterTheHandshakeIsAnError() async throws {
        let peer = try tlslite("garbage")
        defer { peer.stop() }
        let r = await scan(peer.port, readTimeout: .seconds(5))
        #expect(r.http?.check.status == .error)
        let reason = r.http?.check.reason ?? ""
        #expect(reason.hasPrefix("no HTTP response head after the TLS 1.0 handshake: malformed answer while waiting for the HTTP response head"), "\(reason)")
        #expect(!reason.contains("\r") && !reason.contains("\n"))
        Self.expectOwnWords(reason)
    }

    /// openssl s_server without -www reads the request and answers nothing.
    @Test func silentServerIsAnError() async throws {
        try await withOpenSSLServer(certificate: try TestCertificate.rsa(), arguments: ["-tls1_1", "-cipher", Self.legacy]) { server in
            let r = await scan(server.port)
            #expect(r.http?.check.status == .error)
            #expect(r.http?.check.reason?.contains("no answer within the read deadline while we waited for the HTTP response head") == true,
                    "\(r.http?.check.reason ?? "")")
            Self.expectOwnWords(r.http?.check.reason)
        }
    }

    /// A TLS 1.2 server with only DHE and ChaCha20, which neither client speaks (BoringSSL has no
    /// DHE, ours no ChaCha20): an error that says so.
    @Test func suitesNeitherClientSpeaksAreAnError() async throws {
        let args = ["-www", "-tls1_2", "-cipher", "DHE-RSA-CHACHA20-POLY1305", "-dhparam", try dhParameters()]
        try await withOpenSSLServer(certificate: try TestCertificate.rsa(), arguments: args) { server in
            let r = await scan(server.port)
            #expect(r.http?.check.status == .error)
            #expect(r.http?.check.reason?.contains("none of the suites the server accepts") == true, "\(r.http?.check.reason ?? "")")
            Self.expectOwnWords(r.http?.check.reason)
        }
    }
}

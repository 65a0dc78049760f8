import Foundation
import Testing
@testable import TestSupport
@testable import TLSImpact
import TLSTelemetry

/// Real Debian nginx and HAProxy with TLS 1.0–1.3 on a loopback port, real clients (curl pinned to
/// TLS 1.0, curl's default, `openssl s_client -tls1_1` sending a request), then their access logs
/// read back. A missing peer fails the test, naming scripts/install-test-deps.
@Suite("Access logs: end to end against nginx and HAProxy", .serialized)
struct AccessLogEndToEndTests {
    static let since = Date().addingTimeInterval(-300)

    /// The three clients every test runs, against `port`.
    static func runClients(port: Int) throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/curl") else {
            throw TestSupportError.processFailed(command: "curl", status: -1, output: "curl not installed: run scripts/install-test-deps")
        }
        try TestTools.requireOpenSSL()
        let legacy = try TestHTTPS.curl(port: port, tls: "1.0", headers: ["User-Agent: legacy-client/1.0", "X-API-Key: key-legacy"])
        #expect(legacy.status == 200, "curl TLS 1.0: \(legacy.stderr)")
        // Two requests on one connection.
        let modern = try TestHTTPS.curl(port: port, headers: ["User-Agent: modern-client/2.0", "X-API-Key: key-modern"],
                                        extra: ["https://localhost:\(port)/second"])
        #expect(modern.status == 200, "curl default: \(modern.stderr)")
        let request = "GET /sclient HTTP/1.1\r\nHost: api.example\r\nUser-Agent: sclient/1.1\r\nX-API-Key: key-sclient\r\n"
            + "Connection: close\r\n\r\n"
        let sclient = try TestProcess.run(TestTools.opensslPath, [
            "s_client", "-connect", "127.0.0.1:\(port)", "-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0", "-servername",
            "api.example", "-quiet", "-no-CAfile", "-no-CApath", "-no-CAstore",
        ], timeout: 15, input: request)
        #expect(sclient.stdout.contains("200"), "s_client -tls1_1: \(sclient.stdout) \(sclient.stderr)")
    }

    /// What every log must show for the three clients.
    static func check(_ observations: [ImpactObservation], source: String) throws {
        let legacy = try #require(observations.first { $0.userAgent == "legacy-client/1.0" }, "\(observations)")
        #expect(legacy.source == source)
        #expect(legacy.negotiatedVersion == "TLSv1.0")
        #expect(legacy.cipherSuite?.hasPrefix("TLS_ECDHE_RSA_WITH_AES_") == true)
        #expect(legacy.cipherSuite?.hasSuffix("_CBC_SHA") == true)
        #expect(legacy.serverName == "localhost")
        #expect(legacy.clientAddress == "127.0.0.1")
        #expect(legacy.apiKey == AccessLogFixture.hashed("key-legacy"))
        #expect(legacy.requests == 1 && legacy.connections == 1)

        let modern = try #require(observations.first { $0.userAgent == "modern-client/2.0" })
        #expect(modern.negotiatedVersion == "TLSv1.3")
        #expect(["TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256", "TLS_CHACHA20_POLY1305_SHA256"].contains(modern.cipherSuite ?? ""))
        #expect(modern.serverName == "localhost")
        #expect(modern.apiKey == AccessLogFixture.hashed("key-modern"))
        #expect(modern.requests == 2)
        #expect(modern.connections == 1)

        let sclient = try #require(observations.first { $0.userAgent == "sclient/1.1" })
        #expect(sclient.negotiatedVersion == "TLSv1.1")
        #expect(sclient.cipherSuite?.hasSuffix("_CBC_SHA") == true)
        #expect(sclient.serverName == "api.example")
        #expect(sclient.apiKey == AccessLogFixture.hashed("key-sclient"))
        #expect(observations.count == 3, "\(observations)")

        for o in observations {
            #expect(o.firstSeen >= since && o.lastSeen <= Date().addingTimeInterval(5))
            #expect(o.maxOfferedVersion == nil && o.offeredVersions == nil && o.outcome == "accepted")
        }
    }

    @Test func nginx() async throws {
        let certificate = try TestCertificate.rsa()
        let format = #"$remote_addr $remote_port [$time_local] "$request" $status conn=$connection "# +
            #"req=$connection_requests sni=$ssl_server_name tls=$ssl_protocol cipher=$ssl_cipher ciphers=$ssl_ciphers "# +
            #"curves=$ssl_curves key="$http_x_api_key" ua="$http_user_agent""#
        let logPath = try TestScratch.makeDirectory(prefix: "nginx-log").appendingPathComponent("access.log").path
        let server = try NginxServer.start(serverBlock: """
            ssl_certificate \(certificate.certPath);
            ssl_certificate_key \(certificate.keyPath);
            ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3;
            ssl_ciphers DEFAULT:@SECLEVEL=0;
            access_log \(logPath) tlsguard;
            """, http: "log_format tlsguard '\(format)';")
        defer { server.stop() }
        try Self.runClients(port: server.port)
        server.stop()

        let source = try AccessLogSource(kind: .nginx, paths: [logPath], format: "log_format tlsguard '\(format)';",
                                         apiKeyField: "$http_x_api_key")
        let r = try await source.read(since: Self.since, until: Date().addingTimeInterval(60))
        #expect(r.summary.unparsable == 0, "\(source.problems)")
        try Self.check(r.observations, source: "nginx")
        let legacy = try #require(r.observations.first { $0.negotiatedVersion == "TLSv1.0" })
        let offered = try #require(legacy.offeredSuites?.split(separator: ",").map(String.init))
        #expect(offered.contains(legacy.cipherSuite!))
        #expect(offered.allSatisfy { $0.hasPrefix("TLS_") })
        #expect(!offered.contains("TLS_EMPTY_RENEGOTIATION_INFO_SCSV"))
        #expect(legacy.offeredGroups?.split(separator: ",").contains("x25519") == true)
        #expect(!source.limitations.contains { $0.contains("cipher tightening") })
    }

    @Test func haproxy() async throws {
        let certificate = try TestCertificate.rsa()
        let pem = try TestScratch.makeDirectory(prefix: "haproxy-pem").appendingPathComponent("server.pem").path
        try (certificate.certificatePEM + (try String(contentsOfFile: certificate.keyPath, encoding: .utf8)))
            .write(toFile: pem, atomically: true, encoding: .utf8)
        let logFormat = #"%ci:%cp [%tr] %ft %ST %hr %[ssl_fc_sni] %sslv %sslc {%[ssl_fc_cipherlist_str(1)]} "# +
            #"{%[ssl_fc_eclist_bin(1),hex]} %{+Q}r"#
        let server = try HAProxyServer.start(
            bindOptions: "crt \(pem) ssl-min-ver TLSv1.0 ciphers DEFAULT:@SECLEVEL=0",
            global: """
                log stdout len 8192 format raw local0
                tune.ssl.capture-buffer-size 512
                """,
            frontend: """
                log global
                capture request header User-Agent len 128
                capture request header X-API-Key len 128
                log-format "\(logFormat)"
                """)
        defer { server.stop() }
        try Self.runClients(port: server.port)
        server.stop()

        let source = try AccessLogSource(kind: .haproxy, paths: [server.outputPath],
                                         format: "hr={User-Agent|X-API-Key} log-format \"\(logFormat)\"", apiKeyField: "X-API-Key")
        let r = try await source.read(since: Self.since, until: Date().addingTimeInterval(60))
        // HAProxy's own start-up notices share its output: they are the only lines left out (the
        // readiness probe's connections are connection-error lines, counted apart).
        for p in r.summary.firstProblems { #expect(p.excerpt.hasPrefix("[NOTICE]") || p.excerpt.hasPrefix("[WARNING]"), "\(p)") }
        #expect(r.summary.counted == 4)
        // HAProxy logs no connection identifier: curl's two requests on one connection share the
        // client's address and port, so they count as one connection.
        try Self.check(r.observations, source: "haproxy")
        let legacy = try #require(r.observations.first { $0.negotiatedVersion == "TLSv1.0" })
        #expect(legacy.offeredSuites?.split(separator: ",").contains(Substring(legacy.cipherSuite!)) == true)
        #expect(legacy.offeredGroups?.split(separator: ",").contains("x25519") == true)
    }
}

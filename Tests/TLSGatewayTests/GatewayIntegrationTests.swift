import Foundation
import Testing
import TLSGateway
import TLSTelemetry
@testable import TestSupport

/// The gateway against real clients (curl, openssl s_client) and a real upstream, per mode.
@Suite("Gateway with real clients", .serialized)
struct GatewayIntegrationTests {
    @Test("warn mode: TLS 1.0/1.1 proxied with deprecation headers, TLS 1.2/1.3 proxied clean; all recorded")
    func warnMode() async throws {
        try await withGateway(yaml: providerYAML) { h in
            for version in ["1.0", "1.1"] {
                let r = try TestHTTPS.curl(port: h.port, path: "/v1/charges", tls: version, headers: ["X-API-Key: k-\(version)"])
                #expect(r.exitCode == 0, "\(r.stderr)")
                #expect(r.status == 200)
                #expect(r.headers["deprecation"]?.hasPrefix("@") == true)
                #expect(r.headers["sunset"] == "Tue, 30 Jun 2026 00:00:00 GMT")
                #expect(r.headers["link"] == "<https://example.com/tls>; rel=\"deprecation\"; type=\"text/html\"")
                #expect(r.headers["tlsguard-warning"]?.contains("TLS \(version) is deprecated on localhost") == true)
                let echo = try #require(r.json())
                #expect(echo["path"] as? String == "/v1/charges")
                #expect(echo["h:x-forwarded-for"] as? String == "127.0.0.1")
                #expect(echo["h:x-forwarded-proto"] as? String == "https")
                #expect(echo["h:forwarded"] as? String == "for=127.0.0.1;proto=https;host=\"localhost:\(h.port)\"")
            }
            for version in ["1.2", "1.3"] {
                let r = try TestHTTPS.curl(port: h.port, tls: version)
                #expect(r.status == 200, "\(r.stderr)")
                #expect(r.headers["deprecation"] == nil)
                #expect(r.headers["x-upstream"] == "test")
            }
            let records = try await h.waitForConnections(4)
            #expect(records.map(\.negotiatedVersion) == ["TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"])
            #expect(records.map(\.outcome) == ["accepted-legacy", "accepted-legacy", "accepted", "accepted"])
            #expect(records.map(\.rule) == ["default.mode=warn", "default.mode=warn", "default.minimumVersion", "default.minimumVersion"])
            #expect(records.allSatisfy { $0.serverName == "localhost" && $0.listener == "public" && $0.clientAddress == "127.0.0.1" })
            #expect(records[0].ja4?.hasPrefix("t10d") == true)
            #expect(records[3].ja4?.hasPrefix("t13d") == true)
            #expect(records.allSatisfy { $0.ja3?.count == 32 && $0.cipherSuite?.hasPrefix("TLS_") == true })
            #expect(records[0].maxOfferedVersion == "TLSv1.0")
            #expect(records[0].alpnOffered?.contains("http/1.1") == true)
            #expect(records[3].alpnNegotiated == "http/1.1")
            let requests = try await h.requests()
            #expect(requests.count == 4)
            #expect(requests.allSatisfy { $0.status == 200 && $0.outcome == "proxied" && $0.upstreamLatencyMs != nil })
            #expect(requests[0].apiKey == "sha256:" + APIKeyHash.sha256Hex("k-1.0"))
            #expect(requests[0].userAgent?.hasPrefix("curl/") == true)
            #expect(Set(requests.map(\.connectionID)) == Set(records.map(\.id)))
        }
    }

    @Test("enforce: TLS 1.0/1.1 get alert 70, TLS 1.2/1.3 negotiate; the refusal is recorded with SNI and JA4")
    func enforceWithAlerts() async throws {
        try await withGateway(yaml: providerYAML, at: Dates.afterCutoff) { h in
            for flag in ["-tls1", "-tls1_1"] {
                let attempt = try TestHTTPS.sClient(port: h.port, versionFlag: flag, servername: "api.example.com")
                #expect(attempt.negotiation == nil)
                #expect(attempt.alert == 70, "\(attempt.output)")
            }
            let r = try TestHTTPS.curl(port: h.port, tls: "1.0")
            #expect(r.exitCode == 35)
            #expect(r.stderr.contains("protocol version"), "\(r.stderr)")
            #expect(try TestHTTPS.sClient(port: h.port, versionFlag: "-tls1_2").negotiation?.protocolName == "TLSv1.2")
            #expect(try TestHTTPS.sClient(port: h.port, versionFlag: "-tls1_3").negotiation?.protocolName == "TLSv1.3")
            let records = try await h.waitForConnections(5)
            let refused = records.filter { $0.outcome == "refused" }
            #expect(refused.count == 3)
            #expect(refused.allSatisfy { $0.rule == "default.cutoff" && $0.mode == "enforce" && $0.negotiatedVersion == nil })
            #expect(refused[0].serverName == "api.example.com")
            #expect(refused[0].ja4?.hasPrefix("t10d") == true)
            #expect(refused[0].maxOfferedVersion == "TLSv1.0")
            #expect(refused[1].maxOfferedVersion == "TLSv1.1")
            #expect(refused[0].detail?.contains("cutoff") == true)
        }
    }

    @Test("brownout: refused inside a window, warned outside it (time injected)")
    func brownout() async throws {
        try await withGateway(yaml: providerYAML, at: Dates.inFirstBrownout) { h in
            let inside = try TestHTTPS.sClient(port: h.port, versionFlag: "-tls1")
            #expect(inside.alert == 70)
            #expect(try TestHTTPS.sClient(port: h.port, versionFlag: "-tls1_2").negotiation != nil, "modern clients pass brownouts")
            h.clock.set(Dates.at("2026-05-12T15:00:01Z"))
            let outside = try TestHTTPS.curl(port: h.port, tls: "1.0")
            #expect(outside.status == 200)
            #expect(outside.headers["deprecation"] != nil)
            h.clock.set(Dates.inSecondBrownout)
            #expect(try TestHTTPS.sClient(port: h.port, versionFlag: "-tls1_1").alert == 70)
            let records = try await h.waitForConnections(4)
            #expect(records.map(\.rule) == ["default.brownouts[0]", "default.minimumVersion", "default.mode=warn", "default.brownouts[1]"])
        }
    }

    @Test("CIDR exception: allowed before its expiry, refused after")
    func cidrException() async throws {
        let yaml = providerYAML.replacingOccurrences(of: "cidr: 10.20.0.0/16", with: "cidr: 127.0.0.0/8")
        try await withGateway(yaml: yaml, at: Dates.afterCutoff) { h in
            let allowed = try TestHTTPS.curl(port: h.port, tls: "1.0")
            #expect(allowed.status == 200)
            #expect(allowed.headers["tlsguard-warning"] != nil)
            h.clock.set(Dates.afterPartnerExpiry)
            #expect(try TestHTTPS.sClient(port: h.port, versionFlag: "-tls1").alert == 70)
            let records = try await h.waitForConnections(2)
            #expect(records.map(\.rule) == ["exceptions[partner-acme]", "default.cutoff"])
            #expect(records.map(\.outcome) == ["accepted-legacy", "refused"])
        }
    }

    @Test("SNI exception and API-key exception, before and after expiry")
    func sniAndAPIKeyExceptions() async throws {
        let yaml = providerYAML.replacingOccurrences(of: """
              - name: partner-acme
                cidr: 10.20.0.0/16
                expires: 2026-09-30
            """, with: """
              - name: pos-terminals
                sni: pos.example.com
                expires: 2026-09-30
              - name: acme-key
                apiKey: acme-secret
                expires: 2026-08-31
            """)
        try await withGateway(yaml: yaml, at: Dates.afterCutoff) { h in
            let pos = try TestHTTPS.curl(port: h.port, host: "pos.example.com", tls: "1.0")
            #expect(pos.status == 200)
            let keyed = try TestHTTPS.curl(port: h.port, host: "api.example.com", tls: "1.0", headers: ["X-API-Key: acme-secret"])
            #expect(keyed.status == 200)
            #expect(keyed.headers["x-upstream"] == "test")
            let unkeyed = try TestHTTPS.curl(port: h.port, host: "api.example.com", tls: "1.0", headers: ["X-API-Key: wrong"])
            #expect(unkeyed.status == 426)
            #expect(unkeyed.json()?["rule"] as? String == "default.cutoff")
            let modern = try TestHTTPS.curl(port: h.port, host: "api.example.com", tls: "1.3")
            #expect(modern.status == 200)
            h.clock.set(Dates.at("2026-09-01T00:00:00Z"))  // the key's exception has expired
            #expect(try TestHTTPS.sClient(port: h.port, versionFlag: "-tls1", servername: "api.example.com").alert == 70)
            let records = try await h.waitForConnections(5)
            #expect(records[0].rule == "exceptions[pos-terminals]")
            #expect(records[1].rule == "default.cutoff")
            #expect(records[1].outcome == "accepted-legacy")
            #expect(records[4].outcome == "refused")
            let requests = try await h.requests()
            #expect(requests.map(\.status) == [200, 200, 426, 200])
            #expect(requests[1].rule == "exceptions[acme-key]")
            #expect(requests[2].outcome == "explained")
        }
    }

    @Test("explain: a 426 JSON body names the cutoff, the client's version and the fix; HTML too")
    func explain() async throws {
        let json = providerYAML.replacingOccurrences(of: "    deprecationLink:", with: "    explain: {status: 426, format: json}\n    deprecationLink:")
        try await withGateway(yaml: json) { h in
            let r = try TestHTTPS.curl(port: h.port, tls: "1.1")
            #expect(r.status == 426)
            #expect(r.headers["upgrade"] == "TLS/1.2, HTTP/1.1")
            #expect(r.headers["sunset"] == "Tue, 30 Jun 2026 00:00:00 GMT")
            let body = try #require(r.json())
            #expect(body["error"] as? String == "tls_version_unsupported")
            #expect(body["clientVersion"] as? String == "TLS 1.1")
            #expect(body["minimumVersion"] as? String == "TLS 1.2")
            #expect(body["cutoff"] as? String == "2026-06-30T00:00:00Z")
            #expect((body["fix"] as? String)?.contains("TLS 1.2 or newer") == true)
            #expect(body["link"] as? String == "https://example.com/tls")
            let modern = try TestHTTPS.curl(port: h.port, tls: "1.2")
            #expect(modern.status == 200)
            #expect(h.upstream?.connectionCount == 1, "the legacy request never reached the upstream")
        }
        let html = providerYAML.replacingOccurrences(of: "    deprecationLink:", with: "    explain: {status: 403, format: html, message: Upgrade before June}\n    deprecationLink:")
        try await withGateway(yaml: html) { h in
            let r = try TestHTTPS.curl(port: h.port, tls: "1.0")
            #expect(r.status == 403)
            #expect(r.headers["content-type"] == "text/html; charset=utf-8")
            #expect(r.body.contains("Your client uses TLS 1.0"))
            #expect(r.body.contains("Upgrade before June"))
            #expect(r.body.contains("2026-06-30T00:00:00Z"))
        }
    }

    @Test("per-SNI policy and the no-SNI rule")
    func sniPolicies() async throws {
        let yaml = providerYAML.replacingOccurrences(of: "exceptions:\n", with: """
              noSNI:
                mode: enforce
              hosts:
                legacy.example.com:
                  mode: observe
                  cutoff: 2027-01-01
                strict.example.com:
                  minimumVersion: TLSv1.3
                  mode: enforce
            exceptions:

            """)
        try await withGateway(yaml: yaml) { h in
            let legacy = try TestHTTPS.curl(port: h.port, host: "legacy.example.com", tls: "1.0")
            #expect(legacy.status == 200)
            #expect(legacy.headers["deprecation"] == nil, "observe adds no headers")
            #expect(try TestHTTPS.sClient(port: h.port, versionFlag: "-tls1_2", servername: "strict.example.com").alert == 70)
            #expect(try TestHTTPS.sClient(port: h.port, versionFlag: "-tls1_3", servername: "strict.example.com").negotiation?.protocolName == "TLSv1.3")
            #expect(try TestHTTPS.sClient(port: h.port, versionFlag: "-tls1", servername: nil).alert == 70)
            let defaultHost = try TestHTTPS.curl(port: h.port, host: "api.example.com", tls: "1.0")
            #expect(defaultHost.status == 200)
            #expect(defaultHost.headers["deprecation"] != nil)
            let records = try await h.waitForConnections(5)
            #expect(records.map(\.rule) == [
                "hosts[legacy.example.com].mode=observe", "hosts[strict.example.com].mode=enforce",
                "hosts[strict.example.com].minimumVersion", "noSNI.mode=enforce", "default.mode=warn",
            ])
            #expect(records[3].serverName == nil)
            #expect(records[3].ja4?.hasPrefix("t10i") == true)
        }
    }

    @Test("certificates: ECDSA for clients that can verify it, RSA for the rest")
    func certificateChoice() async throws {
        try await withGateway(yaml: providerYAML) { h in
            let modern = try TestHTTPS.sClient(port: h.port, versionFlag: "-tls1_3")
            #expect(modern.output.contains("Peer signature type: ECDSA"), "\(modern.output)")
            let rsaOnly = try TestHTTPS.sClient(port: h.port, versionFlag: "-tls1", extra: ["-cipher", "AES128-SHA:@SECLEVEL=0"])
            #expect(rsaOnly.negotiation?.cipher == "AES128-SHA", "\(rsaOnly.output)")
            let noSNI = try TestHTTPS.sClient(port: h.port, versionFlag: "-tls1_2", servername: nil, extra: ["-cipher", "ECDHE-RSA-AES128-GCM-SHA256"])
            #expect(noSNI.negotiation?.cipher == "ECDHE-RSA-AES128-GCM-SHA256")
        }
    }
}

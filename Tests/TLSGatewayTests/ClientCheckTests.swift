import Crypto
import Foundation
import Testing
import TLSGateway
import TLSWire
@testable import TestSupport

/// A provider gateway with a client-check listener, the check on a path of the API listener, and
/// the plain-HTTP lookup. The clock is in the grace period (2026-03-01; cutoff 2026-06-30).
let clientCheckYAML = """
    listeners:
      - name: api
        address: 127.0.0.1:0
      - name: check
        address: 127.0.0.1:0
        clientCheck: true
    admin:
      address: 127.0.0.1:0
    upstream:
      address: {{upstream}}
    certificates:
      - default: true
        hosts: [localhost]
        chain: {{rsa}}
        key: {{rsaKey}}
      - hosts: [localhost]
        chain: {{ec}}
        key: {{ecKey}}
    policy:
      default:
        minimumVersion: TLSv1.2
        mode: warn
        cutoff: 2026-06-30T00:00:00Z
    clientCheck:
      path: /tls-check
      lookup: 127.0.0.1:0
    records:
      database: {{db}}
    """

extension GatewayHarness {
    var checkPort: Int { gateway.listenerPorts["check"] ?? 0 }
    var apiPort: Int { gateway.listenerPorts["api"] ?? 0 }
}

/// The client check against real clients: each must get the right version, verdict, rating and a
/// JA4 that follows the published rules.
@Suite("Client check with real clients", .serialized)
struct ClientCheckClientTests {
    @Test("curl (default): TLS 1.3, Probably Okay, will connect after the cutoff; JA4 follows the spec")
    func curlDefault() async throws {
        try await withGateway(yaml: clientCheckYAML) { h in
            let r = try TestHTTPS.curl(port: h.checkPort, path: "/api/v1/check")
            #expect(r.status == 200, "\(r.stderr)")
            #expect(r.headers["content-type"] == "application/json")
            #expect(r.headers["access-control-allow-origin"] == "*")
            let j = try #require(r.json())
            #expect(j["tls_version"] as? String == "TLS 1.3")
            #expect(j["rating"] as? String == "Probably Okay", "\(j["rating_reasons"] ?? "")")
            #expect(j["sni"] as? String == "localhost")
            #expect(j["beast_vuln"] as? Bool == false)
            #expect((j["insecure_cipher_suites"] as? [String: Any])?.isEmpty == true)
            let negotiated = try #require(j["negotiated"] as? [String: Any])
            #expect(negotiated["version"] as? String == "TLS 1.3")
            #expect(negotiated["alpn"] as? String == "http/1.1")
            let after = try #require((j["policy"] as? [String: Any])?["after_cutoff"] as? [String: Any])
            #expect(after["will_connect"] as? Bool == true)
            #expect(after["at"] as? String == "2026-06-30T00:00:00Z")
            #expect((j["verdict"] as? String)?.hasPrefix("will connect after 2026-06-30: yes — TLS 1.3 with TLS_") == true)
            try expectJA4FollowsSpec(j, version: "13", sni: true)
            // The How's My SSL path answers the same JSON.
            let alias = try TestHTTPS.curl(port: h.checkPort, path: "/a/check")
            #expect(alias.json()?["tls_version"] as? String == "TLS 1.3")
        }
    }

    @Test("curl --tls-max 1.0 and --tlsv1.1: told now yes (warn), after the cutoff no, rating Bad / not okay")
    func curlLegacy() async throws {
        try await withGateway(yaml: clientCheckYAML) { h in
            let r = try TestHTTPS.curl(port: h.checkPort, path: "/api/v1/check", tls: "1.0")
            #expect(r.status == 200, "\(r.stderr)")
            let j = try #require(r.json())
            #expect(j["tls_version"] as? String == "TLS 1.0")
            #expect(j["rating"] as? String == "Bad")
            #expect((j["rating_reasons"] as? [String])?.contains("TLS 1.0 is its best version") == true)
            let policy = try #require(j["policy"] as? [String: Any])
            let now = try #require(policy["now"] as? [String: Any])
            let after = try #require(policy["after_cutoff"] as? [String: Any])
            #expect(now["will_connect"] as? Bool == true)
            #expect(now["mode"] as? String == "warn")
            #expect(after["will_connect"] as? Bool == false)
            #expect((after["answer"] as? String)?.hasPrefix("no — maximum version TLS 1.0; upgrade to TLS 1.2 or newer") == true)
            #expect((after["refusal"] as? String)?.contains("protocol_version") == true)
            #expect((after["fix"] as? String)?.contains("TLS 1.2 or newer") == true)
            #expect(j["verdict"] as? String == "will connect after 2026-06-30: no — maximum version TLS 1.0; upgrade to TLS 1.2 or newer")
            // Every suite is refused after the cutoff: the version is.
            let suites = try #require(j["cipher_suites"] as? [[String: Any]])
            #expect(suites.filter { ($0["verdict"] as? String) != "signalling" }.allSatisfy {
                ($0["after_cutoff"] as? String)?.hasPrefix("not accepted") == true
            })
            #expect(j["able_to_detect_n_minus_one_splitting"] as? Bool == true)
            try expectJA4FollowsSpec(j, version: "10", sni: true)

            let r11 = try TestHTTPS.curl(port: h.checkPort, path: "/api/v1/check", tls: "1.1")
            let j11 = try #require(r11.json(), "\(r11.stderr)")
            #expect(j11["tls_version"] as? String == "TLS 1.1")
            #expect(j11["rating"] as? String != "Probably Okay")
            #expect((j11["rating_reasons"] as? [String])?.contains("TLS 1.1 is its best version") == true)
            #expect(((j11["policy"] as? [String: Any])?["after_cutoff"] as? [String: Any])?["will_connect"] as? Bool == false)
            try expectJA4FollowsSpec(j11, version: "11", sni: true)
        }
    }

    @Test("openssl s_client -tls1 … -tls1_3: the max version and the negotiated version match the flag",
          arguments: [("-tls1", "TLS 1.0", "10"), ("-tls1_1", "TLS 1.1", "11"), ("-tls1_2", "TLS 1.2", "12"), ("-tls1_3", "TLS 1.3", "13")])
    func sClient(flag: String, version: String, ja4Version: String) async throws {
        try TestTools.requireOpenSSL()
        try await withGateway(yaml: clientCheckYAML) { h in
            var arguments = ["s_client", "-connect", "127.0.0.1:\(h.checkPort)", "-servername", "localhost", flag, "-quiet",
                             "-no-CAfile", "-no-CApath", "-no-CAstore"]
            if flag != "-tls1_3" { arguments += ["-cipher", "DEFAULT:@SECLEVEL=0"] }
            let request = "GET /api/v1/check HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
            let result = try TestProcess.run(TestTools.opensslPath, arguments, timeout: 20, input: request)
            let response = TestHTTPS.parse(TestProcessResult(status: 0, stdout: result.stdout, stderr: result.stderr, timedOut: false))
            #expect(response.status == 200, "\(result.stderr)")
            let j = try #require(response.json())
            #expect(j["tls_version"] as? String == version)
            #expect((j["versions"] as? [String: Any])?["max_offered"] as? String == version)
            #expect((j["negotiated"] as? [String: Any])?["version"] as? String == version)
            let willConnect = ((j["policy"] as? [String: Any])?["after_cutoff"] as? [String: Any])?["will_connect"] as? Bool
            #expect(willConnect == (version >= "TLS 1.2"))
            // How's My SSL's rules at the test clock (before its 2026 downrank): TLS 1.0 Bad, 1.1 not okay.
            if version == "TLS 1.0" { #expect(j["rating"] as? String == "Bad") }
            if version == "TLS 1.1" { #expect(j["rating"] as? String != "Probably Okay") }
            try expectJA4FollowsSpec(j, version: ja4Version, sni: true)
        }
    }

    @Test("Python ssl/urllib: default context gets TLS 1.3 and yes; a TLS 1.0-capped context gets no")
    func python() async throws {
        try await withGateway(yaml: clientCheckYAML) { h in
            let url = "https://localhost:\(h.checkPort)/api/v1/check"
            let script = """
                import ssl, sys, urllib.request
                ctx = ssl.create_default_context()
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
                if sys.argv[2] == "1.0":
                    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
                    ctx.minimum_version = ssl.TLSVersion.TLSv1
                    ctx.maximum_version = ssl.TLSVersion.TLSv1
                sys.stdout.write(urllib.request.urlopen(sys.argv[1], context=ctx, timeout=10).read().decode())
                """
            for (cap, version, yes) in [("default", "TLS 1.3", true), ("1.0", "TLS 1.0", false)] {
                let r = try TestProcess.run("/usr/bin/env", ["python3", "-c", script, url, cap], timeout: 30)
                #expect(r.status == 0, "\(r.stderr)")
                let j = try #require(try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r.stderr)")
                #expect(j["tls_version"] as? String == version)
                #expect(j["rating"] as? String == (yes ? "Probably Okay" : "Bad"), "\(j["rating_reasons"] ?? "")")
                #expect((j["client"] as? [String: Any])?["user_agent"] as? String == "Python-urllib/3.\(Self.pythonMinor())")
                #expect(((j["policy"] as? [String: Any])?["after_cutoff"] as? [String: Any])?["will_connect"] as? Bool == yes)
                try expectJA4FollowsSpec(j, version: version == "TLS 1.3" ? "13" : "10", sni: true)
            }
        }
    }

    static func pythonMinor() -> String {
        let r = try? TestProcess.run("/usr/bin/env", ["python3", "-c", "import sys; print(sys.version_info[1])"], timeout: 10)
        return r?.stdout.trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
    }

    @Test("Java HttpClient (OpenJDK): TLS 1.3, will connect", .enabled(if: ClientCheckClientTests.has("java")))
    func java() async throws {
        try await withGateway(yaml: clientCheckYAML) { h in
            let dir = try TestScratch.makeDirectory(prefix: "java")
            let source = dir.appendingPathComponent("Check.java").path
            try """
                import java.net.URI;
                import java.net.http.HttpClient;
                import java.net.http.HttpRequest;
                import java.net.http.HttpResponse;
                import java.security.cert.X509Certificate;
                import javax.net.ssl.SSLContext;
                import javax.net.ssl.TrustManager;
                import javax.net.ssl.X509TrustManager;

                public class Check {
                    public static void main(String[] args) throws Exception {
                        TrustManager[] trustAll = { new X509TrustManager() {
                            public void checkClientTrusted(X509Certificate[] c, String a) {}
                            public void checkServerTrusted(X509Certificate[] c, String a) {}
                            public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
                        } };
                        SSLContext context = SSLContext.getInstance("TLS");
                        context.init(null, trustAll, null);
                        HttpClient client = HttpClient.newBuilder().sslContext(context).version(HttpClient.Version.HTTP_1_1).build();
                        HttpResponse<String> response = client.send(
                            HttpRequest.newBuilder(URI.create(args[0])).build(), HttpResponse.BodyHandlers.ofString());
                        System.out.print(response.body());
                    }
                }
                """.write(toFile: source, atomically: true, encoding: .utf8)
            let r = try TestProcess.run("/usr/bin/env", ["java", "-Djdk.internal.httpclient.disableHostnameVerification=true", source,
                                                         "https://localhost:\(h.checkPort)/api/v1/check"], timeout: 120)
            #expect(r.status == 0, "\(r.stderr)")
            let j = try #require(try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r.stdout) \(r.stderr)")
            #expect(j["tls_version"] as? String == "TLS 1.3")
            #expect(((j["client"] as? [String: Any])?["user_agent"] as? String)?.hasPrefix("Java-http-client/") == true)
            #expect(j["rating"] as? String == "Probably Okay", "\(j["rating_reasons"] ?? "")")
            #expect(((j["policy"] as? [String: Any])?["after_cutoff"] as? [String: Any])?["will_connect"] as? Bool == true)
            // Java omits SNI for "localhost" (a name without a dot), so JA4 has 'i'.
            try expectJA4FollowsSpec(j, version: "13", sni: j["sni"] is String)
        }
    }

    @Test("Node.js https: TLS 1.3, will connect", .enabled(if: ClientCheckClientTests.has("node")))
    func node() async throws {
        try await withGateway(yaml: clientCheckYAML) { h in
            let script = """
                require('https').get(process.argv[1], { rejectUnauthorized: false }, (res) => {
                  let body = ''; res.on('data', (c) => body += c); res.on('end', () => process.stdout.write(body));
                }).on('error', (e) => { console.error(e.message); process.exit(1); });
                """
            let r = try TestProcess.run("/usr/bin/env", ["node", "-e", script, "https://localhost:\(h.checkPort)/api/v1/check"], timeout: 30)
            #expect(r.status == 0, "\(r.stderr)")
            let j = try #require(try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r.stderr)")
            #expect(j["tls_version"] as? String == "TLS 1.3")
            #expect(j["rating"] as? String == "Probably Okay", "\(j["rating_reasons"] ?? "")")
            #expect(((j["policy"] as? [String: Any])?["after_cutoff"] as? [String: Any])?["will_connect"] as? Bool == true)
            try expectJA4FollowsSpec(j, version: "13", sni: true)
        }
    }

    @Test("swift-nio-ssl client: TLS 1.3, will connect; the connection stays open for a second request")
    func swiftNIOSSL() async throws {
        try await withGateway(yaml: clientCheckYAML) { h in
            let (client, _) = try await TestTLSClient.connect(port: h.checkPort)
            defer { Task { await client.close() } }
            for _ in 0..<2 {
                let text = try await client.get("/api/v1/check")
                let body = String(text[text.range(of: "\r\n\r\n")!.upperBound...])
                let j = try #require(try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
                #expect(j["tls_version"] as? String == "TLS 1.3")
                #expect(j["rating"] as? String == "Probably Okay", "\(j["rating_reasons"] ?? "")")
                #expect(((j["policy"] as? [String: Any])?["after_cutoff"] as? [String: Any])?["will_connect"] as? Bool == true)
                #expect((j["client"] as? [String: Any])?["user_agent"] as? String == "test-tls-client")
                try expectJA4FollowsSpec(j, version: "13", sni: true)
            }
            #expect(client.isActive)
        }
    }

    static func has(_ command: String) -> Bool {
        (try? TestProcess.run("/usr/bin/env", ["sh", "-c", "command -v \(command)"], timeout: 10))?.status == 0
    }
}

/// JA4's first part from the facts the JSON lists, and its hashed parts recomputed by the
/// published rules (FoxIO JA4 technical details): the JSON's JA4 must equal them.
func expectJA4FollowsSpec(_ j: [String: Any], version: String, sni: Bool, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let fp = try #require(j["fingerprints"] as? [String: Any], sourceLocation: sourceLocation)
    let ja4 = try #require(fp["ja4"] as? String, sourceLocation: sourceLocation)
    let suites = (j["cipher_suites"] as? [[String: Any]] ?? []).filter { $0["name"] as? String != "GREASE" }
        .compactMap { ($0["id"] as? String)?.dropFirst(2).lowercased() }
    let extensions = (j["extensions"] as? [[String: Any]] ?? []).filter { $0["name"] as? String != "GREASE" }
        .compactMap { ($0["id"] as? String)?.dropFirst(2).lowercased() }
    let sigalgs = (j["signature_algorithms"] as? [[String: Any]] ?? []).filter { $0["name"] as? String != "GREASE" }
        .compactMap { ($0["id"] as? String)?.dropFirst(2).lowercased() }
    let alpn = (j["alpn"] as? [String])?.first
    let alpnPart = alpn.map { "\($0.first!)\($0.last!)" } ?? "00"
    let a = "t\(version)\(sni ? "d" : "i")" + String(format: "%02d%02d", min(suites.count, 99), min(extensions.count, 99)) + alpnPart
    func hash12(_ s: String) -> String {
        SHA256.hash(data: Data(s.utf8)).map { String(format: "%02x", $0) }.joined().prefix(12).description
    }
    let b = hash12(suites.sorted().joined(separator: ","))
    var cText = extensions.filter { $0 != "0000" && $0 != "0010" }.sorted().joined(separator: ",")
    if !sigalgs.isEmpty { cText += "_" + sigalgs.joined(separator: ",") }
    let c = hash12(cText)
    #expect(ja4 == "\(a)_\(b)_\(c)", sourceLocation: sourceLocation)
}

/// The lookup for clients that cannot finish a handshake, the check on an API path, the page and
/// the HTTP surface (CORS, JSONP, methods).
@Suite("Client check: lookup, path, page", .serialized)
struct ClientCheckServiceTests {
    func lookup(_ h: GatewayHarness, _ path: String) throws -> CurlResult {
        let port = try #require(h.gateway.lookupPort)
        let r = try TestProcess.run("/usr/bin/curl", ["-sS", "-i", "--max-time", "10", "http://127.0.0.1:\(port)\(path)"], timeout: 15)
        return TestHTTPS.parse(r)
    }

    @Test("lookup before any handshake: 404 with a one-line reason, as JSON and as a page")
    func lookupNothingSeen() async throws {
        try await withGateway(yaml: clientCheckYAML) { h in
            let r = try lookup(h, "/api/v1/check")
            #expect(r.status == 404)
            #expect(r.json()?["error"] as? String == "no_client_hello")
            #expect((r.json()?["message"] as? String)?.contains("127.0.0.1") == true)
            let page = try lookup(h, "/")
            #expect(page.status == 404)
            #expect(page.body.contains("No TLS handshake seen from 127.0.0.1"))
        }
    }

    @Test("after the cutoff a TLS 1.0 client is refused with protocol_version; the lookup tells it why")
    func lookupAfterRefusal() async throws {
        try await withGateway(yaml: clientCheckYAML, at: Dates.afterCutoff) { h in
            let refused = try TestHTTPS.curl(port: h.apiPort, path: "/v1/orders", tls: "1.0")
            #expect(refused.status == 0)
            #expect(refused.stderr.contains("alert protocol version"), "\(refused.stderr)")
            _ = try await h.waitForConnections(1)
            let r = try lookup(h, "/api/v1/check")
            #expect(r.status == 200)
            let j = try #require(r.json())
            #expect(j["source"] as? String == "lookup")
            let connection = try #require(j["connection"] as? [String: Any])
            #expect(connection["outcome"] as? String == "refused")
            #expect(connection["listener"] as? String == "api")
            #expect(j["tls_version"] as? String == "TLS 1.0")
            #expect(j["negotiated"] == nil)
            let policy = try #require(j["policy"] as? [String: Any])
            #expect((policy["now"] as? [String: Any])?["will_connect"] as? Bool == false)
            #expect((policy["after_cutoff"] as? [String: Any])?["will_connect"] as? Bool == false)
            let page = try lookup(h, "/")
            #expect(page.status == 200)
            #expect(page.body.contains("No — your client will not connect after <span class=\"date\">2026-06-30</span>."))
            #expect(page.body.contains("the gateway's outcome was <b>refused</b>"))
        }
    }

    @Test("a client with no suite in common fails even the check listener's handshake; the lookup says so")
    func lookupAfterHandshakeFailure() async throws {
        try TestTools.requireOpenSSL()
        try await withGateway(yaml: clientCheckYAML) { h in
            // Camellia is in OpenSSL, not in BoringSSL: the server answers handshake_failure.
            let failed = try TestHTTPS.sClient(port: h.checkPort, versionFlag: "-tls1_2", extra: ["-cipher", "CAMELLIA128-SHA"])
            #expect(failed.negotiation == nil)
            #expect(failed.alert == 40, "\(failed.output)")
            _ = try await h.waitForConnections(1)
            let j = try #require(try lookup(h, "/api/v1/check").json())
            #expect((j["connection"] as? [String: Any])?["outcome"] as? String == "handshake-failed")
            #expect(j["given_cipher_suites"] as? [String] == ["TLS_RSA_WITH_CAMELLIA_128_CBC_SHA", "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"]
                    || (j["given_cipher_suites"] as? [String])?.first == "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA")
            let after = try #require((j["policy"] as? [String: Any])?["after_cutoff"] as? [String: Any])
            #expect(after["will_connect"] as? Bool == false)
            #expect((after["answer"] as? String)?.hasPrefix("no — the server refuses this ClientHello (handshake_failure)") == true)
            #expect((after["refusal"] as? String) == "fatal handshake_failure alert")
        }
    }

    @Test("the check on the API listener's path: answered by the gateway, never proxied; other paths are")
    func pathOnAPIListener() async throws {
        try await withGateway(yaml: clientCheckYAML) { h in
            let r = try TestHTTPS.curl(port: h.apiPort, path: "/tls-check/api/v1/check", tls: "1.2")
            #expect(r.status == 200)
            #expect(r.json()?["tls_version"] as? String == "TLS 1.2")
            let page = try TestHTTPS.curl(port: h.apiPort, path: "/tls-check")
            #expect(page.status == 200)
            #expect(page.headers["content-type"] == "text/html; charset=utf-8")
            let missing = try TestHTTPS.curl(port: h.apiPort, path: "/tls-check/nope")
            #expect(missing.status == 404)
            #expect(h.upstream?.requestCount == 0)
            let proxied = try TestHTTPS.curl(port: h.apiPort, path: "/tls-checkout")
            #expect(proxied.headers["x-upstream"] == "test")
            #expect(h.upstream?.requestCount == 1)
            let requests = try await h.requests()
            #expect(requests.filter { $0.outcome == "client-check" }.count == 3)
            let adminPort = try #require(h.adminPort)
            let metrics = try TestProcess.run("/usr/bin/curl", ["-sS", "http://127.0.0.1:\(adminPort)/metrics"], timeout: 10)
            #expect(metrics.stdout.contains(#"tlsguard_client_checks_total{source="live",after_cutoff="yes"} 2"#), "\(metrics.stdout)")
        }
    }

    @Test("the page: yes or no at the top, no scripts, a strict CSP; the JSON path is linked")
    func page() async throws {
        try await withGateway(yaml: clientCheckYAML) { h in
            let legacy = try TestHTTPS.curl(port: h.checkPort, path: "/", tls: "1.0")
            #expect(legacy.status == 200)
            #expect(legacy.headers["content-security-policy"]?.hasPrefix("default-src 'none'") == true)
            #expect(legacy.body.contains("<div class=\"verdict no\" id=\"verdict\"><h1>No — your client will not connect after <span class=\"date\">2026-06-30</span>.</h1>"))
            #expect(legacy.body.contains("maximum version TLS 1.0"))
            #expect(!legacy.body.lowercased().contains("<script"))
            #expect(!legacy.body.contains("src=\"http"))
            #expect(legacy.body.contains("href=\"/api/v1/check\""))
            let modern = try TestHTTPS.curl(port: h.checkPort, path: "/")
            #expect(modern.body.contains("<h1>Yes — your client will still connect after <span class=\"date\">2026-06-30</span>.</h1>"))
        }
    }

    @Test("HTTP surface: JSONP sanitised, CORS preflight, HEAD, 405 for other methods, 404 for other paths")
    func httpSurface() async throws {
        try await withGateway(yaml: clientCheckYAML) { h in
            let jsonp = try TestHTTPS.curl(port: h.checkPort, path: "/api/v1/check?callback=cb%3Cscript%3E")
            #expect(jsonp.status == 200)
            #expect(jsonp.headers["content-type"] == "application/javascript; charset=utf-8")
            #expect(jsonp.body.hasPrefix("cb3Cscript3E({"))
            let preflight = try TestHTTPS.curl(port: h.checkPort, path: "/api/v1/check", method: "OPTIONS",
                                               extra: ["-H", "Origin: https://example.org"])
            #expect(preflight.status == 204)
            #expect(preflight.headers["access-control-allow-methods"] == "GET, HEAD, OPTIONS")
            let head = try TestHTTPS.curl(port: h.checkPort, path: "/api/v1/check", extra: ["-I"])
            #expect(head.status == 200)
            #expect(Int(head.headers["content-length"] ?? "") ?? 0 > 100)
            let post = try TestHTTPS.curl(port: h.checkPort, path: "/api/v1/check", method: "POST", data: "x")
            #expect(post.status == 405)
            #expect(post.headers["allow"] == "GET, HEAD, OPTIONS")
            let other = try TestHTTPS.curl(port: h.checkPort, path: "/admin")
            #expect(other.status == 404)
            #expect(other.json()?["error"] as? String == "not_found")
        }
    }

    @Test("headless Chromium loads the page; the verdict is in the rendered page and in a screenshot",
          .enabled(if: ClientCheckServiceTests.chromiumPath != nil))
    func chromiumScreenshot() async throws {
        let browser = try #require(Self.chromiumPath)
        try await withGateway(yaml: clientCheckYAML) { h in
            let url = "https://localhost:\(h.checkPort)/"
            let flags = ["--headless", "--no-sandbox", "--disable-gpu", "--ignore-certificate-errors", "--no-first-run",
                         "--disable-dev-shm-usage", "--user-data-dir=\(try TestScratch.makeDirectory(prefix: "chromium").path)"]
            let dom = try TestProcess.run(browser, flags + ["--dump-dom", url], timeout: 120)
            #expect(dom.stdout.contains("Yes — your client will still connect after <span class=\"date\">2026-06-30</span>."), "\(dom.stderr.suffix(2000))")
            // The screenshot goes where a person can look at it: .build/artifacts/ by default.
            let artifacts = ProcessInfo.processInfo.environment["TLSGUARD_ARTIFACTS"]
                ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../.build/artifacts").standardized.path
            try FileManager.default.createDirectory(atPath: artifacts, withIntermediateDirectories: true)
            let png = artifacts + "/clientcheck-chromium.png"
            try? FileManager.default.removeItem(atPath: png)
            let shot = try TestProcess.run(browser, flags + ["--screenshot=\(png)", "--window-size=1200,1000", url], timeout: 120)
            let size = (try? FileManager.default.attributesOfItem(atPath: png)[.size] as? Int) ?? 0
            #expect(size > 10_000, "\(shot.stderr.suffix(2000))")
            let data = try Data(contentsOf: URL(fileURLWithPath: png))
            #expect(data.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        }
    }

    static let chromiumPath: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }
}

/// The JSON the check writes against `docs/clientcheck-schema.json`, with a small validator for
/// the schema's own subset (type, required, properties, additionalProperties, items, enum, const).
@Suite("Client check JSON schema")
struct ClientCheckSchemaTests {
    static func schema() throws -> [String: Any] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/clientcheck-schema.json")
        return try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    /// Problems with `value` under `schema`, each naming the JSON path.
    static func validate(_ value: Any, _ schema: [String: Any], path: String = "$") -> [String] {
        var problems: [String] = []
        if let allowed = schema["enum"] as? [String], !allowed.contains(value as? String ?? "\u{0}") {
            problems.append("\(path): \(value) not in \(allowed)")
        }
        if let constant = schema["const"] as? Int, (value as? Int) != constant { problems.append("\(path): not \(constant)") }
        let types: [String] = (schema["type"] as? [String]) ?? ((schema["type"] as? String).map { [$0] } ?? [])
        if !types.isEmpty {
            // Foundation on Linux bridges JSON numbers and booleans both ways (0 `is Bool`, true
            // `is Int`): a value may count as either.
            var actual: Set<String> = []
            if value is NSNull { actual.insert("null") }
            if value is Bool { actual.insert("boolean") }
            if value is Int { actual.insert("integer") }
            if value is String { actual.insert("string") }
            if value is [Any] { actual.insert("array") }
            if value is [String: Any] { actual.insert("object") }
            if actual.isDisjoint(with: types) { problems.append("\(path): \(actual.sorted()), expected \(types)") }
        }
        if let object = value as? [String: Any] {
            let properties = schema["properties"] as? [String: Any] ?? [:]
            for key in schema["required"] as? [String] ?? [] where object[key] == nil { problems.append("\(path).\(key): missing") }
            for (key, v) in object {
                if let sub = properties[key] as? [String: Any] {
                    problems += validate(v, sub, path: "\(path).\(key)")
                } else if let extra = schema["additionalProperties"] as? [String: Any] {
                    problems += validate(v, extra, path: "\(path).\(key)")
                } else if schema["additionalProperties"] as? Bool == false {
                    problems.append("\(path).\(key): not in the schema")
                }
            }
        }
        if let array = value as? [Any], let items = schema["items"] as? [String: Any] {
            for (i, v) in array.enumerated() { problems += validate(v, items, path: "\(path)[\(i)]") }
        }
        return problems
    }

    @Test("live and lookup reports follow the schema")
    func reportsFollowSchema() async throws {
        let schema = try Self.schema()
        try await withGateway(yaml: clientCheckYAML) { h in
            for tls in ["1.0", "1.3"] {
                let j = try #require(try TestHTTPS.curl(port: h.checkPort, path: "/api/v1/check", tls: tls).json())
                #expect(Self.validate(j, schema) == [], "TLS \(tls)")
            }
            let lookupPort = try #require(h.gateway.lookupPort)
            let r = TestHTTPS.parse(try TestProcess.run("/usr/bin/curl", ["-sS", "-i", "http://127.0.0.1:\(lookupPort)/api/v1/check"], timeout: 10))
            let j = try #require(r.json())
            #expect(Self.validate(j, schema) == [])
            #expect(j["connection"] != nil)
            // The validator itself catches a wrong document.
            #expect(!Self.validate(["schema_version": 2], schema).isEmpty)
        }
    }
}

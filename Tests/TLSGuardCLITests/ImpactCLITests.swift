import Foundation
import Testing
@testable import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// `tlsguard impact` on records the release gateway wrote for real clients (curl, openssl
/// s_client): who a tested policy would refuse, judged by replaying the stored ClientHellos.
@Suite("tlsguard impact", .serialized)
struct ImpactCLITests {
    /// One gateway run in warn mode (everyone connects today) with API keys recorded; the
    /// records and the config folder stay for the tests.
    struct Recorded: Sendable {
        var directory: URL
        var database: String
        var config: String
    }

    /// Records of: 3 × curl TLS 1.0 (key legacy-key), 2 × curl TLS 1.3 (modern-key), 1 × curl TLS 1.2
    /// offering only ECDHE-ECDSA-AES128-GCM-SHA256 (narrow-key), 1 × s_client TLS 1.1 (no request).
    static let recorded: Result<Recorded, any Error> = Result {
        try TestTools.requireOpenSSL()
        let port = try TestSocket.freePort()
        let adminPort = try TestSocket.freePort()
        let (directory, path) = try GatewayCLITests.makeConfig(
            port: port, upstreamPort: try closedPort(), mode: "warn",
            extra: "admin: {address: \"127.0.0.1:\(adminPort)\"}")
        var yaml = try String(contentsOfFile: path, encoding: .utf8)
        yaml = yaml.replacingOccurrences(of: "records: {database: records.sqlite}",
                                         with: "records: {database: records.sqlite, apiKeyHeader: X-API-Key, gateway: edge-1}")
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        let gateway = try CLI.launch(["gateway", "--config", path, "--log-level", "error"])
        defer {
            if gateway.isRunning { kill(gateway.processIdentifier, SIGTERM) }
            for _ in 0..<200 where gateway.isRunning { usleep(50_000) }
            TestChildProcesses.unregister(gateway.processIdentifier)
        }
        for _ in 0..<200 where !TestSocket.canConnect(port: adminPort) { usleep(50_000) }
        for _ in 0..<3 {
            _ = try TestHTTPS.curl(port: port, tls: "1.0", headers: ["X-API-Key: legacy-key"], extra: ["-A", "legacy-app/1.0"])
        }
        for _ in 0..<2 {
            _ = try TestHTTPS.curl(port: port, tls: "1.3", headers: ["X-API-Key: modern-key"], extra: ["-A", "modern-app/2.0"])
        }
        _ = try TestHTTPS.curl(port: port, tls: "1.2", headers: ["X-API-Key: narrow-key"],
                               extra: ["-A", "narrow-app/1.0", "--ciphers", "ECDHE-ECDSA-AES128-GCM-SHA256"])
        _ = try TestHTTPS.sClient(port: port, versionFlag: "-tls1_1", extra: ["-cipher", "DEFAULT:@SECLEVEL=0"])
        kill(gateway.processIdentifier, SIGTERM)
        for _ in 0..<200 where gateway.isRunning { usleep(50_000) }
        return Recorded(directory: directory, database: directory.appendingPathComponent("records.sqlite").path, config: path)
    }

    /// A variant of the recorded gateway's config: `policy` replaces the policy line, `extra` is appended.
    static func variant(_ r: Recorded, policy: String, extra: String = "") throws -> String {
        var yaml = try String(contentsOfFile: r.config, encoding: .utf8)
        yaml = yaml.split(separator: "\n").map { $0.hasPrefix("policy:") ? Substring(policy) : $0 }.joined(separator: "\n")
        yaml += "\n" + extra + "\n"
        let path = r.directory.appendingPathComponent("variant-\(UUID().uuidString.prefix(6)).yaml").path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not JSON: \(text)")
    }

    static func groups(_ report: [String: Any]) -> [String: [String: Any]] {
        let list = report["groups"] as? [[String: Any]] ?? []
        return Dictionary(list.map { ($0["key"] as? String ?? "?", $0) }, uniquingKeysWith: { a, _ in a })
    }

    static let legacyKey = "sha256:" + sha256("legacy-key")
    static let modernKey = "sha256:" + sha256("modern-key")
    static let narrowKey = "sha256:" + sha256("narrow-key")

    static func sha256(_ s: String) -> String {
        let r = try? TestProcess.run("/bin/sh", ["-c", "printf %s '\(s)' | sha256sum"], timeout: 5)
        return String(r?.stdout.prefix(64) ?? "")
    }

    @Test("--min TLSv1.2: the TLS 1.0 and 1.1 clients, by API key, with counts; exit 1")
    func minimumVersion() throws {
        let r = try Self.recorded.get()
        let run = try CLI.run(["impact", "--db", r.database, "--min", "TLSv1.2", "--format", "json"])
        #expect(run.status == 1, "\(run.stderr)")
        let report = try Self.json(run.stdout)
        let totals = try #require(report["totals"] as? [String: Any])
        #expect(totals["connections"] as? Int == 7)
        #expect(totals["refusedConnections"] as? Int == 4, "3 TLS 1.0 curls and the TLS 1.1 s_client")
        #expect(totals["refusedRequests"] as? Int == 3)
        #expect(totals["apiKeys"] as? Int == 1)
        #expect(totals["connectionsReplayed"] as? Int == 7, "every connection has its stored hello")
        #expect(totals["connectionsByVersionOnly"] as? Int == 0)
        #expect(totals["distinctHellosReplayed"] as? Int == 4, "7 connections, 4 distinct hellos: each stored once")
        #expect(report["groupedBy"] as? String == "apikey")
        let groups = Self.groups(report)
        #expect(Set(groups.keys) == [Self.legacyKey, "(no API key)"], "\(groups.keys)")
        let legacy = try #require(groups[Self.legacyKey])
        #expect(legacy["connections"] as? Int == 3)
        #expect(legacy["requests"] as? Int == 3)
        #expect(legacy["maxVersions"] as? [String] == ["TLS 1.0"])
        #expect(legacy["userAgents"] as? [String] == ["legacy-app/1.0"])
        // Named from the shipped client table (curl's TLS 1.0 hello), with curl's fix.
        #expect((legacy["clients"] as? [String])?.first?.hasPrefix("curl 7.88") == true, "\(legacy)")
        #expect((legacy["fixes"] as? [String])?.first?.contains("curl 7.34") == true, "\(legacy)")
        #expect((legacy["reasons"] as? [String])?.first?.contains("below the minimum TLS 1.2") == true, "\(legacy)")
        #expect((legacy["fixes"] as? [String])?.isEmpty == false)
        #expect(groups["(no API key)"]?["maxVersions"] as? [String] == ["TLS 1.1"])

        // Records name their gateway (records.gateway): a filter by another name leaves nothing.
        let other = try CLI.run(["impact", "--db", r.database, "--min", "TLSv1.2", "--gateway", "edge-2"])
        #expect(other.status == 0)
        #expect(other.stdout.contains("No connections in this window."))
        let named = try CLI.run(["impact", "--db", r.database, "--min", "TLSv1.2", "--gateway", "edge-1", "--format", "json"])
        #expect((try Self.json(named.stdout)["totals"] as? [String: Any])?["connections"] as? Int == 7)

        let text = try CLI.run(["impact", "--db", r.database, "--min", "TLSv1.2"])
        #expect(text.status == 1)
        #expect(text.stdout.contains("57.1 % of connections would be refused (4 of 7, 3 requests)"), "\(text.stdout)")
        #expect(text.stdout.contains("By API key (2):"))
        #expect(text.stdout.split(separator: "\n").allSatisfy { $0.count <= 100 })
    }

    @Test("--config with a narrower cipher list: the TLS 1.2 client whose only suite is dropped breaks (replayed, not guessed)")
    func cipherTightening() throws {
        let r = try Self.recorded.get()
        let config = try Self.variant(
            r, policy: "policy: {default: {minimumVersion: TLSv1.2, mode: enforce}}",
            extra: "tls: {strictCiphers: \"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305\"}")
        let run = try CLI.run(["impact", "--db", r.database, "--config", config, "--format", "json"])
        #expect(run.status == 1, "\(run.stderr)")
        let groups = Self.groups(try Self.json(run.stdout))
        let narrow = try #require(groups[Self.narrowKey], "\(groups.keys)")
        #expect((narrow["reasons"] as? [String])?.first?.hasPrefix("no cipher suite in common") == true, "\(narrow)")
        #expect(narrow["offeredSuites"] as? [String] == ["TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"])
        #expect(groups[Self.modernKey] == nil, "TLS 1.3 suites are not touched by strictCiphers")
        #expect(groups[Self.legacyKey] != nil)
    }

    @Test("--config with an API-key exception: that key keeps working, the keyless TLS 1.1 client does not")
    func apiKeyException() throws {
        let r = try Self.recorded.get()
        let config = try Self.variant(
            r, policy: "policy: {default: {minimumVersion: TLSv1.2, mode: warn, cutoff: 2026-01-01}}",
            extra: "exceptions: [{name: legacy-partner, apiKey: legacy-key, expires: 2099-01-01}]")
        let run = try CLI.run(["impact", "--db", r.database, "--config", config, "--format", "json"])
        #expect(run.status == 1, "\(run.stderr)")
        let groups = Self.groups(try Self.json(run.stdout))
        #expect(groups[Self.legacyKey] == nil, "the exception lets legacy-key through")
        let keyless = try #require(groups["(no API key)"])
        #expect((keyless["reasons"] as? [String])?.first?.contains("deprecation answer") == true, "\(keyless)")
    }

    @Test("--at inside a brownout window refuses legacy clients; outside it nobody (exit 0)")
    func brownoutWindow() throws {
        let r = try Self.recorded.get()
        let config = try Self.variant(
            r, policy: "policy: {default: {minimumVersion: TLSv1.2, mode: warn, cutoff: 2099-01-01, brownouts: [{start: 2098-05-01T14:00:00Z, end: 2098-05-01T15:00:00Z}]}}")
        let inside = try CLI.run(["impact", "--db", r.database, "--config", config, "--at", "2098-05-01T14:30:00Z", "--format", "json"])
        #expect(inside.status == 1, "\(inside.stderr)")
        let totals = try #require(try Self.json(inside.stdout)["totals"] as? [String: Any])
        #expect(totals["refusedConnections"] as? Int == 4)
        let outside = try CLI.run(["impact", "--db", r.database, "--config", config, "--at", "2098-05-01T16:00:00Z"])
        #expect(outside.status == 0, "\(outside.stdout)\(outside.stderr)")
        #expect(outside.stdout.contains("No client would be refused"))
    }

    @Test("--by ip and --format csv: one row per group, RFC 4180")
    func csvByAddress() throws {
        let r = try Self.recorded.get()
        let run = try CLI.run(["impact", "--db", r.database, "--min", "TLSv1.2", "--by", "ip", "--format", "csv"])
        #expect(run.status == 1, "\(run.stderr)")
        let rows = run.stdout.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        #expect(rows.first?.hasPrefix("key,connections,requests,share_percent,") == true)
        #expect(rows.count == 2, "one address: 127.0.0.1\n\(run.stdout)")
        #expect(rows.last?.hasPrefix("127.0.0.1,4,3,57.143,") == true, "\(rows)")
    }

    @Test("--nginx-log: clients judged by the version they negotiated; the log's limits are said; a bad line is a warning")
    func nginxLog() throws {
        let folder = NSTemporaryDirectory() + "tlsguard-impact-log-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let log = folder + "/access.log"
        let format = #"$remote_addr [$time_local] "$request" $status $ssl_protocol $ssl_cipher "$http_user_agent" "$http_x_api_key""#
        let lines = [
            #"192.0.2.7 [03/Dec/2026:10:00:00 +0000] "GET /v1 HTTP/1.1" 200 TLSv1 ECDHE-RSA-AES128-SHA "curl/7.29.0" "k1""#,
            #"192.0.2.7 [03/Dec/2026:10:00:01 +0000] "GET /v1 HTTP/1.1" 200 TLSv1 ECDHE-RSA-AES128-SHA "curl/7.29.0" "k1""#,
            #"198.51.100.2 [03/Dec/2026:10:00:02 +0000] "GET /v1 HTTP/1.1" 200 TLSv1.3 TLS_AES_128_GCM_SHA256 "okhttp/4.12.0" "k2""#,
            "this is not a log line",
        ]
        try (lines.joined(separator: "\n") + "\n").write(toFile: log, atomically: true, encoding: .utf8)
        let run = try CLI.run(["impact", "--nginx-log", log, "--log-format", format, "--api-key-field", "$http_x_api_key",
                               "--since", "2026-12-01", "--until", "2026-12-05", "--min", "TLSv1.2", "--format", "json"])
        #expect(run.status == 1, "\(run.stderr)")
        #expect(run.stderr.contains("warning: ") && run.stderr.contains(":4"), "the bad line, by number: \(run.stderr)")
        let report = try Self.json(run.stdout)
        let totals = try #require(report["totals"] as? [String: Any])
        #expect(totals["connections"] as? Int == 3)
        #expect(totals["refusedConnections"] as? Int == 2)
        #expect(totals["connectionsByVersionOnly"] as? Int == 3)
        let groups = Self.groups(report)
        let k1 = try #require(groups["sha256:" + Self.sha256("k1")], "\(groups.keys)")
        #expect(k1["maxVersions"] as? [String] == ["TLS 1.0"])
        #expect((k1["clients"] as? [String])?.first?.contains("curl") == true, "named by its user agent: \(k1)")
        let limitations = report["limitations"] as? [String] ?? []
        #expect(limitations.contains { $0.contains("refused") }, "a log has no refused handshakes: \(limitations)")

        let missing = try CLI.run(["impact", "--nginx-log", folder + "/nope.log"])
        #expect(missing.status == 64)
        #expect(missing.stderr.contains("nope.log"), "\(missing.stderr)")
        let both = try CLI.run(["impact", "--db", log, "--nginx-log", log])
        #expect(both.status == 64)
        #expect(both.stderr.contains("give one source"))
    }

    @Test("bad input: one line naming it, exit 64 (usage) or 2 (unreadable records)", arguments: [
        (["impact"], 64, "--db FILE"),
        (["impact", "--db", "/nonexistent/records.sqlite"], 64, "cannot read /nonexistent/records.sqlite"),
        (["impact", "--db", "/etc/hostname", "--min", "TLSv9"], 64, "--min 'TLSv9' is not"),
        (["impact", "--db", "/etc/hostname", "--at", "2027-01-01"], 64, "--at needs --config"),
        (["impact", "--db", "/etc/hostname", "--since", "yesterday"], 64, "--since 'yesterday'"),
        (["impact", "--db", "GARBAGE"], 2, "GARBAGE: "),
        (["impact", "--postgres", "mysql://u:secret@h/db"], 64, "--postgres: "),
        (["impact", "--postgres", "postgres://u:secret@127.0.0.1:1/db"], 2, "cannot read gateway records in postgres://u:"),
    ])
    func badInput(arguments: [String], status: Int32, message: String) throws {
        // GARBAGE: a file that is not a database (made here: opening it must not touch a real file).
        let garbage = NSTemporaryDirectory() + "tlsguard-impact-garbage-\(UUID().uuidString.prefix(6))"
        try "not a database\n".write(toFile: garbage, atomically: true, encoding: .utf8)
        let run = try CLI.run(arguments.map { $0 == "GARBAGE" ? garbage : $0 })
        let message = message.replacingOccurrences(of: "GARBAGE", with: garbage)
        #expect(run.status == status, "\(run.stdout)\(run.stderr)")
        #expect(run.stderr.contains(message), "\(run.stderr)")
        #expect(run.stdout.isEmpty)
        #expect(!run.stderr.contains("secret"), "a password never in an error")
    }
}

import Foundation
import Testing
@testable import TestSupport

/// `tlsguard scan` (the release binary) against servers that stall, drip, reset, send garbage or
/// giant lengths, never stop, or lie about suites and versions (Peers/hostile_server.py). Each
/// scan ends in bounded time, exits 2 with one line on stderr naming the target, and no version
/// says "not offered" and no finding says "ok" on the strength of an answer that never came.
/// "Bounded time" is the CLI runner's timeout, not a wall-clock assertion.
@Suite("tlsguard scan against hostile servers", .serialized)
struct HostileServerCLITests {
    struct Scan {
        var status: Int32
        var stdout: String
        var stderr: String
        var json: [String: Any]
        var target: [String: Any]
        var protocols: [[String: Any]] { target["protocols"] as? [[String: Any]] ?? [] }
        var weaknesses: [[String: Any]] { target["weaknesses"] as? [[String: Any]] ?? [] }
        var status_: String? { (target["status"] as? [String: Any])?["status"] as? String }
    }

    func scan(_ mode: String) throws -> Scan {
        let peer = try ScriptedPeer.start("hostile_server.py", arguments: [mode])
        defer { peer.stop() }
        let r = try CLI.run(["scan", "127.0.0.1:\(peer.port)", "--timeout", "1", "--no-http", "--format", "json"], timeout: 90)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(mode): \(r.stdout) \(r.stderr)")
        let target = try #require((json["targets"] as? [[String: Any]])?.first)
        // No library build paths, Foundation error domains or raw control bytes from the peer.
        for text in [r.stdout, r.stderr] {
            #expect(!text.contains(".build/") && !text.contains("Error Domain"), "\(mode): \(text)")
            #expect(!text.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" }, "\(mode): control bytes")
        }
        return Scan(status: r.status, stdout: r.stdout, stderr: r.stderr, json: json, target: target)
    }

    /// Servers whose every answer is broken: the target could not be scanned.
    @Test("every probe fails: could not be scanned, exit 2", arguments: [
        ("silent", "no answer to a ClientHello within 1 s"),
        ("garbage", "could not be scanned"),
        ("stall-record", "could not be scanned"),
        ("drip", "could not be scanned"),
        ("rst", "connection reset by peer"),
        ("giant-record", "could not be scanned"),
        ("giant-handshake", "could not be scanned"),
        ("endless", "could not be scanned"),
        ("unoffered-suite", "could not be scanned"),
    ])
    func unscannable(mode: String, expected: String) throws {
        let s = try scan(mode)
        #expect(s.status == 2, "\(mode): \(s.stderr)")
        let lines = s.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(mode): \(s.stderr)")
        #expect(lines.first?.hasPrefix("tlsguard: 127.0.0.1:") == true, "\(mode): \(s.stderr)")
        #expect(s.stderr.contains(expected), "\(mode): \(s.stderr)")
        #expect(!s.stderr.contains(".build/"), "no build paths: \(s.stderr)")
        #expect(s.status_ == "error", "\(mode)")
        #expect(s.target["grade"] == nil, "\(mode): no grade for what could not be seen")
        for p in s.protocols {
            #expect(p["supported"] as? Bool != true, "\(mode): \(p)")
        }
        if mode == "unoffered-suite" {
            #expect(s.target["defaultNegotiation"] == nil, "a suite never offered is not a negotiation")
            let anomalies = s.target["anomalies"] as? [String] ?? []
            #expect(anomalies.contains { $0.contains("0x82DE") && $0.contains("did not offer") }, "\(anomalies)")
        }
    }

    /// A server that answers every hello with TLS 1.2: TLS 1.2 is seen, the older versions are
    /// errors (never "not offered"), and the findings that need them are not evaluated.
    @Test("a server that answers with a version it was not asked for: incomplete scan, exit 2")
    func unofferedVersion() throws {
        let s = try scan("unoffered-version")
        #expect(s.status == 2, "\(s.stderr)")
        #expect(s.stderr.contains("incomplete scan: "), "\(s.stderr)")
        #expect(s.stderr.split(separator: "\n").count == 1, "\(s.stderr)")
        func version(_ name: String) -> [String: Any]? { s.protocols.first { $0["version"] as? String == name } }
        #expect(version("TLSv1.2")?["supported"] as? Bool == true)
        for name in ["SSLv3", "TLSv1.0", "TLSv1.1"] {
            let check = version(name)?["check"] as? [String: Any]
            #expect(check?["status"] as? String == "error", "\(name): \(String(describing: version(name)))")
            #expect((check?["reason"] as? String)?.contains("a version it was not offered") == true)
        }
        for id in ["beast", "poodle", "rc4", "sweet32"] {
            let f = s.weaknesses.first { $0["id"] as? String == id }
            #expect((f?["check"] as? [String: Any])?["status"] as? String == "notEvaluated", "\(id): \(String(describing: f))")
            #expect(f?["vulnerable"] == nil)
        }
        let notEvaluated = (s.target["grade"] as? [String: Any])?["notEvaluated"] as? [String] ?? []
        #expect(notEvaluated.contains { $0.hasPrefix("TLSv1.0") }, "\(notEvaluated)")
    }

    /// A ServerHello followed by a 2 MB Certificate message: bounded memory and time, and nothing
    /// that needed the flight is "ok".
    @Test("a huge certificate chain: the checks that need it are errors, not ok")
    func hugeChain() throws {
        let s = try scan("huge-chain")
        #expect(s.status != 0, "\(s.stderr)")
        for id in ["heartbleed", "secure_renegotiation", "ccs_injection"] {
            let f = s.weaknesses.first { $0["id"] as? String == id }
            let status = (f?["check"] as? [String: Any])?["status"] as? String
            #expect(status != "completed" || f?["vulnerable"] as? Bool == true, "\(id): \(String(describing: f))")
        }
    }
}

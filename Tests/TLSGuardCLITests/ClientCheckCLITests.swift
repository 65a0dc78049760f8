import Foundation
import Testing
@testable import TestSupport

/// `tlsguard clientcheck` through the built binary: usage errors, a real run with the lookup, and
/// the demo's client-check part.
@Suite("tlsguard clientcheck", .serialized)
struct ClientCheckCLITests {
    @Test("usage errors exit 64 with one line naming the flag", arguments: [
        (["clientcheck"], "--cert"),
        (["clientcheck", "--cert", "/nonexistent.pem", "--key", "/nonexistent.key"], "--cert: cannot read /nonexistent.pem"),
        (["clientcheck", "--cert", "/etc/hostname", "--key", "/etc/hostname", "--minimum", "TLSv9"], "--minimum 'TLSv9'"),
        (["clientcheck", "--cert", "/etc/hostname", "--key", "/etc/hostname", "--cutoff", "soon"], "--cutoff 'soon' is not a date"),
        (["clientcheck", "--cert", "/etc/hostname", "--key", "/etc/hostname", "--listen", "nowhere"], "--listen 'nowhere'"),
        (["clientcheck", "--config", "/etc/hostname", "--cutoff", "2027-01-01"], "with --config the config's policies apply"),
        (["clientcheck", "--config", "/nonexistent.yaml"], "--config: cannot read /nonexistent.yaml"),
    ])
    func usage(arguments: [String], mention: String) throws {
        let r = try CLI.run(arguments)
        #expect(r.status == 64)
        #expect(r.stderr.contains(mention), "\(r.stderr)")
    }

    @Test("a certificate that is not PEM: exit 64 with one line naming the file")
    func badCertificate() throws {
        let r = try CLI.run(["clientcheck", "--cert", "/etc/hostname", "--key", "/etc/hostname", "--listen", "127.0.0.1:0"])
        #expect(r.status == 64)
        #expect(r.stderr.contains("/etc/hostname is not a PEM certificate chain"), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1)
    }

    /// Starts `tlsguard clientcheck ARGUMENTS` (SIGTERM unblocked for it) and waits until a TLS 1.3
    /// client gets an answer on `port`; returns the process, its stderr and that first answer.
    func start(_ arguments: [String], port: Int) throws -> (Process, Pipe, [String: Any]) {
        let err = Pipe()
        let process = try CLI.launch(["clientcheck"] + arguments + ["--log-level", "warning"], stderr: err)
        var modern: CurlResult?
        for _ in 0..<100 where modern?.status != 200 && process.isRunning {
            usleep(50_000)
            modern = try? TestHTTPS.curl(port: port, path: "/api/v1/check", tls: "1.3", timeout: 5)
        }
        guard let json = modern?.json() else {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            throw TestSupportError.processFailed(command: "tlsguard clientcheck", status: -1,
                                                 output: String(decoding: err.fileHandleForReading.availableData, as: UTF8.self))
        }
        return (process, err, json)
    }

    @Test("--config: judged by a gateway config's policy for --policy-host")
    func withGatewayConfig() throws {
        let cert = try TestCertificate.rsa()
        let port = try TestSocket.freePort()
        let dir = try TestScratch.makeDirectory(prefix: "clientcheck-config")
        let config = dir.appendingPathComponent("gateway.yaml").path
        try """
            listeners: [{address: "127.0.0.1:1"}]
            upstream: {address: "127.0.0.1:2"}
            certificates: [{default: true, chain: \(cert.certPath), key: \(cert.keyPath)}]
            policy:
              hosts:
                api.example.com: {minimumVersion: TLSv1.3, mode: enforce}
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let (process, _, _) = try start(["--listen", "127.0.0.1:\(port)", "--config", config, "--policy-host", "api.example.com"], port: port)
        defer { kill(process.processIdentifier, SIGKILL) }
        let r = try TestHTTPS.curl(port: port, path: "/api/v1/check", tls: "1.2")
        let j = try #require(r.json(), "\(r.stderr)")
        let policy = try #require(j["policy"] as? [String: Any])
        #expect(policy["name"] as? String == "hosts[api.example.com]")
        #expect(policy["host"] as? String == "api.example.com")
        #expect((policy["now"] as? [String: Any])?["will_connect"] as? Bool == false)
        #expect(j["verdict"] as? String == "will connect: no — maximum version TLS 1.2; upgrade to TLS 1.3 or newer")
    }

    @Test("runs: TLS 1.0 and TLS 1.3 clients are told; the lookup answers over plain HTTP; SIGTERM exits 0")
    func run() throws {
        let cert = try TestCertificate.rsa()
        let port = try TestSocket.freePort()
        let lookupPort = try TestSocket.freePort()
        let (process, err, m) = try start(["--listen", "127.0.0.1:\(port)", "--cert", cert.certPath, "--key", cert.keyPath,
                                           "--lookup", "127.0.0.1:\(lookupPort)", "--cutoff", "2030-01-01"], port: port)
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        #expect((m["verdict"] as? String)?.hasPrefix("will connect after 2030-01-01: yes — TLS 1.3 with TLS_") == true)
        let legacy = try TestHTTPS.curl(port: port, path: "/api/v1/check", tls: "1.0")
        let l = try #require(legacy.json(), "\(legacy.stderr)")
        #expect(l["verdict"] as? String == "will connect after 2030-01-01: no — maximum version TLS 1.0; upgrade to TLS 1.2 or newer")
        #expect(l["rating"] as? String == "Bad")
        // The lookup shows the last hello from 127.0.0.1: the TLS 1.0 one.
        let lookup = TestHTTPS.parse(try TestProcess.run("/usr/bin/curl", ["-sS", "-i", "http://127.0.0.1:\(lookupPort)/api/v1/check"], timeout: 10))
        #expect(lookup.status == 200)
        #expect(lookup.json()?["tls_version"] as? String == "TLS 1.0")
        #expect(lookup.json()?["source"] as? String == "lookup")

        kill(process.processIdentifier, SIGTERM)
        for _ in 0..<200 where process.isRunning { usleep(50_000) }
        #expect(!process.isRunning)
        #expect(process.terminationStatus == 0, "\(String(decoding: err.fileHandleForReading.availableData, as: UTF8.self))")
    }

    @Test("demo: the client check part tells a TLS 1.0 client no and a TLS 1.3 client yes")
    func demo() throws {
        let r = try CLI.run(["demo"])
        #expect(r.status == 0, "\(r.stderr)")
        let part = try #require(r.stdout.range(of: "the client check on https://127.0.0.1:").map { String(r.stdout[$0.lowerBound...]) })
        #expect(part.contains("TLS 1.0 client  offers up to TLS 1.0, got TLS 1.0"))
        #expect(part.contains("rating (How's My SSL rules): Bad"))
        #expect(part.contains(": no — maximum version TLS 1.0; upgrade to TLS"))
        #expect(part.contains("TLS 1.3 client  offers up to TLS 1.3, got TLS 1.3"))
        #expect(part.contains(": yes — TLS 1.3 with TLS_"))
    }
}

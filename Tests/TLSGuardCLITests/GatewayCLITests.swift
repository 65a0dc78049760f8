import Foundation
import Testing
@testable import TestSupport
import TLSDemo

#if canImport(Glibc)
import Glibc
#endif

/// `tlsguard gateway` through the built binary: config errors, --check-config, and a real run
/// with SIGHUP (reload) and SIGTERM (drain, exit 0).
@Suite("tlsguard gateway command line", .serialized)
struct GatewayCLITests {
    /// A directory with a certificate, a key and a config file using them.
    static func makeConfig(port: Int, upstreamPort: Int, mode: String = "warn", extra: String = "") throws -> (directory: URL, path: String) {
        let directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("tlsguard-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let cert = try DemoCertificate(keyType: .ecdsaP256)
        try cert.certificatePEM.write(to: directory.appendingPathComponent("cert.pem"), atomically: true, encoding: .utf8)
        try cert.privateKeyPEM.write(to: directory.appendingPathComponent("key.pem"), atomically: true, encoding: .utf8)
        let yaml = """
            listeners: [{name: public, address: "127.0.0.1:\(port)"}]
            upstream: {address: "127.0.0.1:\(upstreamPort)"}
            certificates: [{default: true, chain: cert.pem, key: key.pem}]
            policy: {default: {minimumVersion: TLSv1.2, mode: \(mode), cutoff: 2099-01-01}}
            records: {database: records.sqlite}
            \(extra)
            """
        let path = directory.appendingPathComponent("gateway.yaml").path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return (directory, path)
    }

    @Test("--check-config on a good file: exit 0 and a summary")
    func checkConfigOK() throws {
        let (_, path) = try Self.makeConfig(port: 8443, upstreamPort: 8080)
        let r = try CLI.run(["gateway", "--check-config", path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("\(path): ok"))
        #expect(r.stdout.contains("default: minimum TLS 1.2, warn, cutoff 2099-01-01T00:00:00Z"))
    }

    @Test("bad config files: exit 64 with one line naming the file and the problem", arguments: [
        ("policy: {default: {mode: sometimes}}", "policy.default.mode: 'sometimes' is not one of observe, warn, brownout, enforce"),
        ("tls: {maxHelloBytes: 5}", "tls.maxHelloBytes: '5' is not a whole number"),
        ("colour: blue", "colour: unknown setting"),
    ])
    func badConfig(extra: String, expected: String) throws {
        // The extra line overrides or adds a top-level key; YAML rejects duplicate keys, so 'policy' replaces the line.
        let (_, path) = try Self.makeConfig(port: 8443, upstreamPort: 8080, extra: extra)
        var text = try String(contentsOfFile: path, encoding: .utf8)
        if extra.hasPrefix("policy:") {
            text = text.split(separator: "\n").filter { !$0.hasPrefix("policy: {default: {minimumVersion") }.joined(separator: "\n")
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        }
        for option in ["--check-config", "--config"] {
            let r = try CLI.run(["gateway", option, path])
            #expect(r.status == 64, "\(option): \(r.stderr)")
            let lines = r.stderr.split(separator: "\n")
            #expect(lines.count == 1, "\(r.stderr)")
            #expect(lines.first?.hasPrefix("tlsguard: \(path): ") == true, "\(r.stderr)")
            #expect(r.stderr.contains(expected), "\(r.stderr)")
        }
    }

    @Test("a missing file and missing options are usage errors")
    func usage() throws {
        let missing = try CLI.run(["gateway", "--check-config", "/nonexistent/gateway.yaml"])
        #expect(missing.status == 64)
        #expect(missing.stderr.hasPrefix("tlsguard: /nonexistent/gateway.yaml: cannot read the file"))
        let neither = try CLI.run(["gateway"])
        #expect(neither.status == 64)
        #expect(neither.stderr.contains("--config"))
    }

    @Test("a listener address in use: exit 1 with a one-line reason")
    func addressInUse() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        listen(fd, 1)
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        let port = Int(UInt16(bigEndian: addr.sin_port))
        let (_, path) = try Self.makeConfig(port: port, upstreamPort: 8080)
        let r = try CLI.run(["gateway", "--config", path, "--log-level", "critical"], timeout: 30)
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stderr.contains("gateway failed: cannot listen on 127.0.0.1:\(port) (public): Address already in use"), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
    }

    @Test("demo: the gateway part shows warn, the refusal after the cutoff, and the records")
    func demo() throws {
        let r = try CLI.run(["demo"])
        #expect(r.status == 0, "\(r.stderr)")
        let text = r.stdout
        #expect(text.contains("tlsguard demo: the gateway on 127.0.0.1:"))
        #expect(text.contains("TLS 1.3 client, today             200 OK"))
        #expect(text.contains("TLS 1.0 client, today             200 OK"))
        #expect(text.contains("Sunset: "))
        #expect(text.contains("TLS 1.0 client, after the cutoff  refused: TLS alert protocol_version (70)"))
        #expect(text.contains("TLSv1.0  -        refused          default.cutoff          t10d"))
        for line in text.split(separator: "\n") { #expect(line.count <= 100, "too wide: \(line)") }
        let json = try CLI.run(["demo", "--format", "json"])
        #expect(!json.stdout.contains("the gateway on"), "JSON output stays a scan report")
    }

    @Test("runs: serves, reloads on SIGHUP, drains and exits 0 on SIGTERM, records kept")
    func runWithSignals() throws {
        let port = try TestSocket.freePort()
        let upstreamPort = try closedPort()
        let (directory, path) = try Self.makeConfig(port: port, upstreamPort: upstreamPort)
        let err = Pipe()
        let process = try CLI.launch(["gateway", "--config", path, "--log-level", "warning"], stderr: err)
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

        func curl(_ tls: String) throws -> (Int32, String) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
            var args = ["-sk", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5"]
            args += tls == "1.0" ? ["--tlsv1.0", "--tls-max", "1.0", "--ciphers", "DEFAULT:@SECLEVEL=0"] : ["--tlsv1.3"]
            args.append("https://127.0.0.1:\(port)/")
            p.arguments = args
            let out = Pipe()
            p.standardOutput = out
            p.standardError = FileHandle.nullDevice
            try p.run()
            p.waitUntilExit()
            return (p.terminationStatus, String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
        }
        var ready = false
        for _ in 0..<100 where !ready {
            usleep(50_000)
            ready = (try? curl("1.3").1) == "502"  // no upstream: the gateway answers 502
        }
        #expect(ready, "the gateway did not come up")
        #expect(try curl("1.0").1 == "502", "warn mode lets TLS 1.0 in")
        // Switch to enforce and reload.
        let text = try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: "mode: warn", with: "mode: enforce")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        kill(process.processIdentifier, SIGHUP)
        var enforced = false
        for _ in 0..<50 where !enforced {
            usleep(50_000)
            enforced = (try? curl("1.0").0) == 35
        }
        #expect(enforced, "SIGHUP reloaded the policy")
        #expect(process.isRunning)
        kill(process.processIdentifier, SIGTERM)
        for _ in 0..<200 where process.isRunning { usleep(50_000) }
        #expect(!process.isRunning)
        #expect(process.terminationStatus == 0, "\(String(decoding: err.fileHandleForReading.availableData, as: UTF8.self))")
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("records.sqlite").path))
    }
}

import Foundation
import Testing
import TLSDemo
@testable import TestSupport

/// Runs the built `tlsguard` binary and checks output and exit codes.
enum CLI {
    /// The release binary, which is what users run (optimiser-only bugs are caught here):
    /// `TLSGUARD_BINARY`, else `.build/release/tlsguard`, which `scripts/test` builds first.
    static let binary: URL = {
        if let path = ProcessInfo.processInfo.environment["TLSGUARD_BINARY"], !path.isEmpty { return URL(fileURLWithPath: path) }
        // Tests/TLSGuardCLITests/CLITests.swift → package root → .build/release/tlsguard
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/release/tlsguard")
    }()

    /// Fails the test with the command to run when the release binary has not been built.
    static func requireBinary() throws {
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw TestSupportError.processFailed(command: binary.path, status: -1,
                                                 output: "no release binary: run `swift build -c release --product tlsguard` (scripts/test does)")
        }
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Starts the binary in the background with its stderr in `stderr` and SIGTERM and SIGHUP
    /// unblocked (children inherit the test process's signal mask); registered for clean-up.
    static func launch(_ arguments: [String], stderr: Pipe? = nil) throws -> Process {
        try requireBinary()
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = stderr ?? FileHandle.nullDevice
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for s in [SIGTERM, SIGHUP] { sigaddset(&unblock, s) }
        var previous = sigset_t()
        pthread_sigmask(SIG_UNBLOCK, &unblock, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        try process.run()
        TestChildProcesses.register(process.processIdentifier)
        return process
    }

    static func run(_ arguments: [String], environment: [String: String] = [:], timeout: TimeInterval = 60) throws -> Result {
        try requireBinary()
        let p = Process()
        p.executableURL = binary
        p.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { $1 }
        p.environment = env
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        // Read both pipes while it runs so a large report cannot block it.
        let outData = TestBox<Data>()
        let errData = TestBox<Data>()
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) { outData.set(out.fileHandleForReading.readDataToEndOfFile()) }
        DispatchQueue.global().async(group: group) { errData.set(err.fileHandleForReading.readDataToEndOfFile()) }
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { usleep(10_000) }
        if p.isRunning {
            p.terminate()
            Issue.record("tlsguard \(arguments) did not finish within \(timeout) s")
        }
        p.waitUntilExit()
        group.wait()
        return Result(status: p.terminationStatus, stdout: String(decoding: outData.get() ?? Data(), as: UTF8.self),
                      stderr: String(decoding: errData.get() ?? Data(), as: UTF8.self))
    }
}

final class TestBox<T: Sendable>: @unchecked Sendable {
    // Guarded by `lock`; written once by a reader thread, read after the group is done.
    private var value: T?
    private let lock = NSLock()
    func set(_ v: T) { lock.lock(); value = v; lock.unlock() }
    func get() -> T? { lock.lock(); defer { lock.unlock() }; return value }
}


@Suite("tlsguard command line", .serialized)
struct CLITests {
    @Test func helpDocumentsExitCodes() throws {
        let r = try CLI.run(["scan", "--help"])
        #expect(r.status == 0)
        let flat = r.stdout.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
        #expect(flat.contains("Exit codes: 0 every target was scanned (and meets every selected profile), 1 a target fails a profile, 2 a target could not be scanned, 64 usage error."))
        #expect(r.stdout.contains("--format"))
    }

    @Test func version() throws {
        let r = try CLI.run(["--version"])
        #expect(r.status == 0)
        #expect(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".").count == 3)
    }

    @Test(arguments: [
        (["scan"], "target"),
        (["scan", "host:99999"], "invalid target 'host:99999'"),
        (["scan", "bad host"], "invalid target 'bad host'"),
        (["scan", "--timeout", "-1", "example.com"], "--timeout"),
        (["scan", "--concurrency", "0", "example.com"], "--concurrency"),
        (["scan", "--format", "xml", "example.com"], "xml"),
        (["scan", "--no-such-flag", "example.com"], "--no-such-flag"),
        (["scan", "::1:443"], "an IPv6 address needs brackets: write [::1]:443"),
        (["scan", "--sni", "bad\u{1B}[31mname", "example.com"], "--sni 'bad\\u{1B}[31mname' is not a host name: it contains control characters"),
        (["scan", "--sni", "127.0.0.1", "example.com"], "SNI cannot carry"),
        (["scan", "--sni", String(repeating: "a", count: 64) + ".com", "example.com"], "at most 63"),
        (["scan", String(repeating: "a.", count: 130) + "com"], "at most 253"),
        (["scan", "a.-bad.example.com:443"], "starts or ends with a hyphen"),
        (["scan", "--out", "/nonexistent-dir/report.json", "example.com"], "the folder '/nonexistent-dir' does not exist"),
        (["scan", "--out", "/tmp", "example.com"], "--out '/tmp' is a folder"),
        (["clientcheck", "--cert", "/etc/hostname", "--key", "/etc/hostname", "--listen", "::1:8443"], "write [::1]:8443"),
    ] as [([String], String)])
    func usageErrorsExit64(_ args: [String], _ mention: String) throws {
        let r = try CLI.run(args)
        #expect(r.status == 64, "\(args): \(r.stderr)")
        #expect(r.stderr.contains(mention), "\(r.stderr)")
        #expect(r.stdout.isEmpty)
    }

    @Test func missingCAFileIsAUsageError() throws {
        let r = try CLI.run(["scan", "127.0.0.1:1", "--ca-file", "/nonexistent/ca.pem"])
        #expect(r.status == 64)
        #expect(r.stderr.split(separator: "\n").count == 1)
        #expect(r.stderr.contains("/nonexistent/ca.pem"))
    }

    @Test func unreachableTargetExits2WithOneLine() throws {
        let port = try closedPort()
        let r = try CLI.run(["scan", "127.0.0.1:\(port)"])
        #expect(r.status == 2)
        let lines = r.stderr.split(separator: "\n")
        #expect(lines == ["tlsguard: 127.0.0.1:\(port): connection refused"])
        #expect(r.stdout.contains("could not be scanned"))
    }

    @Test func goodAndBadTargetsTogether() async throws {
        let server = try await DemoServer.start(.modern)
        let port = try closedPort()
        let r = try CLI.run(["scan", "127.0.0.1:\(port)", "127.0.0.1:\(server.port)", "--sni", "localhost", "--format", "json"])
        await server.stop()
        #expect(r.status == 2)
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        let targets = try #require(json?["targets"] as? [[String: Any]])
        #expect(targets.count == 2)
        #expect((targets[0]["status"] as? [String: Any])?["status"] as? String == "error")
        #expect((targets[1]["status"] as? [String: Any])?["status"] as? String == "completed")
    }

    @Test func jsonReportShape() async throws {
        let server = try await DemoServer.start(.legacy)
        let r = try CLI.run(["scan", "127.0.0.1:\(server.port)", "--sni", "localhost", "--format", "json"])
        await server.stop()
        #expect(r.status == 0, "\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(json["schemaVersion"] as? Int == 9)
        let target = try #require((json["targets"] as? [[String: Any]])?.first)
        let protocols = try #require(target["protocols"] as? [[String: Any]])
        #expect(protocols.map { $0["version"] as? String } == ["SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"])
        for p in protocols {
            // Every check says how it ended: never a silent absence.
            let check = try #require(p["check"] as? [String: Any])
            #expect(["completed", "error", "notRun"].contains(check["status"] as? String ?? ""))
            #expect(p["serverOrder"] != nil)
        }
        let weaknesses = try #require(target["weaknesses"] as? [[String: Any]])
        let ids = Set(((try schema()["$defs"] as? [String: Any])?["finding"] as? [String: Any]).flatMap { (($0["properties"] as? [String: Any])?["id"] as? [String: Any])?["enum"] as? [String] } ?? [])
        #expect(Set(weaknesses.compactMap { $0["id"] as? String }) == ids)
        let grade = try #require(target["grade"] as? [String: Any])
        #expect(grade["grade"] as? String == "T")
        #expect((target["compliance"] as? [[String: Any]]) == nil) // no --profile
        let certificates = try #require(target["certificates"] as? [String: Any])
        #expect((certificates["chains"] as? [Any])?.count == 1)
        #expect(((target["http"] as? [String: Any])?["check"] as? [String: Any])?["status"] as? String == "completed")
        let tls10 = try #require(protocols.first { $0["version"] as? String == "TLSv1.0" })
        #expect(tls10["supported"] as? Bool == true)
        let suites = try #require(tls10["cipherSuites"] as? [[String: Any]])
        #expect(suites.contains { $0["code"] as? String == "0x002F" && $0["name"] as? String == "TLS_RSA_WITH_AES_128_CBC_SHA" })
        // The schema documented in docs/ matches what the tool writes.
        let schema = try schema()
        let required = try #require(schema["required"] as? [String])
        for key in required { #expect(json[key] != nil, "missing \(key)") }
    }

    func schema() throws -> [String: Any] {
        let url = CLI.binary.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/report-schema.json")
        return try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    @Test func outFileAndUnwritableOut() async throws {
        let server = try await DemoServer.start(.modern)
        defer { Task { await server.stop() } }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tlsguard-\(UUID()).json").path
        let r = try CLI.run(["scan", "127.0.0.1:\(server.port)", "--format", "json", "--out", path])
        #expect(r.status == 0)
        #expect(r.stdout.isEmpty)
        #expect(FileManager.default.fileExists(atPath: path))
        try? FileManager.default.removeItem(atPath: path)
        // Checked before the scan starts: a usage error, one line naming the path, nothing scanned.
        let bad = try CLI.run(["scan", "127.0.0.1:\(server.port)", "--out", "/nonexistent-dir/report.txt"])
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("/nonexistent-dir/report.txt"))
        #expect(!bad.stderr.contains("NSCocoaErrorDomain") && !bad.stderr.contains("Error Domain"))
    }

    /// The issue's "done when": a TLS 1.0-enabled server is not PCI compliant, says why and what to
    /// change for the platform, and exits 1; a compliant one exits 0.
    @Test func pciProfileExitCodes() async throws {
        let pki = try TestPKI.shared.get()
        let dir = pki.directory
        let cert = TestCertificate(certPath: dir.appendingPathComponent("leaf.pem").path, keyPath: dir.appendingPathComponent("leaf.key").path)
        let chain = ["-cert_chain", dir.appendingPathComponent("intermediate.pem").path]
        let common = ["--sni", "localhost", "--ca-file", dir.appendingPathComponent("root.pem").path, "--profile", "pci-dss-4"]
        try await withOpenSSLServer(certificate: cert, arguments: chain + ["-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0"]) { server in
            let r = try CLI.run(["scan", "127.0.0.1:\(server.port)", "--platform", "nginx"] + common)
            #expect(r.status == 1, "\(r.stderr)")
            #expect(r.stdout.contains("PCI DSS v4.0.1: NOT COMPLIANT"))
            #expect(r.stdout.contains("offers TLS 1.0, TLS 1.1"))
            #expect(r.stdout.contains("fix (nginx): ssl_protocols TLSv1.2 TLSv1.3;"))
        }
        try await withOpenSSLServer(certificate: cert, arguments: chain + ["-no_tls1", "-no_tls1_1", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"]) { server in
            let r = try CLI.run(["scan", "127.0.0.1:\(server.port)"] + common)
            #expect(r.status == 0, "\(r.stdout)")
            #expect(r.stdout.contains("PCI DSS v4.0.1: compliant"))
        }
    }

    /// One wrapping rule: an untrusted chain's problems and every finding's evidence are shown
    /// whole, and no line is wider than 100 columns.
    @Test func textFitsOneHundredColumnsAndKeepsEverything() async throws {
        let pki = try TestPKI.shared.get()
        let dir = pki.directory
        let cert = TestCertificate(certPath: dir.appendingPathComponent("leaf.pem").path, keyPath: dir.appendingPathComponent("leaf.key").path)
        try await withOpenSSLServer(certificate: cert, arguments: ["-cipher", "ALL:@SECLEVEL=0"]) { server in
            let text = try CLI.run(["scan", "127.0.0.1:\(server.port)", "--sni", "localhost", "--no-http"])
            let json = try CLI.run(["scan", "127.0.0.1:\(server.port)", "--sni", "localhost", "--no-http", "--format", "json"])
            for line in text.stdout.split(separator: "\n") { #expect(line.count <= 100, "too wide (\(line.count)): \(line)") }
            func flat(_ s: String) -> String { s.split(whereSeparator: \.isWhitespace).joined(separator: " ") }
            let shown = flat(text.stdout)
            let report = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
            let target = try #require((report["targets"] as? [[String: Any]])?.first)
            let chains = ((target["certificates"] as? [String: Any])?["chains"] as? [[String: Any]]) ?? []
            let problems = chains.flatMap { (($0["analysis"] as? [String: Any])?["trustProblems"] as? [String]) ?? [] }
            #expect(!problems.isEmpty, "the chain is untrusted without --ca-file")
            for p in problems { #expect(shown.contains(flat(p)), "trust problem cut: \(p)") }
            for f in (target["weaknesses"] as? [[String: Any]]) ?? [] {
                if let evidence = f["evidence"] as? String { #expect(shown.contains(flat(evidence)), "evidence cut: \(evidence)") }
            }
        }
    }

    @Test func profilesListAndBadProfile() throws {
        let list = try CLI.run(["profiles"])
        #expect(list.status == 0)
        #expect(list.stdout.contains("pci-dss-4"))
        #expect(list.stdout.contains("tls12-minimum"))
        let bad = try CLI.run(["scan", "127.0.0.1:1", "--profile", "no-such-profile"])
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("profile 'no-such-profile'"))
        let platform = try CLI.run(["scan", "127.0.0.1:1", "--platform", "tomcat"])
        #expect(platform.status == 64)
    }

    @Test func demoTextFitsAndHasNoColourOffTerminal() throws {
        let r = try CLI.run(["demo"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("tlsguard demo: two servers on 127.0.0.1"))
        #expect(r.stdout.contains("TLSv1.0  offered"))
        #expect(r.stdout.contains("X25519MLKEM768 (post-quantum)"))
        // It ends with the impact report of the records the gateway wrote (replayed hellos).
        #expect(r.stdout.contains("impact: who the cutoff would refuse"))
        #expect(r.stdout.contains("Judged: 5 connections by replaying 2 distinct ClientHellos, 0 by version only"), "\(r.stdout)")
        #expect(r.stdout.contains("60.0 % of connections would be refused (3 of 5, 2 requests;"))
        #expect(r.stdout.contains("why: maximum version TLS 1.0: TLS 1.0 is below the minimum TLS 1.2; cutoff"))
        #expect(!r.stdout.contains("\u{1B}["), "colour only on a terminal")
        for line in r.stdout.split(separator: "\n") {
            #expect(line.count <= 100, "too wide: \(line)")
        }
    }
}

// Test support: real TLS peers on 127.0.0.1 driven through the openssl CLI.
//
//  - OpenSSLServer / withOpenSSLServer: a running `openssl s_server` at a port chosen at run time.
//  - OpenSSLClient: `openssl s_client` probes (which suites/versions a server accepts), used as the
//    reference the scanner's results are compared against.
//
// Foundation only; see TestTools.swift, TestCertificate.swift and TestSockets.swift beside this file.
//
// OpenSSL 3 notes (learned on 3.0.19):
//  - TLS 1.0/1.1 and legacy suites need `@SECLEVEL=0` in `-cipher` on BOTH s_server and s_client
//    (the client otherwise fails with "legacy sigalg disallowed or unsupported"). OpenSSLClient always
//    appends it; callers must put it in the server's arguments themselves.
//  - `s_server -tls1` alone restricts the server to TLS 1.0 (same for -tls1_1/-tls1_2/-tls1_3).
//  - Without `-quiet`, s_server ends (not just the connection) when it reads EOF on stdin during a
//    connection, so stdin is a pipe kept open for the server's lifetime.
//  - s_server exits with status 0 when bind() fails ("Address already in use"): detect it from stderr.
//  - The "New, SSLv3, Cipher is AES128-SHA" line names the *cipher's* minimum version, not the protocol
//    negotiated (that was a TLS 1.0 handshake); the protocol is the "Protocol  :" line of SSL-Session,
//    which TLS 1.3 handshakes do not print.
//  - Most of an s_client run's CPU time goes to loading the system CA bundle; -no-CAfile -no-CApath
//    -no-CAstore makes a run ~10x cheaper (acceptedSuites for TLS 1.2: ~89 runs).
//  - `openssl ciphers -s -tls1_3 …` lists only the 3 default TLS 1.3 suites; the CCM ones must be
//    enabled with -ciphersuites. This OpenSSL has no SSLv3 (`-ssl3` is an unknown option).

import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - OpenSSLServer

/// A running `openssl s_server` on 127.0.0.1 at a free port chosen at run time.
///
/// `@unchecked Sendable`: it wraps a Foundation `Process` and a `Pipe` (classes that are not audited as
/// Sendable on every platform). Everything else is immutable (`let`), and the one mutable bit, whether it
/// was stopped, is behind a lock, so the object may be shared across tasks and threads.
final class OpenSSLServer: @unchecked Sendable {
    let port: Int
    let pid: Int32
    let certificate: TestCertificate
    /// The extra arguments given to `start`.
    let arguments: [String]
    /// The full command line (for messages).
    let commandLine: String

    private let process: Process
    private let stdinPipe: Pipe
    private let logDirectory: URL
    private let stdoutPath: String
    private let stderrPath: String
    private let stopped = TestLocked(false)

    /// Starts `openssl s_server -accept 127.0.0.1:PORT -cert … -key … <arguments>` and waits until it
    /// accepts TCP connections (at most 10 s). If the process exits early, throws an error with its stderr.
    /// Retries with a new port if the port was taken in the meantime. `preferredPort`, if given, is tried
    /// first (a taken one is skipped like any other).
    static func start(certificate: TestCertificate, arguments: [String], preferredPort: Int? = nil) throws -> OpenSSLServer {
        try TestTools.requireOpenSSL()
        var lastError: Error = TestSupportError.portInUse(0)
        for attempt in 0..<8 {
            let port = try (attempt == 0 ? preferredPort : nil) ?? TestSocket.freePort()
            do {
                return try OpenSSLServer(port: port, certificate: certificate, arguments: arguments)
            } catch TestSupportError.portInUse(let port) {
                lastError = TestSupportError.portInUse(port)
                continue
            }
        }
        throw lastError
    }

    private init(port: Int, certificate: TestCertificate, arguments: [String]) throws {
        self.port = port
        self.certificate = certificate
        self.arguments = arguments
        let opensslPath = TestTools.opensslPath
        let fullArguments = ["s_server", "-accept", "127.0.0.1:\(port)",
                             "-cert", certificate.certPath, "-key", certificate.keyPath] + arguments
        commandLine = ([opensslPath] + fullArguments).map(Self.shellQuoted).joined(separator: " ")

        logDirectory = try TestScratch.makeDirectory(prefix: "s_server-\(port)")
        stdoutPath = logDirectory.appendingPathComponent("stdout.log").path
        stderrPath = logDirectory.appendingPathComponent("stderr.log").path
        let fm = FileManager.default
        _ = fm.createFile(atPath: stdoutPath, contents: nil)
        _ = fm.createFile(atPath: stderrPath, contents: nil)
        guard let outHandle = FileHandle(forWritingAtPath: stdoutPath),
              let errHandle = FileHandle(forWritingAtPath: stderrPath)
        else { throw TestSupportError.processFailed(command: commandLine, status: -1, output: "cannot create log files") }
        defer {
            // The child has its own copies; the parent's are no longer needed.
            try? outHandle.close()
            try? errHandle.close()
        }

        process = Process()
        process.executableURL = URL(fileURLWithPath: opensslPath)
        process.arguments = fullArguments
        stdinPipe = Pipe()  // kept open (never written) until stop(): EOF on stdin would end s_server
        process.standardInput = stdinPipe
        process.standardOutput = outHandle
        process.standardError = errHandle
        try TestProcess.launch(process)
        pid = process.processIdentifier
        TestChildProcesses.register(pid)

        do {
            try waitUntilReady(quiet: arguments.contains("-quiet"))
        } catch {
            stop()
            throw error
        }
    }

    private func waitUntilReady(quiet: Bool) throws {
        let deadline = Date().addingTimeInterval(10)
        while true {
            if !process.isRunning {
                let stderr = stderrOutput
                if stderr.contains("Address already in use") || stderr.contains("unable to bind socket") {
                    throw TestSupportError.portInUse(port)
                }
                throw TestSupportError.serverExitedEarly(
                    command: commandLine, status: process.terminationStatus, stderr: stderr)
            }
            // Without -quiet, s_server prints "ACCEPT" once it listens: proof that the listener at this
            // port is ours and not some other process that grabbed the port.
            if (quiet || stdoutOutput.contains("ACCEPT")) && TestSocket.canConnect(port: port) && process.isRunning {
                return
            }
            if Date() > deadline {
                throw TestSupportError.serverNotReady(command: commandLine, port: port, stderr: stderrOutput)
            }
            usleep(20_000)
        }
    }

    /// Whether the s_server process is still running.
    var isRunning: Bool { process.isRunning }

    /// What s_server wrote to stderr so far (errors such as "no shared cipher" per rejected handshake).
    var stderrOutput: String { Self.read(stderrPath) }

    /// What s_server wrote to stdout so far (without -quiet: "ACCEPT", per-connection session details).
    var stdoutOutput: String { Self.read(stdoutPath) }

    /// SIGTERM, then SIGKILL if it is still running after 2 s; waits for the exit. Idempotent; also called
    /// from deinit.
    func stop() {
        let wasStopped = stopped.withLock { value -> Bool in
            defer { value = true }
            return value
        }
        guard !wasStopped else { return }
        defer {
            TestChildProcesses.unregister(pid)
            try? stdinPipe.fileHandleForWriting.close()
        }
        guard process.isRunning else { return }
        kill(pid, SIGTERM)
        if !Self.waitForExit(process, seconds: 2) {
            kill(pid, SIGKILL)
            _ = Self.waitForExit(process, seconds: 5)
        }
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: logDirectory)
    }

    private static func waitForExit(_ process: Process, seconds: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning {
            if Date() > deadline { return false }
            usleep(10_000)
        }
        return true
    }

    private static func read(_ path: String) -> String {
        guard let data = FileManager.default.contents(atPath: path) else { return "" }
        return String(decoding: data, as: UTF8.self)
    }

    fileprivate static func shellQuoted(_ argument: String) -> String {
        let safe = argument.allSatisfy { $0.isLetter || $0.isNumber || "-_./:=@,+".contains($0) }
        return safe && !argument.isEmpty ? argument : "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

/// Runs `body` with a started server and always stops it, even when `body` throws.
func withOpenSSLServer<T>(
    certificate: TestCertificate,
    arguments: [String],
    isolation: isolated (any Actor)? = #isolation,
    _ body: (OpenSSLServer) async throws -> T
) async throws -> T {
    let server = try OpenSSLServer.start(certificate: certificate, arguments: arguments)
    defer { server.stop() }
    return try await body(server)
}

// MARK: - OpenSSLClient

enum OpenSSLClient {
    /// All TLS 1.3 suites OpenSSL knows (RFC 8446); the CCM ones are off unless named in -ciphersuites.
    static let tls13SuiteNames = [
        "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
        "TLS_AES_128_CCM_SHA256", "TLS_AES_128_CCM_8_SHA256",
    ]

    /// Timeout for one s_client run.
    static let handshakeTimeout: TimeInterval = 5

    /// How many s_client processes `acceptedSuites` runs at once. s_server serves one connection at a
    /// time, so this only overlaps the clients' process start-up and key exchange with the server's work.
    static let parallelism = 4

    /// The protocol name s_client reports ("Protocol  : …") for each version flag.
    static let protocolNames = [
        "-ssl3": "SSLv3", "-tls1": "TLSv1", "-tls1_1": "TLSv1.1", "-tls1_2": "TLSv1.2", "-tls1_3": "TLSv1.3",
    ]

    private static let suiteCache = TestLocked([String: [(code: UInt16, name: String)]]())

    /// Whether the local openssl knows the version flag at all (3.0 has no `-ssl3`).
    static func supportsVersionFlag(_ versionFlag: String) -> Bool {
        (try? offerableSuites(versionFlag: versionFlag)) != nil
    }

    /// The suites the local OpenSSL can offer for a version flag ("-ssl3", "-tls1", "-tls1_1", "-tls1_2",
    /// "-tls1_3"), from `openssl ciphers -V -s <flag> 'ALL:COMPLEMENTOFALL:@SECLEVEL=0'`; for -tls1_3 the
    /// five TLS 1.3 suites (including the CCM ones, which must be enabled explicitly). Cached per flag.
    /// Throws `TestSupportError.unsupportedVersionFlag` when the local openssl rejects the flag.
    static func offerableSuites(versionFlag: String) throws -> [(code: UInt16, name: String)] {
        if let cached = suiteCache.withLock({ $0[versionFlag] }) { return cached }
        try TestTools.requireOpenSSL()
        var arguments = ["ciphers", "-V", "-s", versionFlag]
        if versionFlag == "-tls1_3" {
            arguments += ["-ciphersuites", tls13SuiteNames.joined(separator: ":")]
        }
        arguments.append("ALL:COMPLEMENTOFALL:@SECLEVEL=0")
        var result = try TestProcess.run(TestTools.opensslPath, arguments, timeout: 30)
        if !result.succeeded && versionFlag == "-tls1_3" {
            // An OpenSSL without the CCM suites: fall back to its default TLS 1.3 list.
            arguments = ["ciphers", "-V", "-s", versionFlag, "ALL:COMPLEMENTOFALL:@SECLEVEL=0"]
            result = try TestProcess.run(TestTools.opensslPath, arguments, timeout: 30)
        }
        guard result.succeeded else {
            if result.stderr.contains("Unknown option") || result.stderr.contains("unknown option") {
                throw TestSupportError.unsupportedVersionFlag(versionFlag)
            }
            throw TestSupportError.processFailed(
                command: "openssl " + arguments.joined(separator: " "), status: result.status, output: result.stderr)
        }
        var suites = parseCipherList(result.stdout)
        if versionFlag == "-tls1_3" {
            suites = suites.filter { $0.code >> 8 == 0x13 }
        } else {
            suites = suites.filter { $0.code >> 8 != 0x13 }
        }
        suiteCache.withLock { $0[versionFlag] = suites }
        return suites
    }

    /// Parses `openssl ciphers -V` lines: "0xC0,0x2F - ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 Kx=…".
    static func parseCipherList(_ text: String) -> [(code: UInt16, name: String)] {
        var suites: [(code: UInt16, name: String)] = []
        var seen = Set<UInt16>()
        for line in text.split(whereSeparator: \.isNewline) {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 3, fields[1] == "-" else { continue }
            let bytes = fields[0].split(separator: ",").compactMap { UInt8($0.dropFirst(2), radix: 16) }
            guard bytes.count == 2, fields[0].split(separator: ",").count == 2 else { continue }
            let code = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
            if seen.insert(code).inserted { suites.append((code: code, name: String(fields[2]))) }
        }
        return suites
    }

    /// The outcome of one s_client run that completed a handshake.
    struct Negotiation: Sendable, Equatable {
        /// "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3" (from "Protocol  :"; for TLS 1.3, which does not print
        /// it, from the "New, TLSv1.3, …" line).
        var protocolName: String
        /// The OpenSSL name of the negotiated suite.
        var cipher: String
    }

    /// Runs one `openssl s_client -connect 127.0.0.1:PORT <versionFlag> …` with stdin = /dev/null and a
    /// 5 s timeout, and returns what was negotiated, or nil if no handshake completed. Decides from the
    /// exit status and the stdout lines only, never from stderr noise (verify errors, SNI messages).
    /// `cipher` goes to -cipher (":@SECLEVEL=0" is appended), `ciphersuites` to -ciphersuites.
    /// Without a servername, no SNI is sent (-noservername).
    static func negotiate(
        port: Int, versionFlag: String?, cipher: String?, ciphersuites: String? = nil,
        servername: String? = nil, extraArguments: [String] = []
    ) -> Negotiation? {
        guard (try? TestTools.requireOpenSSL()) != nil else { return nil }
        var arguments = ["s_client", "-connect", "127.0.0.1:\(port)"]
        if let versionFlag { arguments.append(versionFlag) }
        arguments += ["-cipher", (cipher ?? "ALL:COMPLEMENTOFALL") + ":@SECLEVEL=0"]
        if let ciphersuites { arguments += ["-ciphersuites", ciphersuites] }
        if let servername { arguments += ["-servername", servername] } else { arguments.append("-noservername") }
        // Not loading the system CA bundle cuts s_client's CPU time from ~50 ms to ~4 ms per run (our peers'
        // certificates are self-signed anyway, and s_client does not abort on verify errors).
        arguments += ["-no-CAfile", "-no-CApath", "-no-CAstore"]
        arguments += extraArguments
        guard let result = try? TestProcess.run(TestTools.opensslPath, arguments, timeout: handshakeTimeout),
              result.succeeded
        else { return nil }
        return parseNegotiation(result.stdout)
    }

    /// Reads "New, TLSv1.2, Cipher is NAME" and "    Protocol  : TLSv1.2" from s_client's stdout.
    static func parseNegotiation(_ stdout: String) -> Negotiation? {
        var cipher: String?
        var lineVersion: String?
        var protocolName: String?
        for line in stdout.split(whereSeparator: \.isNewline) {
            if line.hasPrefix("New, ") || line.hasPrefix("Reused, "), let range = line.range(of: ", Cipher is ") {
                cipher = String(line[range.upperBound...]).trimmingCharacters(in: .whitespaces)
                let head = line[line.index(after: line.firstIndex(of: ",")!)..<range.lowerBound]
                lineVersion = head.trimmingCharacters(in: .whitespaces)
            } else {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.hasPrefix("Protocol  :") || trimmed.hasPrefix("Protocol :") {
                    protocolName = trimmed.split(separator: ":", maxSplits: 1)[1].trimmingCharacters(in: .whitespaces)
                }
            }
        }
        guard let cipher, cipher != "(NONE)", !cipher.isEmpty else { return nil }
        return Negotiation(protocolName: protocolName ?? lineVersion ?? "", cipher: cipher)
    }

    /// Does `openssl s_client -connect 127.0.0.1:PORT <versionFlag> -cipher 'NAME:@SECLEVEL=0'`
    /// (TLS 1.3: `-ciphersuites NAME`) complete a handshake with exactly that suite and version?
    static func handshakes(port: Int, versionFlag: String, suite: String, servername: String? = nil) -> Bool {
        let negotiation: Negotiation?
        if versionFlag == "-tls1_3" {
            negotiation = negotiate(port: port, versionFlag: versionFlag, cipher: "ALL", ciphersuites: suite,
                                    servername: servername)
        } else {
            negotiation = negotiate(port: port, versionFlag: versionFlag, cipher: suite, servername: servername)
        }
        guard let negotiation, negotiation.cipher == suite else { return false }
        if let expected = protocolNames[versionFlag] { return negotiation.protocolName == expected }
        return true
    }

    /// The suite codes the server accepts for that version: one real s_client handshake per offerable
    /// suite, `parallelism` at a time.
    static func acceptedSuites(
        port: Int, versionFlag: String, servername: String? = nil, parallelism: Int = OpenSSLClient.parallelism
    ) throws -> Set<UInt16> {
        let suites = try offerableSuites(versionFlag: versionFlag)
        let accepted = TestProcess.parallelMap(suites.map { SuiteProbe(code: $0.code, name: $0.name) },
                                               width: parallelism) { probe in
            handshakes(port: port, versionFlag: versionFlag, suite: probe.name, servername: servername)
                ? probe.code : nil
        }
        return Set(accepted.compactMap { $0 })
    }

    private struct SuiteProbe: Sendable {
        var code: UInt16
        var name: String
    }

    /// Does the server accept the version at all? (s_client with only the version flag, offering every
    /// suite it has for it at security level 0.)
    static func acceptsVersion(port: Int, versionFlag: String, servername: String? = nil) -> Bool {
        let negotiation = negotiate(
            port: port, versionFlag: versionFlag, cipher: "ALL:COMPLEMENTOFALL",
            ciphersuites: versionFlag == "-tls1_3" ? tls13SuiteNames.joined(separator: ":") : nil,
            servername: servername)
        guard let negotiation else { return false }
        if let expected = protocolNames[versionFlag] { return negotiation.protocolName == expected }
        return true
    }
}

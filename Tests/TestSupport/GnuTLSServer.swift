import Foundation

/// A real `gnutls-serv` (Debian's gnutls-bin) at a free port, in HTTP mode, with a GnuTLS priority
/// string: a second TLS implementation, independent of OpenSSL, as a scan target. Stopped by `stop()`.
///
/// gnutls-serv has no option for the listening address: it binds the port on every interface
/// (0.0.0.0 and ::). The tests only ever connect to 127.0.0.1.
final class GnuTLSServer: @unchecked Sendable {
    // @unchecked: `process` is only touched by start/stop; `stopped` is behind a lock.
    let port: Int
    let priority: String
    private let process: Process
    private let stopped = TestLocked(false)

    private init(port: Int, priority: String, process: Process) {
        self.port = port
        self.priority = priority
        self.process = process
    }

    static var binary: String? {
        ["/usr/bin/gnutls-serv", "/usr/local/bin/gnutls-serv"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static var cliBinary: String? {
        ["/usr/bin/gnutls-cli", "/usr/local/bin/gnutls-cli"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Starts `gnutls-serv --http -p PORT --x509certfile … --x509keyfile … --priority PRIORITY <extra>`
    /// and waits until it accepts connections (at most 10 s).
    static func start(certificate: TestCertificate, priority: String, extraArguments: [String] = []) throws -> GnuTLSServer {
        guard let serv = binary else {
            throw TestSupportError.processFailed(command: "gnutls-serv", status: -1, output: "gnutls-serv not installed: run scripts/install-test-deps")
        }
        let dir = try TestScratch.makeDirectory(prefix: "gnutls-serv")
        var lastError: Error?
        for _ in 0..<5 {
            let port = try TestSocket.freePort()
            let logPath = dir.appendingPathComponent("serv-\(port).log").path
            _ = FileManager.default.createFile(atPath: logPath, contents: nil)
            let log = FileHandle(forWritingAtPath: logPath)
            defer { try? log?.close() }
            let p = Process()
            p.executableURL = URL(fileURLWithPath: serv)
            // -a: no client-certificate request; -q: no per-connection chatter.
            p.arguments = ["--http", "-q", "-a", "-p", "\(port)", "--x509certfile", certificate.certPath,
                           "--x509keyfile", certificate.keyPath, "--priority", priority] + extraArguments
            p.standardOutput = log ?? FileHandle.nullDevice
            p.standardError = log ?? FileHandle.nullDevice
            p.standardInput = FileHandle.nullDevice
            try TestProcess.launch(p)
            TestChildProcesses.register(p.processIdentifier)
            let deadline = Date().addingTimeInterval(10)
            while Date() < deadline, p.isRunning, !TestSocket.canConnect(port: port) { usleep(20_000) }
            if p.isRunning, TestSocket.canConnect(port: port) {
                return GnuTLSServer(port: port, priority: priority, process: p)
            }
            if p.isRunning { kill(p.processIdentifier, SIGKILL) }
            p.waitUntilExit()
            TestChildProcesses.unregister(p.processIdentifier)
            let output = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            lastError = TestSupportError.serverExitedEarly(command: "gnutls-serv -p \(port) --priority \(priority)",
                                                           status: p.terminationStatus, stderr: output)
            if !output.contains("in use") && !output.contains("bind") { break }
        }
        throw lastError!
    }

    /// The suites a GnuTLS priority string enables, in its order, from `gnutls-cli --list --priority`:
    /// (code, the lowest version GnuTLS names for it: "TLS1.0", "TLS1.2", "TLS1.3").
    static func prioritySuites(_ priority: String) throws -> [(code: UInt16, minVersion: String)] {
        guard let cli = cliBinary else {
            throw TestSupportError.processFailed(command: "gnutls-cli", status: -1, output: "gnutls-cli not installed: run scripts/install-test-deps")
        }
        let result = try TestProcess.run(cli, ["--list", "--priority", priority], timeout: 30)
        guard result.succeeded else {
            throw TestSupportError.processFailed(command: "gnutls-cli --list --priority \(priority)", status: result.status, output: result.stderr)
        }
        // "TLS_ECDHE_RSA_AES_256_GCM_SHA384   0xc0, 0x30  TLS1.2"
        var suites: [(code: UInt16, minVersion: String)] = []
        for line in result.stdout.split(whereSeparator: \.isNewline) {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," })
            guard fields.count >= 4, fields[0].hasPrefix("TLS_"), fields[1].hasPrefix("0x"), fields[2].hasPrefix("0x"),
                  let hi = UInt8(fields[1].dropFirst(2), radix: 16), let lo = UInt8(fields[2].dropFirst(2), radix: 16) else { continue }
            suites.append((code: UInt16(hi) << 8 | UInt16(lo), minVersion: String(fields[3])))
        }
        return suites
    }

    func stop() {
        let already = stopped.withLock { s -> Bool in
            defer { s = true }
            return s
        }
        guard !already else { return }
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(3)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        TestChildProcesses.unregister(process.processIdentifier)
    }

    deinit { stop() }
}

import Foundation

/// A real HAProxy (Debian's) on 127.0.0.1 at a free port, terminating TLS with the `bind`
/// options given (certificates, ciphers) and answering 200 itself; stopped by `stop()`. Its
/// standard output and error (where `log stdout` lines go) are in `outputPath`.
final class HAProxyServer: @unchecked Sendable {
    // @unchecked: `process` is only touched by start/stop; `stopped` is behind a lock.
    let port: Int
    let outputPath: String
    private let process: Process
    private let stopped = TestLocked(false)

    private init(port: Int, outputPath: String, process: Process) {
        self.port = port
        self.outputPath = outputPath
        self.process = process
    }

    static var binary: String? {
        ["/usr/sbin/haproxy", "/usr/local/sbin/haproxy"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// `bindOptions` follow `bind 127.0.0.1:PORT ssl` (e.g. `crt a.pem crt b.pem ciphers …`);
    /// `global` lines go into the global section (e.g. `ssl-dh-param-file …`), `frontend` lines
    /// after the `bind` line (e.g. `log global`, `log-format …`, `capture request header …`).
    static func start(bindOptions: String, global: String = "", frontend: String = "") throws -> HAProxyServer {
        guard let haproxy = binary else {
            throw TestSupportError.processFailed(command: "haproxy", status: -1, output: "haproxy not installed: run scripts/install-test-deps")
        }
        let dir = try TestScratch.makeDirectory(prefix: "haproxy")
        var lastError: Error?
        for _ in 0..<5 {
            let port = try TestSocket.freePort()
            let conf = """
                global
                  \(global)
                defaults
                  mode http
                  timeout connect 5s
                  timeout client 10s
                  timeout server 10s
                frontend tls
                  bind 127.0.0.1:\(port) ssl \(bindOptions)
                  \(frontend)
                  http-request return status 200 content-type text/plain string "haproxy test peer"

                """
            let confPath = dir.appendingPathComponent("haproxy.cfg").path
            try conf.write(toFile: confPath, atomically: true, encoding: .utf8)
            let log = dir.appendingPathComponent("haproxy.log")
            FileManager.default.createFile(atPath: log.path, contents: nil)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: haproxy)
            p.arguments = ["-db", "-f", confPath]
            p.standardOutput = try FileHandle(forWritingTo: log)
            p.standardError = p.standardOutput
            p.standardInput = FileHandle.nullDevice
            try TestProcess.launch(p)
            TestChildProcesses.register(p.processIdentifier)
            let deadline = Date().addingTimeInterval(10)
            while Date() < deadline, p.isRunning, !TestSocket.canConnect(port: port) { usleep(20_000) }
            if p.isRunning, TestSocket.canConnect(port: port) { return HAProxyServer(port: port, outputPath: log.path, process: p) }
            if p.isRunning { kill(p.processIdentifier, SIGKILL) }
            p.waitUntilExit()
            TestChildProcesses.unregister(p.processIdentifier)
            let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            lastError = TestSupportError.serverExitedEarly(command: "haproxy -f \(confPath)", status: p.terminationStatus, stderr: output)
            if !output.contains("Address already in use") && !output.contains("cannot bind") { break }
        }
        throw lastError!
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

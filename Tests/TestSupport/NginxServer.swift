import Foundation

/// A real nginx (Debian's) on 127.0.0.1 at a free port, with a config made from `serverBlock`
/// (the inside of one `server { … }` after its `listen` line) and optional `http` directives
/// (e.g. a `log_format`, which nginx allows only there), stopped by `stop()`.
final class NginxServer: @unchecked Sendable {
    // @unchecked: `process` is only touched by start/stop; `stopped` is behind a lock.
    let port: Int
    let directory: URL
    private let process: Process
    private let stopped = TestLocked(false)

    private init(port: Int, directory: URL, process: Process) {
        self.port = port
        self.directory = directory
        self.process = process
    }

    static var binary: String? {
        ["/usr/sbin/nginx", "/usr/local/sbin/nginx"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func start(serverBlock: String, http: String = "") throws -> NginxServer {
        guard let nginx = binary else {
            throw TestSupportError.processFailed(command: "nginx", status: -1, output: "nginx not installed: run scripts/install-test-deps")
        }
        let dir = try TestScratch.makeDirectory(prefix: "nginx")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("logs"), withIntermediateDirectories: true)
        var lastError: Error?
        for _ in 0..<5 {
            let port = try TestSocket.freePort()
            let conf = """
                worker_processes 1;
                daemon off;
                pid \(dir.path)/nginx.pid;
                error_log \(dir.path)/logs/error.log warn;
                events { worker_connections 256; }
                http {
                    access_log off;
                    client_body_temp_path \(dir.path)/body;
                    proxy_temp_path \(dir.path)/proxy;
                    fastcgi_temp_path \(dir.path)/fastcgi;
                    uwsgi_temp_path \(dir.path)/uwsgi;
                    scgi_temp_path \(dir.path)/scgi;
                    \(http)
                    server {
                        listen 127.0.0.1:\(port) ssl;
                        \(serverBlock)
                        location / { return 200 "nginx test peer\\n"; }
                    }
                }
                """
            let confPath = dir.appendingPathComponent("nginx.conf").path
            try conf.write(toFile: confPath, atomically: true, encoding: .utf8)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: nginx)
            p.arguments = ["-p", dir.path, "-c", confPath]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            p.standardInput = FileHandle.nullDevice
            try TestProcess.launch(p)
            TestChildProcesses.register(p.processIdentifier)
            let deadline = Date().addingTimeInterval(10)
            while Date() < deadline, p.isRunning, !TestSocket.canConnect(port: port) { usleep(20_000) }
            if p.isRunning, TestSocket.canConnect(port: port) {
                return NginxServer(port: port, directory: dir, process: p)
            }
            let log = (try? String(contentsOfFile: dir.path + "/logs/error.log", encoding: .utf8)) ?? ""
            if p.isRunning { kill(p.processIdentifier, SIGKILL) }
            p.waitUntilExit()
            TestChildProcesses.unregister(p.processIdentifier)
            lastError = TestSupportError.serverExitedEarly(command: "nginx -c \(confPath)", status: p.terminationStatus, stderr: log)
            if !log.contains("Address already in use") { break }
        }
        throw lastError!
    }

    func stop() {
        let already = stopped.withLock { s -> Bool in
            defer { s = true }
            return s
        }
        guard !already else { return }
        kill(process.processIdentifier, SIGQUIT)
        let deadline = Date().addingTimeInterval(3)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        TestChildProcesses.unregister(process.processIdentifier)
        // Worker processes exit with the master (SIGQUIT), or are orphaned to init after SIGKILL.
        if let pid = try? String(contentsOfFile: directory.path + "/nginx.pid", encoding: .utf8), let n = Int32(pid.trimmingCharacters(in: .whitespacesAndNewlines)) {
            kill(n, SIGKILL)
        }
    }

    deinit { stop() }
}

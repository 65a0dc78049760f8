import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A real PostgreSQL (Debian's `postgresql` package) on 127.0.0.1 at a free port, in a data
/// directory of its own under the test scratch directory, with trust authentication for TCP from
/// 127.0.0.1 and no Unix socket. Each test starts its own and stops it (`stop()`, also at exit
/// through the child-process registry).
///
/// As root (CI runs as root) `initdb`, `pg_ctl` and the server run as the `postgres` user through
/// `runuser`, the data directory chowned to it: PostgreSQL refuses to run as root. `initdb` runs
/// once per test process into a template directory that each server copies, so a server costs
/// its start-up (about a second) and not a cluster creation.
final class PostgresServer: @unchecked Sendable {
    // @unchecked: `port` and the paths are constants; `running` is behind a lock.
    let port: Int
    let dataDirectory: URL
    private let running = TestLocked(false)
    private let postmaster = TestLocked<Int32?>(nil)
    private let databases = TestLocked(0)

    /// The directory of `initdb`, `pg_ctl`, `postgres` and `psql`: the newest installed version.
    static var binDirectory: String? {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted()
        for version in versions.reversed() where FileManager.default.isExecutableFile(atPath: "\(root)/\(version)/bin/postgres") {
            return "\(root)/\(version)/bin"
        }
        return nil
    }

    static var isRoot: Bool { geteuid() == 0 }

    private init(port: Int, dataDirectory: URL) {
        self.port = port
        self.dataDirectory = dataDirectory
    }

    /// Starts a server. `durable: false` (the default) turns fsync off: tests need no crash
    /// safety; benchmarks pass `true` for the numbers a real server would give.
    static func start(durable: Bool = false) throws -> PostgresServer {
        let template = try templateDirectory()
        let dir = try TestScratch.makeDirectory(prefix: "postgres")
        let data = dir.appendingPathComponent("data")
        try run("/bin/cp", ["-a", template.path, data.path], asPostgres: false)
        var lastError: Error?
        for _ in 0..<5 {
            let server = PostgresServer(port: try TestSocket.freePort(), dataDirectory: data)
            server.durable = durable
            do {
                try server.startServer()
                return server
            } catch {
                lastError = error
                if !server.log.contains("could not bind") && !server.log.contains("already in use") { break }
            }
        }
        throw lastError!
    }

    private var durable = false

    /// Starts (again, after `stopServer()`) the server on the same port and data directory, and
    /// returns once it accepts connections. The postmaster runs in the foreground as our child
    /// (not daemonized by pg_ctl, whose daemon would keep Foundation's termination monitor of
    /// pg_ctl waiting), its log in the data directory.
    func startServer() throws {
        guard let bin = Self.binDirectory else { throw Self.missing }
        var arguments = ["-D", dataDirectory.path, "-p", "\(port)", "-c", "listen_addresses=127.0.0.1",
                         "-c", "unix_socket_directories=", "-c", "max_connections=50"]
        if !durable { arguments += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"] }
        let process = Process()
        if Self.isRoot {
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
            process.arguments = ["-u", "postgres", "--", "\(bin)/postgres"] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "\(bin)/postgres")
            process.arguments = arguments
        }
        if !FileManager.default.fileExists(atPath: logPath) { FileManager.default.createFile(atPath: logPath, contents: nil) }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        log.seekToEndOfFile()
        defer { try? log.close() }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = log
        process.standardError = log
        try TestProcess.launch(process)
        TestChildProcesses.register(process.processIdentifier)
        self.process.withLock { $0 = process }
        running.withLock { $0 = true }
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, process.isRunning {
            if TestSocket.canConnect(port: port),
               let ready = try? TestProcess.run("\(bin)/pg_isready", ["-q", "-h", "127.0.0.1", "-p", "\(port)"], timeout: 5),
               ready.succeeded {
                if let pid = pidFromFile() {
                    postmaster.withLock { $0 = pid }
                    TestChildProcesses.register(pid)
                }
                return
            }
            usleep(50_000)
        }
        stopServer()
        throw TestSupportError.serverExitedEarly(command: "postgres -D \(dataDirectory.path) -p \(port)",
                                                 status: process.isRunning ? -1 : process.terminationStatus, stderr: self.log)
    }

    private let process = TestLocked<Process?>(nil)

    /// Stops the server (fast shutdown: open connections are closed), keeping its data: what an
    /// outage test does before `startServer()`.
    func stopServer() {
        let wasRunning = running.withLock { r -> Bool in
            defer { r = false }
            return r
        }
        guard wasRunning, let process = process.withLock({ p -> Process? in defer { p = nil }; return p }) else { return }
        let pid = postmaster.withLock { p -> Int32? in defer { p = nil }; return p } ?? pidFromFile()
        // SIGINT to the postmaster: PostgreSQL's fast shutdown. runuser exits when it does.
        if let pid { kill(pid, SIGINT) } else { kill(process.processIdentifier, SIGINT) }
        let deadline = Date().addingTimeInterval(20)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            if let pid { kill(pid, SIGKILL) }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        TestChildProcesses.unregister(process.processIdentifier)
        if let pid { TestChildProcesses.unregister(pid) }
    }

    /// Stops the server for good.
    func stop() { stopServer() }

    deinit { stopServer() }

    /// A new, empty database, and the URL to it.
    func createDatabase() throws -> String {
        let name = "t\(getpid())_\(databases.withLock { n -> Int in n += 1; return n })"
        _ = try psql("CREATE DATABASE \(name)", database: "postgres")
        return url(database: name)
    }

    func url(database: String) -> String { "postgres://postgres@127.0.0.1:\(port)/\(database)?sslmode=disable" }

    /// Runs `sql` with psql (unaligned, tuples only) and returns its output.
    @discardableResult
    func psql(_ sql: String, database: String) throws -> String {
        guard let bin = Self.binDirectory else { throw Self.missing }
        let result = try TestProcess.run(
            "\(bin)/psql", ["-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", "\(port)", "-U", "postgres",
                            "-d", database, "-c", sql], timeout: 60)
        guard result.succeeded else {
            throw TestSupportError.processFailed(command: "psql -c \(sql)", status: result.status, output: result.stderr)
        }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The database name in a URL made by `createDatabase()`.
    static func databaseName(in url: String) -> String {
        String(url.split(separator: "/").last!.split(separator: "?").first!)
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    private var logPath: String { dataDirectory.appendingPathComponent("server.log").path }

    private func pidFromFile() -> Int32? {
        guard let text = try? String(contentsOfFile: dataDirectory.appendingPathComponent("postmaster.pid").path, encoding: .utf8),
              let first = text.split(separator: "\n").first else { return nil }
        return Int32(first.trimmingCharacters(in: .whitespaces))
    }

    // MARK: Cluster template

    private static let template = TestLocked<Result<URL, Error>?>(nil)

    /// `initdb` once per process: trust authentication, UTF-8, no fsync while creating.
    private static func templateDirectory() throws -> URL {
        try template.withLock { state -> URL in
            if let state { return try state.get() }
            let result = Result { () throws -> URL in
                guard let bin = binDirectory else { throw missing }
                let dir = try TestScratch.makeDirectory(prefix: "postgres-template")
                let data = dir.appendingPathComponent("data")
                try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
                if isRoot { try run("/bin/chown", ["postgres:postgres", data.path], asPostgres: false) }
                try run("/bin/chmod", ["700", data.path], asPostgres: false)
                try run("\(bin)/initdb", ["-D", data.path, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8",
                                          "--no-sync", "--no-instructions"],
                        asPostgres: true, timeout: 120)
                return data
            }
            state = result
            return try result.get()
        }
    }

    private static var missing: TestSupportError {
        .processFailed(command: "postgres", status: -1, output: "PostgreSQL not installed: run scripts/install-test-deps")
    }

    /// Runs a command, as the `postgres` user when we are root and `asPostgres`.
    private static func run(_ command: String, _ arguments: [String], asPostgres: Bool, timeout: TimeInterval = 30) throws {
        let (executable, args) = asPostgres && isRoot ? ("/usr/sbin/runuser", ["-u", "postgres", "--", command] + arguments)
                                                      : (command, arguments)
        let result = try TestProcess.run(executable, args, timeout: timeout)
        guard result.succeeded else {
            throw TestSupportError.processFailed(command: ([executable] + args).joined(separator: " "), status: result.status,
                                                 output: result.stdout + result.stderr)
        }
    }
}

// Test support: locating the openssl CLI, running child processes with a timeout, and making sure
// no child process outlives the test process. Foundation only, self-contained (may be copied to other
// test targets together with the other files in this folder).

import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Errors

enum TestSupportError: Error, CustomStringConvertible {
    case openSSLMissing(String)
    case processFailed(command: String, status: Int32, output: String)
    case serverExitedEarly(command: String, status: Int32, stderr: String)
    case serverNotReady(command: String, port: Int, stderr: String)
    case portInUse(Int)
    case unsupportedVersionFlag(String)
    case socket(String)

    var description: String {
        switch self {
        case .openSSLMissing(let detail):
            return "openssl CLI not found. \(detail)"
        case .processFailed(let command, let status, let output):
            return "`\(command)` failed with status \(status):\n\(output)"
        case .serverExitedEarly(let command, let status, let stderr):
            return "openssl s_server exited early (status \(status)): `\(command)`\nstderr:\n\(stderr)"
        case .serverNotReady(let command, let port, let stderr):
            return "openssl s_server did not accept TCP connections on 127.0.0.1:\(port) within 10 s: `\(command)`\nstderr:\n\(stderr)"
        case .portInUse(let port):
            return "port \(port) was already in use"
        case .unsupportedVersionFlag(let flag):
            return "the local openssl (\(TestTools.opensslVersion)) does not support the version flag \(flag)"
        case .socket(let detail):
            return "socket error: \(detail)"
        }
    }
}

// MARK: - A lock-protected value

/// A value guarded by an NSLock. `@unchecked Sendable` because every access to `value` goes through `lock`.
final class TestLocked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}

// MARK: - Scratch directory and child-process registry

/// A per-process scratch directory (certificates, logs, captured output); removed at exit.
enum TestScratch {
    static let directory: URL = {
        let url = URL(fileURLWithPath: NSTemporaryDirectory(), isDirectory: true)
            .appendingPathComponent("tlsguard-tests-\(getpid())-\(UUID().uuidString.prefix(8))", isDirectory: true)
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        TestChildProcesses.installExitHandler()
        return url
    }()

    /// A fresh, empty subdirectory of the scratch directory.
    static func makeDirectory(prefix: String) throws -> URL {
        let url = directory.appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8))", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// Every child process started by the support code is registered here while it runs, and an `atexit`
/// handler SIGKILLs whatever is still registered when the test process exits, so that a test that forgot
/// to stop a server (or failed in between) does not leak `openssl` processes.
enum TestChildProcesses {
    private static let pids = TestLocked(Set<Int32>())

    private static let exitHandler: Void = {
        atexit {
            TestChildProcesses.killAll()
            // The handler is only ever installed once the scratch directory exists (see TestScratch).
            try? FileManager.default.removeItem(at: TestScratch.directory)
        }
    }()

    static func installExitHandler() { _ = exitHandler }

    static func register(_ pid: Int32) {
        _ = TestScratch.directory  // installs the exit handler
        _ = pids.withLock { $0.insert(pid) }
    }

    static func unregister(_ pid: Int32) {
        _ = pids.withLock { $0.remove(pid) }
    }

    static var running: Set<Int32> { pids.withLock { $0 } }

    static func killAll() {
        let all = pids.withLock { set -> Set<Int32> in
            defer { set.removeAll() }
            return set
        }
        for pid in all where pid > 0 { kill(pid, SIGKILL) }
    }
}

// MARK: - Running a child process

struct TestProcessResult: Sendable {
    var status: Int32
    var stdout: String
    var stderr: String
    var timedOut: Bool

    var succeeded: Bool { status == 0 && !timedOut }
}

enum TestProcess {
    /// Runs `executable arguments` with stdin = /dev/null (or `input`), captures stdout/stderr (through files, so a
    /// chatty child can never block on a full pipe), and SIGKILLs it after `timeout` seconds.
    /// Safe to call from many threads at once.
    static func run(_ executable: String, _ arguments: [String], timeout: TimeInterval, input: String? = nil,
                    environment: [String: String]? = nil) throws -> TestProcessResult {
        let fm = FileManager.default
        let id = UUID().uuidString
        let outPath = TestScratch.directory.appendingPathComponent("\(id).out").path
        let errPath = TestScratch.directory.appendingPathComponent("\(id).err").path
        _ = fm.createFile(atPath: outPath, contents: nil)
        _ = fm.createFile(atPath: errPath, contents: nil)
        defer {
            try? fm.removeItem(atPath: outPath)
            try? fm.removeItem(atPath: errPath)
        }
        guard let outHandle = FileHandle(forWritingAtPath: outPath),
              let errHandle = FileHandle(forWritingAtPath: errPath)
        else { throw TestSupportError.processFailed(command: executable, status: -1, output: "cannot create capture files") }
        defer {
            try? outHandle.close()
            try? errHandle.close()
        }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let input {
            let inPath = TestScratch.directory.appendingPathComponent("\(id).in").path
            _ = fm.createFile(atPath: inPath, contents: Data(input.utf8))
            process.standardInput = FileHandle(forReadingAtPath: inPath) ?? FileHandle.nullDevice
            // The child holds its own descriptor; the name can go now.
            defer { try? fm.removeItem(atPath: inPath) }
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        if let environment {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        process.standardOutput = outHandle
        process.standardError = errHandle
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        try launch(process)
        let pid = process.processIdentifier
        TestChildProcesses.register(pid)
        defer { TestChildProcesses.unregister(pid) }

        var timedOut = false
        if exited.wait(timeout: .now() + timeout) == .timedOut {
            timedOut = true
            kill(pid, SIGKILL)
            _ = exited.wait(timeout: .now() + 5)
        }
        let status: Int32 = process.isRunning ? -1 : process.terminationStatus
        let stdout = (try? String(contentsOfFile: outPath, encoding: .utf8))
            ?? String(decoding: fm.contents(atPath: outPath) ?? Data(), as: UTF8.self)
        let stderr = (try? String(contentsOfFile: errPath, encoding: .utf8))
            ?? String(decoding: fm.contents(atPath: errPath) ?? Data(), as: UTF8.self)
        return TestProcessResult(status: status, stdout: stdout, stderr: stderr, timedOut: timedOut)
    }

    /// `process.run()`, but with SIGTERM/SIGINT/SIGHUP unblocked in the calling thread while spawning.
    ///
    /// swift-corelibs-foundation spawns the child on the calling thread without resetting the signal
    /// mask, and Dispatch / Swift-concurrency worker threads block almost every signal, so a child
    /// started from a test would inherit a mask in which SIGTERM is blocked and would never react to it
    /// (stop() would always wait for its SIGKILL fallback).
    static func launch(_ process: Process) throws {
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for signal in [SIGTERM, SIGINT, SIGHUP] { sigaddset(&unblock, signal) }
        var previous = sigset_t()
        pthread_sigmask(SIG_UNBLOCK, &unblock, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        try process.run()
    }

    /// Runs `jobs` with at most `width` of them at once on dedicated threads (not the Swift concurrency
    /// pool, which is only as wide as the core count), and returns their results in order.
    static func parallelMap<T: Sendable, R: Sendable>(_ items: [T], width: Int, _ job: @escaping @Sendable (T) -> R) -> [R] {
        guard !items.isEmpty else { return [] }
        let results = TestLocked([R?](repeating: nil, count: items.count))
        let next = TestLocked(0)
        let group = DispatchGroup()
        for _ in 0..<max(1, min(width, items.count)) {
            group.enter()
            let thread = Thread {
                while true {
                    let index: Int = next.withLock { value in
                        defer { value += 1 }
                        return value
                    }
                    guard index < items.count else { break }
                    let result = job(items[index])
                    results.withLock { $0[index] = result }
                }
                group.leave()
            }
            thread.start()
        }
        group.wait()
        return results.withLock { $0.map { $0! } }
    }
}

// MARK: - Tools

enum TestTools {
    /// The openssl binary to use: `$TLSGUARD_OPENSSL` if set, a Homebrew OpenSSL 3 if present (macOS's
    /// /usr/bin/openssl is LibreSSL), else the first `openssl` on PATH, else /usr/bin/openssl.
    static var opensslPath: String {
        findOpenSSL() ?? "/usr/bin/openssl"
    }

    /// `openssl version` of the binary in use (empty if it cannot be run).
    static var opensslVersion: String {
        guard let path = findOpenSSL(),
              let result = try? TestProcess.run(path, ["version"], timeout: 10), result.succeeded
        else { return "" }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static let requirement = TestLocked<Result<String, TestSupportError>?>(nil)

    /// Makes sure a working openssl binary exists. If none is found, runs the repository's
    /// `scripts/install-test-deps` once per process, then checks again; otherwise throws a clear error.
    static func requireOpenSSL() throws {
        _ = try requirement.withLock { state -> String in
            if let state { return try state.get() }
            let result = locateOrInstall()
            state = result
            return try result.get()
        }
    }

    private static func locateOrInstall() -> Result<String, TestSupportError> {
        if let path = findOpenSSL(), works(path) { return .success(path) }
        guard let script = installScript() else {
            return .failure(.openSSLMissing(
                "Install it (Debian/Ubuntu: `apt-get install -y openssl`) or run scripts/install-test-deps; "
                    + "set TLSGUARD_OPENSSL to use a specific binary."))
        }
        let fm = FileManager.default
        let (exe, args) = fm.isExecutableFile(atPath: script)
            ? (script, [String]())
            : (fm.isExecutableFile(atPath: "/bin/bash") ? "/bin/bash" : "/bin/sh", [script])
        let run = try? TestProcess.run(exe, args, timeout: 900)
        if let path = findOpenSSL(), works(path) { return .success(path) }
        let output = run.map { "status \($0.status)\n\($0.stdout.suffix(2000))\n\($0.stderr.suffix(2000))" } ?? "could not start it"
        return .failure(.openSSLMissing("Ran \(script) but openssl is still missing: \(output)"))
    }

    private static func works(_ path: String) -> Bool {
        (try? TestProcess.run(path, ["version"], timeout: 10))?.succeeded ?? false
    }

    private static func findOpenSSL() -> String? {
        let fm = FileManager.default
        let env = ProcessInfo.processInfo.environment
        if let override = env["TLSGUARD_OPENSSL"], !override.isEmpty, fm.isExecutableFile(atPath: override) {
            return override
        }
        var candidates = ["/opt/homebrew/opt/openssl@3/bin/openssl", "/usr/local/opt/openssl@3/bin/openssl"]
        for dir in (env["PATH"] ?? "").split(separator: ":") where !dir.isEmpty {
            candidates.append("\(dir)/openssl")
        }
        candidates += ["/usr/bin/openssl", "/usr/local/bin/openssl", "/bin/openssl"]
        return candidates.first { fm.isExecutableFile(atPath: $0) }
    }

    /// `scripts/install-test-deps` in the nearest ancestor of this source file (or of the current
    /// directory) that has one.
    private static func installScript(file: String = #filePath) -> String? {
        let fm = FileManager.default
        for start in [URL(fileURLWithPath: file).deletingLastPathComponent(),
                      URL(fileURLWithPath: fm.currentDirectoryPath, isDirectory: true)] {
            var dir = start.standardizedFileURL
            while true {
                let candidate = dir.appendingPathComponent("scripts/install-test-deps").path
                if fm.fileExists(atPath: candidate) { return candidate }
                let parent = dir.deletingLastPathComponent()
                if parent.path == dir.path || dir.path == "/" { break }
                dir = parent
            }
        }
        return nil
    }
}

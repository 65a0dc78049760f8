import Foundation

/// A Python script from `Tests/TestSupport/Peers/` serving on 127.0.0.1: for behaviour no maintained
/// TLS implementation still has (Heartbleed, CCS injection, compression), so the scanner's
/// "vulnerable" paths meet real bytes on a socket, and for servers built on a Python TLS library
/// (tlslite-ng, run by the test venv's interpreter). The script prints `PORT <n>` once listening.
final class ScriptedPeer: @unchecked Sendable {
    // @unchecked: `process` is only touched by start/stop; `stopped` is behind a lock.
    let port: Int
    private let process: Process
    private let stopped = TestLocked(false)

    private init(port: Int, process: Process) {
        self.port = port
        self.process = process
    }

    /// The Python of the test venv (`.build/test-peers/venv`, made by scripts/install-test-deps),
    /// which has tlslite-ng; `TLSGUARD_TEST_PYTHON` overrides it.
    static var venvPython: String {
        if let override = ProcessInfo.processInfo.environment["TLSGUARD_TEST_PYTHON"], !override.isEmpty { return override }
        let here: String = #filePath
        let root = URL(fileURLWithPath: here).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/test-peers/venv/bin/python3").path
    }

    /// Starts `Peers/<script> <arguments>` with `python` (default: `python3` from the PATH).
    static func start(_ script: String, arguments: [String] = [], python: String? = nil) throws -> ScriptedPeer {
        let here: String = #filePath
        let path = URL(fileURLWithPath: here).deletingLastPathComponent().appendingPathComponent("Peers/\(script)").path
        guard FileManager.default.fileExists(atPath: path) else { throw TestSupportError.processFailed(command: "python3 \(path)", status: -1, output: "no such script") }
        if let python, !FileManager.default.isExecutableFile(atPath: python) {
            throw TestSupportError.processFailed(command: "\(python) \(path)", status: -1,
                                                 output: "no such interpreter: run scripts/install-test-deps (it makes the test venv)")
        }
        let p = Process()
        if let python {
            p.executableURL = URL(fileURLWithPath: python)
            p.arguments = [path] + arguments
        } else {
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["python3", path] + arguments
        }
        let out = Pipe()
        p.standardOutput = out
        let errPath = try TestScratch.makeDirectory(prefix: "peer").appendingPathComponent("stderr.log").path
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        p.standardError = FileHandle(forWritingAtPath: errPath) ?? FileHandle.nullDevice
        p.standardInput = FileHandle.nullDevice
        try TestProcess.launch(p)
        TestChildProcesses.register(p.processIdentifier)
        // First line: "PORT <n>".
        var line = Data()
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            let byte = out.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { break }
            line.append(byte)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard text.hasPrefix("PORT "), let port = Int(text.dropFirst(5)) else {
            p.terminate()
            TestChildProcesses.unregister(p.processIdentifier)
            let stderr = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
            throw TestSupportError.processFailed(command: "python3 \(path)", status: -1, output: "did not print PORT: '\(text)'\n\(stderr)")
        }
        return ScriptedPeer(port: port, process: p)
    }

    func stop() {
        let already = stopped.withLock { s -> Bool in
            defer { s = true }
            return s
        }
        guard !already else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        TestChildProcesses.unregister(process.processIdentifier)
    }

    deinit { stop() }
}

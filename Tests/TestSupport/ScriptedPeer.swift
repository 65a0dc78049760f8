import Foundation

/// A Python script from `Tests/TestSupport/Peers/` serving on 127.0.0.1: for behaviour no maintained
/// TLS implementation still has (Heartbleed, CCS injection, compression), so the scanner's
/// "vulnerable" paths meet real bytes on a socket. The script prints `PORT <n>` once listening.
final class ScriptedPeer: @unchecked Sendable {
    // @unchecked: `process` is only touched by start/stop; `stopped` is behind a lock.
    let port: Int
    private let process: Process
    private let stopped = TestLocked(false)

    private init(port: Int, process: Process) {
        self.port = port
        self.process = process
    }

    static func start(_ script: String, arguments: [String] = []) throws -> ScriptedPeer {
        let here: String = #filePath
        let path = URL(fileURLWithPath: here).deletingLastPathComponent().appendingPathComponent("Peers/\(script)").path
        guard FileManager.default.fileExists(atPath: path) else { throw TestSupportError.processFailed(command: "python3 \(path)", status: -1, output: "no such script") }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", path] + arguments
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
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
            throw TestSupportError.processFailed(command: "python3 \(path)", status: -1, output: "did not print PORT: '\(text)'")
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

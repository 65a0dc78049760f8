import ArgumentParser
import Foundation
import TLSReport
import TLSScanner

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

struct OutputOptions: ParsableArguments {
    @Option(name: .long, help: "Output format: text or json.")
    var format: OutputFormat = .text

    @Option(name: .long, help: "Write the report to this file instead of standard output.")
    var out: String?

    /// Fails (usage error) when `--out` cannot be written, before any work starts.
    func validateDestination() throws { try OutputDestination.validate(out) }

    /// Writes the rendered report where the user asked.
    func emit(_ report: JudgedScan) throws {
        let color = out == nil && Terminal.colorEnabled
        let text: String
        switch format {
        case .text: text = TextRenderer(color: color).render(report)
        case .json: text = try JSONRenderer.render(report)
        }
        try OutputDestination.write(text, to: out)
    }
}

/// Where a command's report goes: `--out FILE`, or standard output.
enum OutputDestination {
    /// Fails (usage error) when `out` cannot be written, before any work starts: its folder must
    /// exist and be writable, and the path must not be a folder.
    static func validate(_ out: String?) throws {
        guard let out else { return }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: out, isDirectory: &isDirectory) {
            if isDirectory.boolValue { throw ValidationError("--out '\(out)' is a folder, not a file") }
            guard access(out, W_OK) == 0 else { throw ValidationError("--out '\(out)' is not writable: \(String(cString: strerror(errno)))") }
            return
        }
        let folder = (out as NSString).deletingLastPathComponent
        let dir = folder.isEmpty ? "." : folder
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ValidationError("--out '\(out)': the folder '\(dir)' does not exist")
        }
        guard access(dir, W_OK) == 0 else { throw ValidationError("--out '\(out)': the folder '\(dir)' is not writable: \(String(cString: strerror(errno)))") }
    }

    /// Writes `text` to `out`, or prints it.
    static func write(_ text: String, to out: String?) throws {
        if let out {
            guard FileManager.default.createFile(atPath: out, contents: Data(text.utf8)) else {
                throw CLIError("cannot write the report to '\(out)': \(String(cString: strerror(errno)))")
            }
        } else {
            print(text, terminator: "")
        }
    }
}

/// A one-line error for the user; exits with `code`.
struct CLIError: Error, CustomStringConvertible {
    var message: String
    var code: Int32
    init(_ message: String, code: Int32 = 2) {
        self.message = message
        self.code = code
    }
    var description: String { message }
}

/// Runs a command body, turning a `CLIError` into its one-line message and exit code.
func reportingCLIErrors(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let e as CLIError {
        Terminal.printError(e.message)
        throw ExitCode(e.code)
    }
}

enum Terminal {
    /// Colour only on a terminal and never with NO_COLOR (no-color.org).
    static var colorEnabled: Bool {
        if let v = ProcessInfo.processInfo.environment["NO_COLOR"], !v.isEmpty { return false }
        if ProcessInfo.processInfo.environment["TERM"] == "dumb" { return false }
        return isatty(STDOUT_FILENO) == 1
    }

    static func printError(_ message: String) {
        FileHandle.standardError.write(Data("tlsguard: \(message)\n".utf8))
    }
}

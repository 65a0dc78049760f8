import ArgumentParser
import Foundation
import TLSScanner

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

struct OutputOptions: ParsableArguments {
    @Option(name: .long, help: "Output format: text or json.")
    var format: OutputFormat = .text

    @Option(name: .long, help: "Write the report to this file instead of standard output.")
    var out: String?

    /// Writes the rendered report where the user asked.
    func emit(_ report: ScanReport) throws {
        let color = out == nil && Terminal.colorEnabled
        let text: String
        switch format {
        case .text: text = TextRenderer(color: color).render(report)
        case .json: text = try JSONRenderer.render(report)
        }
        if let out {
            do {
                try text.write(toFile: out, atomically: true, encoding: .utf8)
            } catch {
                throw CLIError("cannot write report to '\(out)': \((error as NSError).localizedDescription)")
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

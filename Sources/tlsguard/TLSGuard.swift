import ArgumentParser

@main
struct TLSGuard: AsyncParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "tlsguard",
        abstract: "Retire TLS 1.0 and 1.1 without breaking anyone: scan servers, run the sunset gateway.",
        discussion: helpText("""
            Exit codes: 0 every target was scanned (and meets every selected profile), 1 a target fails a profile, 2 a target could not be scanned, 64 usage error.

            Start with `tlsguard demo`: it scans two TLS servers it starts on 127.0.0.1.
            """),
        version: version,
        subcommands: [Scan.self, Demo.self, Profiles.self, GatewayCommand.self, ClientCheckCommand.self, ImpactCommand.self]
    )
}

/// Exit codes shared by every subcommand (documented in README and --help).
enum ExitStatus {
    static let ok: Int32 = 0
    static let profileFailed: Int32 = 1
    static let unscannable: Int32 = 2
    static let usage: Int32 = 64
}

/// Help prose written with line breaks for the source file: ArgumentParser wraps text to the terminal
/// itself, so prose paragraphs are joined into one line each; indented lines (examples) stay as written.
func helpText(_ text: String) -> String {
    text.components(separatedBy: "\n\n").map { paragraph in
        let lines = paragraph.split(separator: "\n", omittingEmptySubsequences: false)
        return lines.contains { $0.hasPrefix(" ") } ? paragraph : lines.joined(separator: " ")
    }.joined(separator: "\n\n")
}

import ArgumentParser
import TLSPolicy

struct Profiles: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the built-in compliance profiles.",
        discussion: helpText("""
            Use one with `tlsguard scan HOST --profile NAME`, or write your own in the same format
            (docs/profiles.md) and pass its path: `--profile ./my-policy.yaml`.
            """)
    )

    func run() throws {
        let profiles: [Profile]
        do { profiles = try Profile.builtIn() } catch { throw CLIError("\(error)") }
        let width = profiles.map(\.id.count).max() ?? 10
        let renderer = PlainText()
        for p in profiles {
            let line = p.id.padding(toLength: width + 2, withPad: " ", startingAt: 0) + p.name + ": " + p.description
            print(renderer.wrap(line, indent: width + 2, separator: " "))
        }
    }
}

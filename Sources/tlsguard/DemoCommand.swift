import ArgumentParser
import Foundation
import TLSDemo
import TLSGateway
import TLSPolicy
import TLSReport
import TLSScanner

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Scan two local TLS servers, then run the gateway in warn mode against TLS 1.3 and TLS 1.0 clients.",
        discussion: helpText("""
            Needs nothing but this binary: the servers run in-process (swift-nio-ssl) with
            certificates made on the fly. The legacy one accepts TLS 1.0-1.3 with CBC suites, as a
            provider's old endpoint does before a TLS 1.0/1.1 cutoff; the modern one only TLS 1.2+.

            Then the gateway part: a local upstream, `tlsguard gateway` in warn mode in front of it
            (TLS 1.2 minimum, cutoff in 30 days), a TLS 1.3 and a TLS 1.0 client, the TLS 1.0 client
            again with the gateway's clock moved past the cutoff, and the records they left. Last,
            the client check: what the gateway's check listener tells a TLS 1.0 and a TLS 1.3 client
            (will it still connect after the cutoff, rating, JA4).
            With --format json only the scan report is printed.
            """)
    )

    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingCLIErrors { try await runBody() }
    }

    func runBody() async throws {
        let legacy = try await DemoServer.start(.legacy)
        let modern = try await DemoServer.start(.modern)
        if output.format == .text && output.out == nil {
            print("tlsguard demo: two servers on 127.0.0.1")
            print("  legacy  port \(legacy.port): \(legacy.profile.description)")
            print("  modern  port \(modern.port): \(modern.profile.description)")
            print("scanning both, as `tlsguard scan 127.0.0.1:\(legacy.port) 127.0.0.1:\(modern.port) --sni localhost")
            print("                     --profile tls12-minimum` would ...\n")
        }
        let targets = [
            ScanTarget(host: "127.0.0.1", port: legacy.port, sni: "localhost"),
            ScanTarget(host: "127.0.0.1", port: modern.port, sni: "localhost"),
        ]
        // The provider-notice case: does each server speak TLS 1.2+ and nothing older?
        let scan = await runScan(targets, options: ScanOptions(), profiles: [try Profile.resolve("tls12-minimum")])
        await legacy.stop()
        await modern.stop()
        try output.emit(scan)
        if output.format == .text && output.out == nil {
            print(Self.render(try await GatewayDemo.run()), terminator: "")
        }
        if scan.report.targets.contains(where: { $0.status.status != .completed }) { throw ExitCode(ExitStatus.unscannable) }
    }

    /// The gateway part as text (fits 100 columns).
    static func render(_ r: GatewayDemo.Result) -> String {
        let day = ISO8601DateFormatter()
        day.formatOptions = [.withFullDate]
        var out = "\ntlsguard demo: the gateway on 127.0.0.1:\(r.gatewayPort) in front of an upstream on 127.0.0.1:\(r.upstreamPort)\n"
        out += "  policy: minimum TLS 1.2, warn until the cutoff \(day.string(from: r.cutoff)), then enforce\n\n"
        for step in r.steps {
            out += "  " + step.client.padding(toLength: 34, withPad: " ", startingAt: 0) + step.outcome + "\n"
            for notice in step.notices { out += String(repeating: " ", count: 36) + notice + "\n" }
        }
        out += "\n  the client check on https://127.0.0.1:\(r.checkPort)/ (and /tls-check on the gateway) tells each client:\n"
        for check in r.checks {
            out += "  " + check.client.padding(toLength: 16, withPad: " ", startingAt: 0)
            guard let c = check.report else {
                out += "no answer: \(check.failure ?? "?")\n"
                continue
            }
            let got = c.negotiated.map { [$0.version, $0.cipherSuite].compactMap { $0 }.joined(separator: " ") } ?? "-"
            out += "offers up to \(c.versions.maxOffered), got \(got)\n"
            let pad = String(repeating: " ", count: 18)
            let text = TextRenderer(color: false)
            for line in ["rating (How's My SSL rules): \(c.rating)", "now: \(c.policy.now.answer)", c.verdict,
                         "JA4 \(c.fingerprints.ja4)"] {
                out += text.wrap(pad + line, indent: 20, separator: " ") + "\n"
            }
        }
        out += "\n  records (\(r.databasePath)):\n"
        out += "    " + ["offered", "got", "outcome", "rule", "ja4"].enumerated().map { i, h in
            i == 4 ? h : h.padding(toLength: [9, 9, 17, 24][i], withPad: " ", startingAt: 0)
        }.joined() + "\n"
        for c in r.records {
            let cells = [c.maxOfferedVersion ?? "-", c.negotiatedVersion ?? "-", c.outcome, c.rule]
            out += "    " + cells.enumerated().map { i, v in v.padding(toLength: [9, 9, 17, 24][i], withPad: " ", startingAt: 0) }.joined()
                + (c.ja4 ?? "-") + "\n"
        }
        return out
    }
}

import Foundation
import TLSDemo
import TLSGateway

/// The demo's gateway part as text: the gateway's answers to each client, what the client check
/// told them, and the records they left (in the CLI's one text layout).
enum DemoTranscript {
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
            for line in ["rating (How's My SSL rules): \(c.rating)", "now: \(c.policy.now.answer)", c.verdict,
                         "JA4 \(c.fingerprints.ja4)"] {
                out += PlainText().wrap(pad + line, indent: 20, separator: " ") + "\n"
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
        return PlainText().lines(Array(out.components(separatedBy: "\n").dropLast()))
    }
}

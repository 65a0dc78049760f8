import Foundation

/// The client check's web page: the verdict in one line at the top, then the facts. One HTML
/// document with inline CSS, no scripts and no external assets (the CSP forbids both).
enum ClientCheckPage {
    static func render(_ r: ClientCheckReport, jsonPath: String) -> String {
        let after = r.policy.afterCutoff
        // The date stays on one line (a hyphen is a break opportunity).
        let when = r.policy.cutoff.map { " after <span class=\"date\">\(esc(String($0.prefix(10))))</span>" }
            ?? (r.policy.mode == "enforce" ? "" : " when old TLS is switched off")
        let headline = after.willConnect ? "Yes — your client will still connect\(when)."
            : "No — your client will not connect\(when)."
        var h = head(title: "TLS client check: \(after.willConnect ? "yes" : "no")")
        h += "<div class=\"verdict \(after.willConnect ? "yes" : "no")\" id=\"verdict\"><h1>\(headline)</h1>"
        h += "<p>\(esc(after.answer))</p>"
        if let fix = after.fix { h += "<p class=\"fix\"><b>What to do:</b> \(esc(fix))</p>" }
        h += "</div>"
        if r.source == "lookup", let c = r.connection {
            h += "<p class=\"note\">This is the last ClientHello seen from \(esc(r.client.address)) at \(esc(c.seenAt)) on "
                + "listener \(esc(c.listener)); the gateway's outcome was <b>\(esc(c.outcome))</b>"
                + (c.detail.map { " (\(esc($0)))" } ?? "") + ".</p>"
        }
        h += "<h2>Summary</h2><table>"
        h += row("Best version offered", r.versions.maxOffered)
        h += row("Versions offered", r.versions.offered.joined(separator: ", "))
        if let n = r.negotiated {
            h += row("This connection", [n.version, n.cipherSuite].compactMap { $0 }.joined(separator: " with "))
        }
        h += row("Rating (How's My SSL rules)", r.rating + (r.ratingReasons.isEmpty ? "" : " — " + r.ratingReasons.joined(separator: "; ")))
        h += row("Server name (SNI)", r.sni ?? "none sent")
        h += row("ALPN", r.alpn.isEmpty ? "none" : r.alpn.joined(separator: ", "))
        h += row("Post-quantum key agreement", r.postQuantumKeyAgreement ? "yes" : "no")
        h += row("TLS compression", r.tlsCompressionSupported ? "offered (CRIME)" : "no")
        h += row("BEAST", r.beastVuln ? "vulnerable" : "not vulnerable")
        h += row("Session tickets", r.sessionTicketSupported ? "yes" : "no")
        h += row("Record / hello versions", "\(r.versions.record) / \(r.versions.legacy) (\(r.versions.format))")
        h += "</table>"

        h += "<h2>Policy \(esc(r.policy.name))</h2><table>"
        h += row("Host", r.policy.host ?? "any (default policy)")
        h += row("Minimum version", r.policy.minimumVersion)
        h += row("Mode now", r.policy.mode)
        h += row("Cutoff", r.policy.cutoff ?? "none set")
        h += row("Now", r.policy.now.answer)
        h += row(r.policy.cutoff == nil ? "When enforced" : "After the cutoff", after.answer)
        h += "</table>"

        h += "<h2>Cipher suites, in your client's order</h2><table><tr><th>Suite</th><th>Verdict</th><th>After the cutoff</th><th>Why</th></tr>"
        for s in r.cipherSuites {
            h += "<tr class=\"\(esc(s.verdict))\"><td><code>\(esc(s.name))</code> <small>\(esc(s.id))</small></td><td>\(esc(s.verdict))</td>"
                + "<td>\(esc(s.afterCutoff ?? ""))</td><td>\(esc(s.reasons.joined(separator: "; ")))</td></tr>"
        }
        h += "</table>"
        h += "<h2>Key exchange groups</h2><p>" + list(r.namedGroups.map { $0.name + ($0.postQuantum ? " (post-quantum)" : "") }) + "</p>"
        h += "<h2>Signature algorithms</h2><p>" + list(r.signatureAlgorithms.map(\.name)) + "</p>"
        h += "<h2>Extensions</h2><p>" + list(r.extensions.map { "\($0.name) (\($0.id))" }) + "</p>"
        h += "<h2>Fingerprints</h2><table>"
        h += row("JA4", r.fingerprints.ja4, code: true) + row("JA4_r", r.fingerprints.ja4R, code: true)
        h += row("JA3", r.fingerprints.ja3, code: true) + row("JA3N", r.fingerprints.ja3n, code: true)
        h += "</table>"
        h += "<p class=\"note\">Checked \(esc(r.checkedAt)) for \(esc(r.client.address)). The same facts as JSON: "
            + "<a href=\"\(esc(jsonPath))\">\(esc(jsonPath))</a>.</p></body></html>\n"
        return h
    }

    /// The page for a lookup that found nothing.
    static func notSeen(address: String, minutes: Int) -> String {
        head(title: "TLS client check: no ClientHello seen")
            + "<div class=\"verdict unknown\" id=\"verdict\"><h1>No TLS handshake seen from \(esc(address))</h1>"
            + "<p>Nothing arrived from this address in the last \(minutes) minutes. Point your client at the check's "
            + "HTTPS address first — even a client that fails the handshake is recorded — then reload this page.</p></div>"
            + "</body></html>\n"
    }

    private static func head(title: String) -> String {
        """
        <!doctype html><html lang="en"><head><meta charset="utf-8">\
        <meta name="viewport" content="width=device-width, initial-scale=1"><title>\(esc(title))</title><style>
        body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:62rem;margin:1.5rem auto;padding:0 1rem;color:#1b1b1b}
        .verdict{padding:1rem 1.5rem;border-radius:.5rem;margin-bottom:1.5rem}
        .verdict h1{margin:.2rem 0 .6rem;font-size:2rem}.date{white-space:nowrap}.yes{background:#dff3e4;border:3px solid #1e7b34}
        .no{background:#fbe3e4;border:3px solid #b3261e}.unknown{background:#eef0f3;border:3px solid #5f6b7a}
        table{border-collapse:collapse;width:100%;margin-bottom:1rem}td,th{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top;overflow-wrap:anywhere}
        th{background:#f4f4f4}tr.insecure td{background:#fdecea}tr.weak td{background:#fff8e1}code{font-size:.9em}
        small{color:#666}.note{color:#444;font-size:.95em}.fix{font-size:1.05em}
        </style></head><body>
        """
    }

    private static func row(_ label: String, _ value: String, code: Bool = false) -> String {
        "<tr><th>\(esc(label))</th><td>" + (code ? "<code>\(esc(value))</code>" : esc(value)) + "</td></tr>"
    }

    private static func list(_ items: [String]) -> String {
        items.isEmpty ? "none" : items.map(esc).joined(separator: ", ")
    }

    static func esc(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}

import Foundation
import TLSPolicy
import TLSReport
import TLSScanner
import TLSWire

/// The human report: a compact table per target, at most 100 columns.
struct TextRenderer: TextLayout {
    var color: Bool

    func render(_ scan: JudgedScan) -> String {
        scan.targets.map { render($0.report, $0.policy) }.joined(separator: "\n")
    }

    /// One target: the head, grade and profiles, then a section per check, each its own function.
    func render(_ t: TargetReport, _ policy: PolicyResult) -> String {
        var out: [String] = []
        let sni = t.sni.map { "SNI \($0)" } ?? "no SNI"
        out.append(bold(t.target) + "  (\(t.address ?? "unresolved"), \(sni))")
        guard t.status.status == .completed else {
            out.append("  " + bad("could not be scanned: ") + (t.status.reason ?? "unknown error"))
            return lines(out)
        }
        out.append(String(format: "  scanned in %.2f s with %d connections", Double(t.durationMs) / 1000, t.probeCount))
        if let d = t.defaultNegotiation {
            out.append("  a modern client gets \(d.version) with \(d.cipherSuite.name)")
        }
        if let g = policy.grade { out += gradeLines(g) }
        for c in policy.compliance ?? [] { out += complianceLines(c) }
        out += protocolLines(t.protocols)
        for p in t.protocols where p.supported == true { out += suiteSection(p) }
        if let f = t.features { out += featureLines(f) }
        if let c = t.certificates {
            out.append("")
            out.append("  " + bold("Certificates"))
            if c.check.status != .completed { out.append("    " + (c.check.reason ?? "")) }
            for (i, chain) in c.chains.enumerated() { out += chainLines(chain, index: i + 1) }
        }
        if let h = t.http { out += httpLines(h) }
        if !policy.weaknesses.isEmpty {
            out.append("")
            out.append("  " + bold("Weaknesses"))
            for w in policy.weaknesses { out.append(findingLine(w)) }
        }
        if !t.anomalies.isEmpty {
            out.append("")
            out.append("  " + bold("Anomalies"))
            for a in t.anomalies { out.append("    " + warn(a)) }
        }
        return lines(out)
    }

    func protocolLines(_ protocols: [ProtocolResult]) -> [String] {
        var out = ["", "  " + bold("Protocols")]
        for p in protocols {
            let v = p.version
            var line = "    " + p.version.name.padding(toLength: 9, withPad: " ", startingAt: 0)
            switch (p.check.status, p.supported) {
            case (.completed, true?), (.error, true?):
                let deprecated = v <= .tls11
                line += deprecated ? bad("offered") + "   " + (v <= .sslv3 ? "insecure, must be off" : "deprecated (RFC 8996)") : good("offered")
                if p.check.status == .error { line += "  " + warn("(\(p.check.reason ?? "incomplete"))") }
            case (.completed, _):
                line += deprecated(v) ? good("not offered") : (v >= .tls12 ? warn("not offered") : "not offered")
            case (.error, _), (.notEvaluated, _):
                line += warn("error: ") + (p.check.reason ?? "")
            case (.notRun, _), (.notApplicable, _):
                line += "not run: " + (p.check.reason ?? "")
            }
            out.append(line)
        }
        return out
    }

    /// An offered version's suites (or SSL 2.0's cipher specs), their order, groups and DH size.
    func suiteSection(_ p: ProtocolResult) -> [String] {
        var out = [""]
        if let specs = p.sslv2CipherSpecs {
            out.append("  " + bold("SSLv2 cipher specs"))
            for s in specs { out.append("    \(s.code)  \(s.name)  " + bad("insecure")) }
            return out
        }
        let order: String
        switch p.serverOrder.enforced {
        case true?: order = "server order"
        case false?: order = "client order (the server has no preference)"
        case nil: order = p.serverOrder.check.status == .error ? "order unknown: \(p.serverOrder.check.reason ?? "")" : ""
        }
        out.append("  " + bold("\(p.version) cipher suites") + (order.isEmpty ? "" : " — \(order)"))
        for s in p.cipherSuites { out.append(suiteLine(s)) }
        if let g = p.groups { out.append(groupsLine(g)) }
        if let dh = dhLine(p) { out.append(dh) }
        return out
    }

    func featureLines(_ f: FeatureReport) -> [String] {
        var out = ["", "  " + bold("Features") + (f.version.map { " (on \($0.name))" } ?? "")]
        if f.check.status != .completed {
            out.append("    " + (f.check.reason ?? ""))
        } else if f.version != .tls13 {
            // On TLS 1.3 only ALPN is read, and the TLS 1.3 line below has it.
            out.append("    ALPN: \(f.alpn ?? "none")   extended master secret: \(yn(f.extendedMasterSecret))   "
                + "secure renegotiation: \(yn(f.secureRenegotiation))")
            out.append("    session tickets: \(yn(f.sessionTickets))   session IDs: \(yn(f.sessionIDs))   "
                + "OCSP stapling: \(yn(f.ocspStapling))   heartbeat: \(yn(f.heartbeat))")
            if f.resumption.status == .completed {
                out.append("    resumption: by session ID \(yn(f.sessionIDResumption))   by ticket \(yn(f.ticketResumption))")
            } else {
                out.append(fit("    resumption: \(f.resumption.status.rawValue)" + (f.resumption.reason.map { ": \($0)" } ?? "")))
            }
        }
        if let t = f.tls13 { out.append(tls13FeaturesLine(t)) }
        return out
    }

    func httpLines(_ h: HTTPResult) -> [String] {
        var out = ["", "  " + bold("HTTP")]
        guard h.check.status == .completed else {
            out.append("    " + (h.check.status == .error ? warn("error: ") : "") + (h.check.reason ?? ""))
            return out
        }
        out.append("    \(h.statusLine ?? "")" + (h.server.map { "   Server: \($0)" } ?? ""))
        if let hsts = h.hsts {
            if hsts.valid {
                var line = "    HSTS: " + good("max-age=\(hsts.maxAge ?? 0)")
                if hsts.includeSubDomains { line += "; includeSubDomains" }
                if hsts.preload { line += "; preload" }
                out.append(line)
            } else {
                out.append("    HSTS: " + warn("none or invalid"))
            }
            for p in HSTSVerdict(hsts).problems { out.append("      " + (hsts.valid ? warn(p) : p)) }
        }
        return out
    }

    private func deprecated(_ v: ProtocolVersion) -> Bool { v <= .tls11 }

    func gradeLines(_ g: GradeReport) -> [String] {
        var out: [String] = [""]
        let letter: String
        switch g.grade.first {
        case "A": letter = good(bold(g.grade))
        case "B", "C": letter = warn(bold(g.grade))
        default: letter = bad(bold(g.grade))
        }
        var head = "  Grade " + letter
        if let ignoring = g.gradeIgnoringTrust { head += " (\(ignoring) if trust issues are ignored)" }
        if let s = g.score {
            head += "   score \(s): protocol \(g.protocolScore ?? 0), key exchange \(g.keyExchangeScore ?? 0), cipher \(g.cipherScore ?? 0)"
        }
        out.append(head)
        for c in g.caps {
            let label = c.grade == "A" ? "no A+" : "capped at \(c.grade)"
            out.append(wrap("    \(label): \(c.reason)", indent: 6))
        }
        for w in g.warnings { out.append("    warning (A-): \(w)") }
        if !g.notEvaluated.isEmpty {
            out.append(wrap("    not evaluated (SSL Labs may differ): " + g.notEvaluated.map { $0.split(separator: ":").first.map(String.init) ?? $0 }.joined(separator: ", "), indent: 6))
        }
        return out
    }

    func complianceLines(_ c: ComplianceReport) -> [String] {
        var out: [String] = [""]
        let verdict: String
        switch c.verdict {
        case .compliant: verdict = good("compliant")
        case .notCompliant: verdict = bad("NOT COMPLIANT")
        case .notEvaluated: verdict = warn("not evaluated")
        }
        out.append("  " + bold(c.name) + ": " + verdict)
        for r in c.requirements {
            let mark: String
            switch r.status {
            case .pass: mark = good("pass")
            case .fail: mark = r.level == .must ? bad("FAIL") : warn("warn")
            case .notEvaluated: mark = warn("n/e ")
            }
            out.append(wrap("    \(mark)  \(r.title)", indent: 10))
            if r.status != .pass { out.append(wrap("          \(r.evidence)", indent: 10)) }
            for step in r.remediation ?? [] {
                for line in step.steps {
                    out.append(wrap("          fix (\(step.platform)): \(line)", indent: 12, separator: " "))
                }
            }
        }
        return out
    }

    func chainLines(_ c: ServedChain, index: Int) -> [String] {
        var out: [String] = []
        let a = c.analysis
        let trust: String
        switch a.trusted {
        case true?: trust = good("trusted")
        case false?: trust = bad("NOT TRUSTED")
        case nil: trust = warn("trust not evaluated")
        }
        let name: String
        switch a.hostnameMatches {
        case true?: name = good("name ok")
        case false?: name = bad("NAME MISMATCH")
        case nil: name = "no name asked"
        }
        out.append("    chain \(index): \(trust), \(name)")
        out.append(wrap("      served for: " + c.servedFor.joined(separator: "; "), indent: 18, separator: "; "))
        for (i, cert) in a.certificates.enumerated() {
            let role = i == 0 ? "leaf" : (cert.selfIssued ? "root" : "ca  ")
            var key = "\(cert.keyType) \(cert.keyBits)"
            let verdict = CertificateVerdict(cert)
            if verdict.weakKey { key = bad(key) }
            var sig = cert.signatureAlgorithm
            if verdict.weakSignature { sig = bad(sig) }
            let days: String
            switch (cert.expired, -cert.daysLeft) {
            case (true, 0): days = bad("expired today")
            case (true, 1): days = bad("expired 1 day ago")
            case (true, let ago): days = bad("expired \(ago) days ago")
            case (false, _): days = cert.daysLeft < 30 ? warn("\(cert.daysLeft) days left") : "\(cert.daysLeft) days left"
            }
            var subject = cert.subject
            if subject.count > 40 { subject = String(subject.prefix(39)) + "…" }
            out.append("      \(role)  \(subject)  \(key)  \(sig)  \(days)")
            if i == 0 && !cert.subjectAlternativeNames.isEmpty {
                out.append(wrap("            names: " + cert.subjectAlternativeNames.joined(separator: ", "), indent: 19))
                var extras: [String] = []
                if cert.mustStaple { extras.append("must-staple") }
                if cert.hasEmbeddedSCTs { extras.append("SCTs embedded") }
                if !extras.isEmpty { out.append("            " + extras.joined(separator: ", ")) }
            }
        }
        for p in a.trustProblems + (a.hostnameProblem.map { [$0] } ?? []) + a.chainProblems {
            out.append(wrap("      - " + p, indent: 8))
        }
        if a.check.status == .error { out.append("      " + warn("error: ") + (a.check.reason ?? "")) }
        return out
    }

    private func yn(_ b: Bool?) -> String { b == nil ? "?" : b! ? "yes" : "no" }


    /// What our TLS 1.3 client saw: ALPN, tickets, resumption, 0-RTT.
    func tls13FeaturesLine(_ t: TLS13FeatureReport) -> String {
        guard t.check.status == .completed else {
            return fit("    TLS 1.3 handshake: \(t.check.status.rawValue)" + (t.check.reason.map { ": \($0)" } ?? ""))
        }
        var line = "    TLS 1.3: ALPN \(t.alpn ?? "none")   tickets \(t.ticketsIssued.map(String.init) ?? "?")"
        if let life = t.ticketLifetime { line += " (\(life) s)" }
        guard t.resumption.status == .completed else {
            return fit(line + "   resumption: \(t.resumption.status.rawValue)" + (t.resumption.reason.map { ": \($0)" } ?? ""))
        }
        line += "   resumption \(yn(t.resumed))   0-RTT "
        switch t.earlyData {
        case .accepted?: line += "accepted" + (t.maxEarlyDataSize.map { " (max \($0) bytes)" } ?? "")
        case .rejected?: line += "offered, not accepted"
        case .notOffered?: line += "not offered"
        case nil: line += "?"
        }
        // Wrapped before colouring, so a coloured word is never split.
        line = fit(line)
        if t.earlyData == .accepted, let r = line.range(of: "0-RTT accepted") {
            line.replaceSubrange(r, with: "0-RTT " + warn("accepted"))
        }
        return line
    }

    func findingLine(_ w: JudgedFinding) -> String {
        let title = w.title.count > 34 ? String(w.title.prefix(33)) + "…" : w.title.padding(toLength: 34, withPad: " ", startingAt: 0)
        let verdict: String
        let detail: String
        switch (w.check.status, w.vulnerable) {
        case (.completed, true?):
            verdict = w.severity >= .high ? bad("VULNERABLE") : warn("vulnerable")
            detail = w.evidence ?? ""
        case (.completed, _):
            verdict = good("ok")
            detail = w.evidence ?? ""
        case (.notApplicable, _):
            verdict = "n/a"
            detail = w.check.reason ?? ""
        case (.notRun, _):
            verdict = "not run"
            detail = w.check.reason ?? ""
        case (.error, _):
            verdict = warn("error")
            detail = w.check.reason ?? ""
        case (.notEvaluated, _):
            verdict = warn("not evaluated")
            detail = String((w.check.reason ?? "").trimmingPrefix("not evaluated: "))
        }
        let head = "    \(title) \(verdict)"
        // The evidence is never cut: it wraps under its own column.
        return detail.isEmpty ? head : wrap(head + "  " + detail, indent: visibleCount(head) + 2, separator: " ")
    }

    func suiteLine(_ s: SuiteResult) -> String {
        let name = s.name.count > 44 ? String(s.name.prefix(43)) + "…" : s.name.padding(toLength: 44, withPad: " ", startingAt: 0)
        let kx = (s.keyExchange ?? "?").padding(toLength: 8, withPad: " ", startingAt: 0)
        let bits = String(s.bits ?? 0).leftPad(4)
        let strength = s.suite?.strength ?? SuiteStrength(rating: .weak, reasons: ["unknown suite"], tags: ["unknown"])
        var rating: String
        switch strength.rating {
        case .strong: rating = good("strong")
        case .weak: rating = warn("weak")
        case .insecure: rating = bad("insecure")
        }
        let prefix = "    \(s.code)  \(name) \(kx)\(bits)  "
        if !strength.tags.isEmpty { rating += ": " + strength.tags.joined(separator: ", ") }
        return wrap(prefix + rating, indent: prefix.count)
    }

    /// "DH parameters: 2048 bits (RFC 7919 ffdhe2048)"; with the suites of each size when they differ.
    func dhLine(_ p: ProtocolResult) -> String? {
        let primes = p.dhPrimes
        guard !primes.isEmpty else { return nil }
        let parts = primes.map { d in
            var part = "\(d.primeBits) bits" + (d.wellKnownPrime.map { " (\($0))" } ?? "")
            if d.primeBits < 2048 { part = bad(part) }
            if primes.count > 1, !d.suites.isEmpty { part += " with " + d.suites.joined(separator: ", ") }
            return part
        }
        return wrap("    DH parameters: " + parts.joined(separator: "; "), indent: 19, separator: "; ")
    }

    func groupsLine(_ g: GroupsResult) -> String {
        var parts: [String] = []
        switch g.check.status {
        case .completed:
            parts = g.groups.map { $0.postQuantum ? good($0.name + " (post-quantum)") : $0.name }
            if parts.isEmpty { parts = ["none found"] }
        case .error, .notEvaluated: parts = [warn("error: \(g.check.reason ?? "")")]
        case .notRun, .notApplicable: parts = ["not run: \(g.check.reason ?? "")"]
        }
        return wrap("    groups: " + parts.joined(separator: ", "), indent: 12)
    }
}

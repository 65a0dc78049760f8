import Foundation
import TLSImpact

/// `tlsguard impact` as text: what was tested and read, the totals in one sentence, then one
/// block per group (numbers on the first line, why and fix below), then what the source cannot show.
struct ImpactTextRenderer: TextLayout {
    var color: Bool
    var limit: Int

    func render(_ r: ImpactReport) -> String {
        let t = r.totals
        var out: [String] = []
        out.append("\(bold("Policy tested:")) \(r.policy)")
        out.append("\(bold("Read:")) \(r.source)")
        out.append("\(bold("Window:")) \(Self.format(r.since)) → \(Self.format(r.until)) UTC")
        var judged = "\(bold("Judged:")) \(Self.count(t.connectionsReplayed)) connections by replaying "
            + "\(Self.count(t.distinctHellosReplayed)) distinct ClientHellos, \(Self.count(t.connectionsByVersionOnly)) by version only"
        if t.notJudged > 0 { judged += ", \(Self.count(t.notJudged)) not judged (no usable hello)" }
        out.append(judged)
        out.append("")
        if t.connections == 0 {
            out.append("No connections in this window.")
        } else if t.refusedConnections == 0 {
            out.append(good("No client would be refused") + ": all \(Self.count(t.connections)) connections would still connect.")
        } else {
            let parts = [(t.apiKeys, "API key"), (t.userAgents, "user agent"), (t.clients, "client"), (t.addresses, "address")]
                .filter { $0.0 > 0 }.map { "\(Self.count($0.0)) \($0.1)\($0.0 == 1 ? "" : ($0.1.hasSuffix("s") ? "es" : "s"))" }
            let already = t.alreadyRefusedConnections > 0 ? "; \(Self.count(t.alreadyRefusedConnections)) already refused by the current policy" : ""
            out.append(bad("\(Self.percent(t.refusedShare)) of connections would be refused") + " (\(Self.count(t.refusedConnections)) of "
                + "\(Self.count(t.connections)), \(Self.count(t.refusedRequests)) requests\(already)): " + parts.joined(separator: ", ") + ".")
            out.append("")
            out.append(bold("By \(Self.keyName(r.groupedBy)) (\(r.groups.count)):"))
            out.append("  " + "KEY".padding(toLength: 30, withPad: " ", startingAt: 0) + "CONNS".leftPad(8) + "REQS".leftPad(8)
                + "SHARE".leftPad(8) + "  LAST SEEN         CLIENT")
            for g in r.groups.prefix(limit) { out.append(contentsOf: block(g, groupedBy: r.groupedBy)) }
            if r.groups.count > limit {
                out.append("  … \(r.groups.count - limit) more groups (--limit, or --format json/csv for all)")
            }
        }
        if !r.limitations.isEmpty {
            out.append("")
            out.append(bold("What these records cannot show:"))
            for l in r.limitations { out.append(wrap("  - " + l, indent: 4, separator: " ")) }
        }
        return lines(out)
    }

    func block(_ g: ImpactReport.Group, groupedBy: ImpactGrouping) -> [String] {
        let key = g.key.count > 28 ? String(g.key.prefix(27)) + "…" : g.key
        let client = groupedBy == .client ? (g.userAgents.first ?? "") : g.clients.joined(separator: ", ")
        var first = "  " + key.padding(toLength: 30, withPad: " ", startingAt: 0) + Self.count(g.connections).leftPad(8)
            + Self.count(g.requests).leftPad(8) + Self.percent(g.share).leftPad(8) + "  " + Self.format(g.lastSeen)
        first += "  " + client
        var out = [visibleCount(first) > Self.width ? String(first.prefix(Self.width - 1)) + "…" : first]
        var facts = "offers " + g.maxVersions.joined(separator: ", ")
        if !g.serverNames.isEmpty { facts += "; SNI " + g.serverNames.prefix(3).joined(separator: ", ") + (g.serverNames.count > 3 ? ", …" : "") }
        facts += "; first seen " + Self.format(g.firstSeen)
        if g.addresses > 1 { facts += "; \(g.addresses) addresses" }
        out.append(wrap("      " + facts, indent: 10, separator: " "))
        for reason in g.reasons { out.append(wrap("      why: " + reason, indent: 11, separator: " ")) }
        for fix in g.fixes { out.append(wrap("      fix: " + fix, indent: 11, separator: " ")) }
        return out
    }

    static func keyName(_ g: ImpactGrouping) -> String {
        switch g {
        case .apikey: return "API key"
        case .ip: return "client address"
        case .subnet: return "subnet"
        case .useragent: return "user agent"
        case .ja4: return "JA4"
        case .client: return "client"
        case .sni: return "server name"
        }
    }

    /// One formatter for the whole report: it was made anew for every date (two per group).
    nonisolated(unsafe) private static let minutes: DateFormatter = {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd HH:mm"
        return f
    }()

    static func format(_ date: Date) -> String { minutes.string(from: date) }

    static func count(_ n: Int) -> String {
        let digits = String(n)
        var out = ""
        for (i, c) in digits.reversed().enumerated() {
            if i > 0 && i % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return String(out.reversed())
    }

    static func percent(_ p: Double) -> String {
        p > 0 && p < 0.1 ? "<0.1 %" : String(format: "%.1f %%", p)
    }
}

enum ImpactJSON {
    static func render(_ r: ImpactReport) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: try encoder.encode(r), as: UTF8.self) + "\n"
    }
}

/// One row per group (RFC 4180), for outreach: a spreadsheet or a mail merge.
enum ImpactCSV {
    static let header = ["key", "connections", "requests", "share_percent", "first_seen", "last_seen", "max_versions",
                         "clients", "server_names", "user_agents", "addresses", "reasons", "fixes", "already_refused", "basis"]

    static func render(_ r: ImpactReport) -> String {
        let iso = ISO8601DateFormatter()
        var rows = [header]
        for g in r.groups {
            rows.append([
                g.key, "\(g.connections)", "\(g.requests)", String(format: "%.3f", g.share), iso.string(from: g.firstSeen),
                iso.string(from: g.lastSeen), g.maxVersions.joined(separator: "; "), g.clients.joined(separator: "; "),
                g.serverNames.joined(separator: "; "), g.userAgents.joined(separator: "; "), "\(g.addresses)",
                g.reasons.joined(separator: "; "), g.fixes.joined(separator: "; "), "\(g.alreadyRefused)", g.basis.joined(separator: "; "),
            ])
        }
        return rows.map { $0.map(field).joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
    }

    /// Quotes a field holding a comma, quote or line break (RFC 4180 §2); a leading = + - @ is
    /// prefixed with ' so a spreadsheet does not run it as a formula (user agents are client input).
    static func field(_ s: String) -> String {
        var v = s
        if let c = v.first, "=+-@".contains(c) { v = "'" + v }
        guard v.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return v }
        return "\"" + v.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

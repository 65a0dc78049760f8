import Foundation
import TLSGateway

/// What `tlsguard gateway --check-config` prints: the configuration as it will run, with notes on
/// expired exceptions and passed cutoffs (in the CLI's one text layout).
enum GatewaySummary {
    static func render(_ c: GatewayConfiguration, path: String) -> String {
        let now = Date()
        let active = c.exceptions.filter { $0.isActive(at: now) }.count
        var lines = ["\(path): ok"]
        lines.append("  listeners: " + c.listeners.map { "\($0.name) \($0.host):\($0.port)" + ($0.clientCheck ? " (client check)" : "") }.joined(separator: ", "))
        lines.append("  upstream: " + (c.upstream.map { "\($0.authority) (\($0.mode.rawValue))" } ?? "none (client check only)"))
        if let cc = c.clientCheck {
            var parts: [String] = []
            if let path = cc.path { parts.append("path \(path)") }
            if let host = cc.policyHost { parts.append("judged by the policy of \(host)") }
            if let lookup = cc.lookup { parts.append("lookup http://\(lookup.host):\(lookup.port)/") }
            lines.append("  client check: " + (parts.isEmpty ? "on" : parts.joined(separator: ", ")))
        }
        lines.append("  certificates: \(c.certificates.count)")
        let policies = [c.defaultPolicy] + (c.noSNIPolicy.map { [$0] } ?? []) + c.hostPolicies.keys.sorted().map { c.hostPolicies[$0]! }
        for p in policies {
            var s = "  \(p.name): minimum \(p.minimumVersion.displayName), \(p.mode.rawValue)"
            if let cutoff = p.cutoff { s += ", cutoff \(ISO8601DateFormatter().string(from: cutoff))" }
            if !p.brownouts.isEmpty { s += ", \(p.brownouts.count) brownout window(s)" }
            if p.explain != nil { s += ", explain" }
            lines.append(s)
        }
        lines.append("  exceptions: \(c.exceptions.count) (\(active) active)")
        let iso = ISO8601DateFormatter()
        for e in c.exceptions where !e.isActive(at: now) {
            lines.append("  note: exception \(e.name) expired \(iso.string(from: e.expires)); it no longer matches")
        }
        for p in policies {
            if let cutoff = p.cutoff, cutoff <= now, p.mode != .enforce {
                lines.append("  note: \(p.name): the cutoff \(iso.string(from: cutoff)) has passed; it enforces now")
            }
        }
        lines.append("  records: \(c.records.storeDescription ?? "none")\(c.records.retention.map { ", kept \(Int($0.components.seconds / 86_400)) days" } ?? "")")
        return PlainText().lines(lines)
    }
}

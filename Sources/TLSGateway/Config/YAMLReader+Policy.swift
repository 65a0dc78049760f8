import Foundation
import TLSWire
import Yams

/// The policy sections: `policy` (default, no-SNI and per-host) and `exceptions`.
extension YAMLReader {
    func readPolicies(_ top: [String: ConfigNode]) throws(GatewayConfigError) -> (HostPolicy, HostPolicy?, [String: HostPolicy]) {
        var defaultPolicy = HostPolicy(name: "default")
        var noSNI: HostPolicy?
        var hosts: [String: HostPolicy] = [:]
        if let policyNode = top["policy"] {
            let pm = try policyNode.mapping(allowed: ["default", "noSNI", "hosts"])
            if let d = pm["default"] { defaultPolicy = try readPolicy(d, base: defaultPolicy) }
            if let n = pm["noSNI"] {
                var base = defaultPolicy
                base.name = "noSNI"
                noSNI = try readPolicy(n, base: base)
            }
            if let h = pm["hosts"] {
                for (host, node) in try h.mapping(allowed: nil) {
                    var base = defaultPolicy
                    base.name = "hosts[\(host.lowercased())]"
                    hosts[host.lowercased()] = try readPolicy(node, base: base)
                }
            }
        }
        return (defaultPolicy, noSNI, hosts)
    }

    func readExceptions(_ top: [String: ConfigNode]) throws(GatewayConfigError) -> [PolicyException] {
        var exceptions: [PolicyException] = []
        if let exNode = top["exceptions"] {
            for item in try exNode.sequence() {
                let m = try item.mapping(allowed: ["name", "cidr", "sni", "apiKey", "apiKeySHA256", "hosts", "expires"])
                guard let name = try m["name"]?.string(), !name.isEmpty else { throw item.error("missing 'name'") }
                guard let expiresNode = m["expires"] else { throw item.error("missing 'expires': every exception ends") }
                let expires = try expiresNode.date()
                let given = ["cidr", "sni", "apiKey", "apiKeySHA256"].filter { m[$0] != nil }
                guard given.count == 1 else { throw item.error("give exactly one of cidr, sni, apiKey, apiKeySHA256") }
                let matcher: PolicyException.Matcher
                switch given[0] {
                case "cidr":
                    let text = try m["cidr"]!.string()
                    guard let range = IPAddressRange(text) else { throw m["cidr"]!.error("'\(text)' is not an address or CIDR network") }
                    matcher = .network(range)
                case "sni":
                    matcher = .serverName(try m["sni"]!.string().lowercased())
                case "apiKey":
                    matcher = .apiKeySHA256(APIKeyHash.sha256Hex(try m["apiKey"]!.string()))
                default:
                    let hex = try m["apiKeySHA256"]!.string().lowercased()
                    guard hex.count == 64, hex.allSatisfy(\.isHexDigit) else { throw m["apiKeySHA256"]!.error("expected 64 hex digits") }
                    matcher = .apiKeySHA256(hex)
                }
                if exceptions.contains(where: { $0.name == name }) { throw item.error("duplicate exception name '\(name)'") }
                let scope = try m["hosts"].map { node throws(GatewayConfigError) in Set(try node.strings().map { $0.lowercased() }) }
                exceptions.append(PolicyException(name: name, matcher: matcher, hosts: scope, expires: expires))
            }
        }
        return exceptions
    }

    func readPolicy(_ node: ConfigNode, base: HostPolicy) throws(GatewayConfigError) -> HostPolicy {
        var p = base
        let m = try node.mapping(allowed: Self.policyKeys)
        if let n = m["minimumVersion"] {
            let text = try n.string()
            guard let v = ProtocolVersion(parsing: text), [.tls10, .tls11, .tls12, .tls13].contains(v) else {
                throw n.error("'\(text)' is not TLSv1.0, TLSv1.1, TLSv1.2 or TLSv1.3")
            }
            p.minimumVersion = v
        }
        if let n = m["mode"] { p.mode = try n.choice(PolicyMode.self, PolicyMode.allCases) }
        if let n = m["cutoff"] { p.cutoff = try n.date() }
        if let n = m["brownouts"] {
            p.brownouts = []
            for w in try n.sequence() {
                let wm = try w.mapping(allowed: ["start", "end"])
                guard let s = wm["start"], let e = wm["end"] else { throw w.error("a brownout needs 'start' and 'end'") }
                let window = TimeWindow(start: try s.date(), end: try e.date())
                if window.end <= window.start { throw w.error("'end' must be after 'start'") }
                p.brownouts.append(window)
            }
        }
        if let n = m["brownoutResponse"] { p.brownoutResponse = try n.choice(BrownoutResponse.self, [.alert, .explain]) }
        if let n = m["deprecationLink"] { p.deprecationLink = try n.string() }
        if let n = m["explain"] {
            if n.node.scalar != nil {
                p.explain = try n.bool() ? ExplainSettings(link: p.deprecationLink) : nil
            } else {
                let em = try n.mapping(allowed: ["status", "format", "message", "link"])
                var e = p.explain ?? ExplainSettings(link: p.deprecationLink)
                if let s = em["status"] { e.status = try s.int(in: 200...599) }
                if let f = em["format"] { e.format = try f.choice(ExplainSettings.Format.self, [.json, .html]) }
                if let t = em["message"] { e.message = try t.string() }
                if let l = em["link"] { e.link = try l.string() }
                p.explain = e
            }
        }
        if p.mode == .brownout && p.brownouts.isEmpty {
            throw node.error("mode 'brownout' needs at least one window in 'brownouts'")
        }
        return p
    }
}

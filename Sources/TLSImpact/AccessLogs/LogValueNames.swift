import TLSWire

/// Turns what proxies log into the names the gateway's records use: `TLSv1.0` for nginx's and
/// HAProxy's `TLSv1`, IANA suite names for OpenSSL's, registry group names for OpenSSL's curve names.
/// A value the registries do not know is kept as logged, never guessed.
enum LogValueNames {
    /// `TLSv1` → `TLSv1.0`; `TLSv1.3`, `SSLv3` unchanged; unknown text kept.
    static func version(_ logged: String) -> String {
        ProtocolVersion(parsing: logged).map(\.name) ?? logged
    }

    /// `ECDHE-RSA-AES128-GCM-SHA256` → `TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`; IANA names (TLS 1.3's
    /// suites, which OpenSSL names the IANA way) and `0x…` code points are accepted too.
    static func cipher(_ logged: String) -> String {
        suite(logged)?.name ?? logged
    }

    /// One offered or negotiated suite, or nil when no registry knows the name.
    static func suite(_ name: String) -> CipherSuite? {
        if let info = CipherSuiteInfo.named(openssl: name) ?? CipherSuiteInfo.named(iana: name) { return info.suite }
        if let code = hexCode(name) { return CipherSuite(code) }
        return nil
    }

    /// A logged list of offered suites as comma-separated IANA names, in the client's order.
    /// GREASE values (RFC 8701) and the signalling values (RFC 5746 §3.3, RFC 7507) are left out,
    /// as the records' hello-derived lists leave them out; an unknown name is kept as logged.
    static func suites(_ logged: String, _ encoding: OfferedListEncoding) -> String? {
        var names: [String] = []
        switch encoding {
        case .names:
            for item in items(logged) {
                if let s = suite(item) {
                    if !s.isGREASE && !s.isSCSV { names.append(s.name) }
                } else {
                    names.append(item)
                }
            }
        case .hex, .decimal:
            guard let codes = codes(logged, encoding) else { return nil }
            for s in codes.map({ CipherSuite($0) }) where !s.isGREASE && !s.isSCSV { names.append(s.name) }
        }
        return names.isEmpty ? nil : names.joined(separator: ",")
    }

    /// A logged list of offered groups as comma-separated registry names (`x25519`, `secp256r1`),
    /// GREASE left out; an unknown name is kept as logged.
    static func groups(_ logged: String, _ encoding: OfferedListEncoding) -> String? {
        var names: [String] = []
        switch encoding {
        case .names:
            for item in items(logged) {
                if let g = groupsByName[item.lowercased()] {
                    names.append(g.name)
                } else if let code = hexCode(item) {
                    let g = NamedGroup(code)
                    if !g.isGREASE { names.append(g.name) }
                } else {
                    names.append(item)
                }
            }
        case .hex, .decimal:
            guard let codes = codes(logged, encoding) else { return nil }
            for g in codes.map({ NamedGroup($0) }) where !g.isGREASE { names.append(g.name) }
        }
        return names.isEmpty ? nil : names.joined(separator: ",")
    }

    /// The registry's names, lowercased, plus OpenSSL's own spellings of the same curves.
    static let groupsByName: [String: NamedGroup] = {
        var d: [String: NamedGroup] = [:]
        for g in NamedGroup.allKnown { d[g.name.lowercased()] = g }
        // OpenSSL's NIST names (obj_mac.h) and its `P-256` aliases.
        d["prime256v1"] = .secp256r1
        d["prime192v1"] = NamedGroup(19)
        d["p-256"] = .secp256r1
        d["p-384"] = .secp384r1
        d["p-521"] = .secp521r1
        return d
    }()

    private static func items(_ logged: String) -> [String] {
        logged.split(whereSeparator: { $0 == ":" || $0 == "," || $0 == " " }).map(String.init)
    }

    /// `0x00ff`, `0x1D` → the code point.
    private static func hexCode(_ s: String) -> UInt16? {
        guard s.count > 2, s.hasPrefix("0x") || s.hasPrefix("0X") else { return nil }
        return UInt16(s.dropFirst(2), radix: 16)
    }

    /// 4-hex-digit code points run together, or decimal numbers with separators.
    private static func codes(_ logged: String, _ encoding: OfferedListEncoding) -> [UInt16]? {
        switch encoding {
        case .hex:
            let hex = Array(logged.utf8)
            guard hex.count % 4 == 0 else { return nil }
            var out: [UInt16] = []
            for i in stride(from: 0, to: hex.count, by: 4) {
                guard let v = UInt16(String(decoding: hex[i..<i + 4], as: UTF8.self), radix: 16) else { return nil }
                out.append(v)
            }
            return out
        case .decimal:
            let parts = logged.split(whereSeparator: { !$0.isNumber })
            let out = parts.compactMap { UInt16($0) }
            return out.count == parts.count ? out : nil
        case .names:
            return nil
        }
    }
}

/// The facts of a group of log lines, in the records' naming: what `ImpactObservation` holds
/// besides its counts. Two groups whose raw bytes differ but mean the same (`TLSv1` and `TLSv1.0`,
/// an escaped and an unescaped user agent) have equal facts and are counted together.
struct AccessLogFacts: Hashable, Sendable {
    var clientAddress: String?
    var serverName: String?
    var negotiatedVersion: String?
    var cipherSuite: String?
    var offeredSuites: String?
    var offeredGroups: String?
    var ja3: String?
    var ja4: String?
    /// `sha256:<hex>` of the logged key, as the gateway records it by default.
    var apiKey: String?
    var userAgent: String?

    /// A few short facts only; the rest are compared by `==` (groups that differ only in them
    /// are rare, and hashing every string of every group was a large share of the time).
    func hash(into h: inout Hasher) {
        h.combine(clientAddress)
        h.combine(negotiatedVersion)
        h.combine(apiKey)
    }
}

/// Turns the groups of one parsing task into facts, with the format's escaping and encodings:
/// each distinct value of a field is decoded (and an API key hashed) once.
struct AccessLogFactsDecoder {
    let format: AccessLogFormat
    let hashAPIKey: @Sendable (String) -> String

    func facts(_ groups: LogLineGroups) -> [AccessLogFacts: AccessLogTally] {
        let decoded: [[String?]] = LogField.facts.enumerated().map { k, field in
            let interner = groups.values[k]
            return (0..<interner.count).map { decode(field, interner.value(Int32($0))) }
        }
        var out: [AccessLogFacts: AccessLogTally] = [:]
        out.reserveCapacity(groups.tallies.count)
        for (g, tally) in groups.tallies.enumerated() {
            let key = groups.key(of: g)
            func value(_ k: Int) -> String? { key[k] < 0 ? nil : decoded[k][Int(key[k])] }
            let f = AccessLogFacts(
                clientAddress: value(0), serverName: value(1), negotiatedVersion: value(2), cipherSuite: value(3),
                offeredSuites: value(4), offeredGroups: value(5), ja3: value(6), ja4: value(7), apiKey: value(8),
                userAgent: value(9))
            if out[f] == nil { out[f] = tally } else { out[f]!.merge(tally) }
        }
        return out
    }

    /// One raw value as the records name it.
    func decode(_ field: LogField, _ bytes: ArraySlice<UInt8>) -> String? {
        let s = LogValueDecoder.decode(bytes, format.escaping, backslashes: format.backslashEscaped.contains(field),
                                       hashEscapes: format.hashEscaped.contains(field))
        if s.isEmpty || s == "-" { return nil }
        switch field {
        case .clientAddress: return format.hexClientAddress ? Self.address(hex: s) : s
        case .tlsVersion: return LogValueNames.version(s)
        case .cipher: return LogValueNames.cipher(s)
        case .offeredSuites: return LogValueNames.suites(s, format.suitesEncoding)
        case .offeredGroups: return LogValueNames.groups(s, format.groupsEncoding)
        case .apiKey: return hashAPIKey(s)
        default: return s
        }
    }

    /// HAProxy's `%{+X}ci`: `7F000001` → `127.0.0.1`; 32 hex digits → an IPv6 address. Anything
    /// else is kept as logged.
    static func address(hex: String) -> String {
        let digits = Array(hex.utf8)
        guard digits.count == 8 || digits.count == 32,
              let bytes = Optional(stride(from: 0, to: digits.count, by: 2).compactMap({ i -> UInt8? in
                  guard let h = LogValueDecoder.hexValue(digits[i]), let l = LogValueDecoder.hexValue(digits[i + 1])
                  else { return nil }
                  return h << 4 | l
              })), bytes.count == digits.count / 2
        else { return hex }
        if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
        return stride(from: 0, to: 16, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
            .joined(separator: ":")
    }
}

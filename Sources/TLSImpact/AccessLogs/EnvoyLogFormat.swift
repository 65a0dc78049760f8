/// Envoy's JSON access log (`json_format`): one object per line, its keys chosen by whoever wrote
/// the config. tlsguard reads the keys below by default; `format` (`field=key,…`) renames any of
/// them, e.g. `tls_version=tls,user_agent=ua`.
enum EnvoyLogFormat {
    /// The fields, their default keys and the command operator that fills them.
    static let defaults: [(name: String, field: LogField, key: String, command: String)] = [
        ("time", .time, "start_time", "%START_TIME%"),
        ("tls_version", .tlsVersion, "downstream_tls_version", "%DOWNSTREAM_TLS_VERSION%"),
        ("tls_cipher", .cipher, "downstream_tls_cipher", "%DOWNSTREAM_TLS_CIPHER%"),
        ("server_name", .serverName, "requested_server_name", "%REQUESTED_SERVER_NAME%"),
        ("client_address", .clientAddress, "downstream_remote_address", "%DOWNSTREAM_REMOTE_ADDRESS%"),
        ("user_agent", .userAgent, "user_agent", "%REQ(USER-AGENT)%"),
        ("ja3", .ja3, "tls_ja3_fingerprint", "%TLS_JA3_FINGERPRINT%"),
        ("ja4", .ja4, "tls_ja4_fingerprint", "%TLS_JA4_FINGERPRINT%"),
        ("connection_id", .connectionID, "connection_id", "%CONNECTION_ID%"),
        ("api_key", .apiKey, "", "%REQ(X-API-KEY)%"),
    ]

    static func compile(_ text: String?, apiKeyField: String?) throws -> AccessLogFormat {
        var keys: [LogField: String] = [:]
        for d in defaults where !d.key.isEmpty { keys[d.field] = d.key }
        for item in (text ?? "").split(separator: ",") {
            let pair = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, !pair[1].isEmpty, let d = defaults.first(where: { $0.name == pair[0] }) else {
                throw AccessLogError(code: .unusableFormat, path: nil, detail:
                    "Envoy log format: `\(item.trimmingCharacters(in: .whitespaces))` is not field=key with a field among "
                        + defaults.map(\.name).joined(separator: ", "))
            }
            keys[d.field] = pair[1]
        }
        if let apiKeyField { keys[.apiKey] = apiKeyField.trimmingCharacters(in: .whitespaces) }
        if keys[.time] == nil || keys[.time]!.isEmpty {
            throw AccessLogError(code: .unusableFormat, path: nil, detail: "Envoy log format: no key for the time")
        }
        let fields = Set(keys.keys)
        let counting: ConnectionCounting = .identifier
        var limitations = AccessLogFormat.limitations(
            kind: .envoy, fields: fields.union([.offeredSuites, .offeredGroups]), counting: counting,
            apiKeyGiven: keys[.apiKey] != nil
        ) { _ in "" }
        limitations.append("Envoy cannot log the suites a client offered: cipher tightening cannot be judged")
        limitations.append("Envoy cannot log the groups a client offered: changes to the key-exchange groups cannot be judged")
        return AccessLogFormat(
            kind: .envoy, lines: .json(EnvoyJSONKeys(keys)), fields: fields, time: .iso8601OrEpoch,
            escaping: .json, counting: counting, addressWithPort: true, limitations: limitations)
    }

    /// The sentences for fields no line of the last read had (Envoy writes `-` or null for an
    /// operator it cannot fill, and a key the config lacks is absent).
    static func missing(_ field: LogField, key: String) -> String? {
        guard let d = defaults.first(where: { $0.field == field }) else { return nil }
        switch field {
        case .tlsVersion: return "no line has \"\(key)\" (\(d.command)): the negotiated version is unknown, so no client can be judged"
        case .cipher: return "no line has \"\(key)\" (\(d.command)): the negotiated suite is unknown"
        case .serverName: return "no line has \"\(key)\" (\(d.command)): server names are unknown"
        case .userAgent: return "no line has \"\(key)\" (\(d.command)): user agents are unknown"
        case .ja3, .ja4:
            return "no line has \"\(key)\" (\(d.command), which needs the TLS inspector's fingerprinting enabled)"
        case .connectionID:
            return "no line has \"\(key)\" (\(d.command)): connections are counted as distinct client address and port pairs"
        case .apiKey: return "no line has \"\(key)\": requests cannot be told apart by API key"
        default: return nil
        }
    }
}

/// The JSON keys of each field, and a scanner that finds their values in one line's bytes.
struct EnvoyJSONKeys: Sendable {
    let keys: [(field: LogField, key: [UInt8])]

    init(_ keys: [LogField: String]) {
        self.keys = keys.map { ($0.key, Array($0.value.utf8)) }.sorted { $0.field.rawValue < $1.field.rawValue }
    }

    /// Scans one JSON object (RFC 8259) and records the raw value range of each known top-level key:
    /// a string's content between its quotes (escapes left for `LogValueDecoder`), a number or
    /// boolean as written, null as an empty value. Nested objects and arrays are skipped.
    /// False when the line is not one whole JSON object.
    func scan(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int, _ values: inout LineValues) -> Bool {
        var i = start
        func skipSpace() { while i < end, p[i] == 0x20 || p[i] == 0x09 || p[i] == 0x0D || p[i] == 0x0A { i += 1 } }
        /// A string at `i` (on its opening quote): the content range; `i` ends after the closing quote.
        func string() -> Range<Int>? {
            guard i < end, p[i] == UInt8(ascii: "\"") else { return nil }
            i += 1
            let s = i
            while i < end {
                let c = p[i]
                if c == UInt8(ascii: "\\") { i += 2; continue }
                if c == UInt8(ascii: "\"") { i += 1; return s..<(i - 1) }
                i += 1
            }
            return nil
        }
        /// Any value at `i`; `i` ends after it. A string's content, a number or boolean as written,
        /// an empty range for null, nil for an object or array.
        func value() -> Range<Int>?? {
            guard i < end else { return nil }
            switch p[i] {
            case UInt8(ascii: "\""):
                guard let r = string() else { return nil }
                return .some(r)
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                var depth = 0
                while i < end {
                    let c = p[i]
                    if c == UInt8(ascii: "\"") { guard string() != nil else { return nil }; continue }
                    if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") { depth += 1 }
                    if c == UInt8(ascii: "}") || c == UInt8(ascii: "]") {
                        depth -= 1
                        if depth == 0 { i += 1; return .some(nil) }
                    }
                    i += 1
                }
                return nil
            default:
                let s = i
                while i < end, p[i] != UInt8(ascii: ","), p[i] != UInt8(ascii: "}"), p[i] != 0x20, p[i] != 0x09 { i += 1 }
                guard i > s else { return nil }
                if i - s == 4 && p[s] == UInt8(ascii: "n") && p[s + 1] == UInt8(ascii: "u") { return .some(s..<s) }
                return .some(s..<i)
            }
        }

        skipSpace()
        guard i < end, p[i] == UInt8(ascii: "{") else { return false }
        i += 1
        skipSpace()
        if i < end && p[i] == UInt8(ascii: "}") { i += 1; skipSpace(); return i == end }
        while true {
            skipSpace()
            guard let key = string() else { return false }
            skipSpace()
            guard i < end, p[i] == UInt8(ascii: ":") else { return false }
            i += 1
            skipSpace()
            guard let range = value() else { return false }
            if let range, let field = field(p, key) { values.set(field, range.lowerBound, range.upperBound) }
            skipSpace()
            guard i < end else { return false }
            if p[i] == UInt8(ascii: ",") { i += 1; continue }
            if p[i] == UInt8(ascii: "}") { i += 1; break }
            return false
        }
        skipSpace()
        return i == end
    }

    @inline(__always)
    private func field(_ p: UnsafePointer<UInt8>, _ key: Range<Int>) -> LogField? {
        for (field, k) in keys where k.count == key.count {
            if LineMatcher.hasLiteral(k, p, key.lowerBound, key.upperBound) { return field }
        }
        return nil
    }
}

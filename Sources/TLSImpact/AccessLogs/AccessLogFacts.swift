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
}

/// Turns a group's raw key into facts, with the format's escaping and encodings; caches the
/// API-key hashes (a key recurs in many groups).
struct AccessLogFactsDecoder {
    let format: AccessLogFormat
    let hashAPIKey: @Sendable (String) -> String
    private var hashed: [String: String] = [:]

    init(format: AccessLogFormat, hashAPIKey: @escaping @Sendable (String) -> String) {
        self.format = format
        self.hashAPIKey = hashAPIKey
    }

    mutating func facts(_ key: [UInt8]) -> AccessLogFacts {
        let raw = LogLineGroups.values(of: key)
        func text(_ field: LogField) -> String? {
            guard let bytes = raw[field] else { return nil }
            let s = LogValueDecoder.decode(bytes, format.escaping, backslashes: format.backslashes)
            return s.isEmpty || s == "-" ? nil : s
        }
        var f = AccessLogFacts()
        f.clientAddress = text(.clientAddress).map { format.hexClientAddress ? Self.address(hex: $0) : $0 }
        f.serverName = text(.serverName)
        f.negotiatedVersion = text(.tlsVersion).map(LogValueNames.version)
        f.cipherSuite = text(.cipher).map(LogValueNames.cipher)
        f.offeredSuites = text(.offeredSuites).flatMap { LogValueNames.suites($0, format.suitesEncoding) }
        f.offeredGroups = text(.offeredGroups).flatMap { LogValueNames.groups($0, format.groupsEncoding) }
        f.ja3 = text(.ja3)
        f.ja4 = text(.ja4)
        f.userAgent = text(.userAgent)
        if let key = text(.apiKey) {
            if let h = hashed[key] {
                f.apiKey = h
            } else {
                let h = hashAPIKey(key)
                hashed[key] = h
                f.apiKey = h
            }
        }
        return f
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

import Foundation

/// HAProxy's `log-format`, compiled for reading lines.
///
/// Accepted forms: the format as HAProxy uses it (`%ci:%cp [%tr] %ft …`), the `log-format` line's
/// argument as haproxy.cfg writes it (quoted, or with `\ ` for spaces; with or without the
/// `log-format` keyword), or a predefined name: `httplog` (the default), `httpslog`, `tcplog`.
///
/// Captured request headers (`%hr`, `%[capture.req.hdr(N)]`) carry no names in the log, so they are
/// declared before the format, in the order of the frontend's `capture request header` lines and
/// written as the log writes them: `hr={User-Agent|X-API-Key} %ci:%cp [%tr] …`. The capture named
/// `User-Agent` is the user agent; the one the API-key field names (`X-API-Key`) is the key.
enum HAProxyLogFormat {
    /// `option httplog` (configuration manual §8.2.3).
    static let httplog = "%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r"
    /// `option httpslog` (§8.2.4).
    static let httpslog = httplog
        + " %[fc_err]/%[ssl_fc_err,hex]/%[ssl_c_err]/%[ssl_c_ca_err]/%[ssl_fc_is_resumed] %[ssl_fc_sni]/%sslv/%sslc"
    /// `option tcplog` (§8.2.2).
    static let tcplog = "%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts %ac/%fc/%bc/%sc/%rc %sq/%bq"

    enum ValueType {
        case string, number, address, date, zonedDate, epoch, captures, anyString
    }

    /// The variables of §8.2.6 and what each holds.
    static let variables: [String: (LogField?, ValueType)] = {
        var v: [String: (LogField?, ValueType)] = [
            "ci": (.clientAddress, .address), "cp": (.clientPort, .number),
            "t": (.time, .date), "tr": (.time, .date), "T": (.time, .zonedDate), "Tl": (.time, .zonedDate),
            "trg": (.time, .zonedDate), "trl": (.time, .zonedDate), "Ts": (.time, .epoch),
            "ms": (.timeMilliseconds, .number), "sslv": (.tlsVersion, .string), "sslc": (.cipher, .string),
            "hr": (.headerCaptures, .captures), "hs": (nil, .captures), "r": (nil, .anyString),
            "hrl": (nil, .anyString), "hsl": (nil, .anyString),
        ]
        for s in ["CC", "CS", "H", "HM", "HP", "HPO", "HQ", "HU", "HV", "ID", "b", "f", "ft", "s", "ts", "tsc"] {
            v[s] = (nil, .string)
        }
        for n in ["B", "ST", "Ta", "Tc", "Td", "Th", "Ti", "Tq", "TR", "Tr", "Tt", "Tu", "Tw", "U", "ac", "bc", "bp",
                  "bq", "fc", "fp", "lc", "pid", "rc", "rt", "sc", "sp", "sq"] {
            v[n] = (nil, .number)
        }
        for a in ["bi", "fi", "si"] { v[a] = (nil, .address) }
        return v
    }()

    private enum Token {
        case literal([UInt8])
        case separator
        case variable(String, Flags)
        case sample(String, Flags)
    }

    struct Flags: Hashable {
        var quote = false
        var hex = false
        var escape = false
    }

    static func compile(_ text: String?, apiKeyField: String?) throws -> AccessLogFormat {
        let (captureNames, rest) = try declaration(text ?? "")
        let format = try unwrap(rest)
        let tokens = try tokenize(format)
        let apiKeyHeader = apiKeyField?.trimmingCharacters(in: .whitespaces).lowercased()

        func captureField(_ index: Int) -> LogField? {
            guard let captureNames, index < captureNames.count else { return nil }
            let name = captureNames[index].lowercased()
            if name == apiKeyHeader { return .apiKey }
            if name == "user-agent" { return .userAgent }
            return nil
        }

        // The time: the best the format has (a zone beats none).
        let timeOrder = ["trg", "trl", "Tl", "T", "Ts", "tr", "t"]
        let timeVariable = timeOrder.first { name in
            tokens.contains { if case .variable(name, _) = $0 { return true } else { return false } }
        }

        var segments: [LineMatcher.Segment] = []
        var fields = Set<LogField>()
        var hashEscaped = Set<LogField>()
        var backslashEscaped = Set<LogField>()
        var hexClientAddress = false
        var suitesEncoding = OfferedListEncoding.names
        var groupsEncoding = OfferedListEncoding.names
        for token in tokens {
            switch token {
            case .literal(let b):
                segments.append(.literal(b))
            case .separator:
                segments.append(.separator)
            case .variable(let name, let flags):
                guard let (known, type) = variables[name] else {
                    throw AccessLogError(code: .unusableFormat, path: nil, detail:
                        "HAProxy log format: unknown variable %\(name) (configuration manual §8.2.6)")
                }
                var field = known
                if field == .time && name != timeVariable { field = nil }
                if field == .timeMilliseconds && timeVariable != "Ts" { field = nil }
                if let f = field, fields.contains(f) { field = nil }
                if let f = field { fields.insert(f) }
                if flags.escape, let field { backslashEscaped.insert(field) }
                if field == .clientAddress && flags.hex { hexClientAddress = true }
                append(&segments, field: field, type: type, flags: flags, name: "%" + name)
            case .sample(let expression, let flags):
                var field: LogField?
                let fetch = String(expression.prefix { $0 != "(" && $0 != "," }).lowercased()
                let converters = expression.lowercased()
                switch fetch {
                case "ssl_fc_sni": field = .serverName
                case "ssl_fc_protocol": field = .tlsVersion
                case "ssl_fc_cipher": field = .cipher
                case "ssl_fc_cipherlist_str": field = .offeredSuites; suitesEncoding = .names
                case "ssl_fc_cipherlist_hex": field = .offeredSuites; suitesEncoding = .hex
                case "ssl_fc_cipherlist_bin", "ssl_fc_eclist_bin":
                    let encoding: OfferedListEncoding? = converters.contains(",hex") ? .hex
                        : converters.contains(",be2dec(") ? .decimal : nil
                    if let encoding {
                        if fetch == "ssl_fc_eclist_bin" {
                            field = .offeredGroups
                            groupsEncoding = encoding
                        } else {
                            field = .offeredSuites
                            suitesEncoding = encoding
                        }
                    }
                case "capture.req.hdr":
                    if let n = Int(expression.drop { $0 != "(" }.dropFirst().prefix { $0 != ")" }) {
                        field = captureField(n)
                    }
                default: break
                }
                if let f = field, fields.contains(f) { field = nil }
                if let f = field { fields.insert(f) }
                if flags.escape, let field { backslashEscaped.insert(field) }
                let type: ValueType = field == nil ? .anyString : .string
                append(&segments, field: field, type: type, flags: flags, name: "%[\(expression)]")
            }
        }
        // Leading and trailing separators write nothing.
        while case .separator? = segments.first { segments.removeFirst() }
        while case .separator? = segments.last { segments.removeLast() }

        let matcher = LineMatcher(segments: segments)
        if let (a, b) = matcher.adjacentFields {
            throw AccessLogError(code: .unusableFormat, path: nil, detail:
                "HAProxy log format: \(a) and \(b) follow each other with nothing between them, so a line cannot tell where one ends: put a space or other text between them")
        }
        guard let timeVariable else {
            throw AccessLogError(code: .unusableFormat, path: nil, detail:
                "HAProxy log format has no date (%tr, %trg, %t, %T, %Tl or %Ts): lines cannot be placed in the window")
        }

        var captures: AccessLogFormat.HeaderCaptures?
        if fields.contains(.headerCaptures), let captureNames {
            var c = AccessLogFormat.HeaderCaptures()
            for (i, name) in captureNames.enumerated() {
                if name.lowercased() == apiKeyHeader, c.apiKey == nil, !fields.contains(.apiKey) { c.apiKey = i }
                if name.lowercased() == "user-agent", c.userAgent == nil, !fields.contains(.userAgent) { c.userAgent = i }
            }
            if c.apiKey != nil { fields.insert(.apiKey); hashEscaped.insert(.apiKey) }
            if c.userAgent != nil { fields.insert(.userAgent); hashEscaped.insert(.userAgent) }
            captures = c
        }
        if let apiKeyField, !fields.contains(.apiKey) {
            throw AccessLogError(code: .unusableFormat, path: nil, detail: captureNames == nil
                ? "HAProxy log format: the API-key header \(apiKeyField) is not declared: name the captured request headers before the format, hr={User-Agent|\(apiKeyField)} %ci:%cp …, in the order of the frontend's capture request header lines"
                : "HAProxy log format: the API-key header \(apiKeyField) is not among the captured request headers the format logs (hr={\(captureNames!.joined(separator: "|"))})")
        }

        let counting = AccessLogFormat.counting(fields)
        let suggestions: [LogField: String] = [
            .tlsVersion: "%sslv", .cipher: "%sslc", .offeredSuites: "%[ssl_fc_cipherlist_str]",
            .offeredGroups: "%[ssl_fc_eclist_bin(1),hex]", .serverName: "%[ssl_fc_sni]",
        ]
        var limitations = AccessLogFormat.limitations(
            kind: .haproxy, fields: fields, counting: counting, apiKeyGiven: apiKeyField != nil
        ) { field in
            switch field {
            case .ja4: return "HAProxy does not log JA3 or JA4 fingerprints"
            case .userAgent:
                return fields.contains(.headerCaptures) && captureNames == nil
                    ? "the captured request headers (%hr) are not named (hr={User-Agent|…} before the format)"
                    : "no captured User-Agent header in the format"
            default: return "no \(suggestions[field] ?? "") in the format"
            }
        }
        if timeVariable == "tr" || timeVariable == "t" {
            limitations.append("HAProxy's %\(timeVariable) has no time zone: read in this machine's time zone "
                + "(\(TimeZone.current.identifier); set TZ to the proxy's)")
        }
        let time: LogTimeFormat = switch timeVariable {
        case "Ts": .epochSeconds
        case "tr", "t": .commonLogLocalMilliseconds
        default: .commonLog
        }
        return AccessLogFormat(
            kind: .haproxy, lines: .matched(matcher), fields: fields, time: time, escaping: .haproxy,
            backslashEscaped: backslashEscaped, hashEscaped: hashEscaped, suitesEncoding: suitesEncoding, groupsEncoding: groupsEncoding,
            captures: captures, counting: counting, syslogPrefix: true, hexClientAddress: hexClientAddress,
            limitations: limitations)
    }

    private static func append(_ segments: inout [LineMatcher.Segment], field: LogField?, type: ValueType,
                               flags: Flags, name: String) {
        // HAProxy quotes strings, addresses and captures with Q, never numbers or dates.
        let quoted = flags.quote && (type == .string || type == .anyString || type == .address || type == .captures)
        let inQuotes: LineMatcher.Shape = flags.escape ? .escapedQuoted : .quoted
        let shape: LineMatcher.Shape = switch type {
        case .captures: .braces
        case .zonedDate, .anyString: quoted ? inQuotes : .any
        case .number, .epoch: flags.hex ? .token : .number
        default: quoted ? inQuotes : .token
        }
        if quoted { segments.append(.literal([UInt8(ascii: "\"")])) }
        segments.append(.field(slot: field, shape: shape, name: name))
        if quoted { segments.append(.literal([UInt8(ascii: "\"")])) }
    }

    /// `hr={A|B} rest` → ([A, B], rest); no declaration → (nil, text).
    static func declaration(_ text: String) throws -> ([String]?, String) {
        let t = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard t.hasPrefix("hr={") else { return (nil, t) }
        guard let close = t.firstIndex(of: "}") else {
            throw AccessLogError(code: .unusableFormat, path: nil, detail:
                "HAProxy log format: hr={… is not closed: write hr={User-Agent|X-API-Key} before the format")
        }
        let names = t[t.index(t.startIndex, offsetBy: 4)..<close].split(separator: "|", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        return (names, String(t[t.index(after: close)...]).trimmingCharacters(in: .whitespaces))
    }

    /// The format string from any accepted form.
    static func unwrap(_ text: String) throws -> String {
        var t = Substring(text.trimmingCharacters(in: .whitespacesAndNewlines))
        if t.isEmpty { return httplog }
        var keyword = false
        if t.hasPrefix("log-format") && t.dropFirst(10).first?.isWhitespace == true {
            keyword = true
            t = t.dropFirst(10).drop(while: \.isWhitespace)
        }
        if t.hasPrefix("option") && t.dropFirst(6).first?.isWhitespace == true {
            t = t.dropFirst(6).drop(while: \.isWhitespace)
        }
        switch t {
        case "httplog": return httplog
        case "httpslog": return httpslog
        case "tcplog": return tcplog
        default: break
        }
        if keyword || t.hasPrefix("\"") || t.hasPrefix("'") || t.contains("\\ ") {
            return try configWords(t)
        }
        return String(t)
    }

    /// haproxy.cfg's word rules (configuration manual §2.2): `"…"` (weak) and `'…'` (strong)
    /// quoting, backslash escapes outside strong quotes, and unquoted blanks between words, which
    /// log-format joins with one space.
    static func configWords(_ t: Substring) throws -> String {
        var words: [String] = []
        var word = ""
        var inWord = false
        var quote: Character?
        var i = t.startIndex
        while i < t.endIndex {
            let c = t[i]
            if let q = quote {
                if c == q {
                    quote = nil
                } else if c == "\\" && q == "\"", t.index(after: i) < t.endIndex {
                    i = t.index(after: i)
                    word.append(escaped(t, &i))
                    continue
                } else {
                    word.append(c)
                }
                i = t.index(after: i)
                continue
            }
            switch c {
            case "\"", "'":
                quote = c
                inWord = true
            case "\\" where t.index(after: i) < t.endIndex:
                i = t.index(after: i)
                word.append(escaped(t, &i))
                inWord = true
                continue
            case "#":
                i = t.endIndex  // a comment
                continue
            case _ where c.isWhitespace:
                if inWord { words.append(word) }
                word = ""
                inWord = false
            default:
                word.append(c)
                inWord = true
            }
            i = t.index(after: i)
        }
        guard quote == nil else {
            throw AccessLogError(code: .unusableFormat, path: nil, detail:
                "HAProxy log format: a quote is not closed: pass the log-format argument as in haproxy.cfg, or the bare format")
        }
        if inWord { words.append(word) }
        return words.joined(separator: " ")
    }

    /// The character a backslash escape at `i` (just after the backslash) stands for; advances `i`.
    private static func escaped(_ t: Substring, _ i: inout Substring.Index) -> String {
        let c = t[i]
        i = t.index(after: i)
        switch c {
        case "n": return "\n"
        case "r": return "\r"
        case "t": return "\t"
        case "x":
            let hex = t[i...].prefix(2)
            if hex.count == 2, let v = UInt8(hex, radix: 16) {
                i = t.index(i, offsetBy: 2)
                return String(UnicodeScalar(v))
            }
            return "x"
        default: return String(c)
        }
    }

    /// `%%`, `%{flags}name`, `%{flags}[sample]`, spaces, text.
    private static func tokenize(_ format: String) throws -> [Token] {
        var tokens: [Token] = []
        var literal: [UInt8] = []
        var defaults = Flags()
        let b = Array(format.utf8)
        func flush() {
            if !literal.isEmpty { tokens.append(.literal(literal)); literal = [] }
        }
        var i = 0
        while i < b.count {
            let c = b[i]
            if c == 0x20 || c == 0x09 {
                flush()
                if case .separator? = tokens.last {} else { tokens.append(.separator) }
                i += 1
                continue
            }
            guard c == UInt8(ascii: "%") else {
                literal.append(c)
                i += 1
                continue
            }
            if i + 1 < b.count && b[i + 1] == UInt8(ascii: "%") {
                literal.append(c)
                i += 2
                continue
            }
            flush()
            i += 1
            var flags = defaults
            if i < b.count && b[i] == UInt8(ascii: "{") {
                guard let close = b[i...].firstIndex(of: UInt8(ascii: "}")) else {
                    throw AccessLogError(code: .unusableFormat, path: nil, detail: "HAProxy log format: %{ is not closed")
                }
                for flag in String(decoding: b[(i + 1)..<close], as: UTF8.self).split(separator: ",") {
                    let on = !flag.hasPrefix("-")
                    switch flag.drop(while: { $0 == "+" || $0 == "-" }) {
                    case "Q": flags.quote = on
                    case "X": flags.hex = on
                    case "E": flags.escape = on
                    default: break
                    }
                }
                i = close + 1
            }
            if i < b.count && b[i] == UInt8(ascii: "[") {
                var depth = 0
                var j = i
                while j < b.count {
                    if b[j] == UInt8(ascii: "[") { depth += 1 }
                    if b[j] == UInt8(ascii: "]") { depth -= 1; if depth == 0 { break } }
                    j += 1
                }
                guard j < b.count else {
                    throw AccessLogError(code: .unusableFormat, path: nil, detail: "HAProxy log format: %[ is not closed")
                }
                tokens.append(.sample(String(decoding: b[(i + 1)..<j], as: UTF8.self), flags))
                i = j + 1
                continue
            }
            let start = i
            while i < b.count, (b[i] >= 0x41 && b[i] <= 0x5A) || (b[i] >= 0x61 && b[i] <= 0x7A) { i += 1 }
            guard i > start else {
                throw AccessLogError(code: .unusableFormat, path: nil, detail:
                    "HAProxy log format: a % with no variable after it (write %% for a percent sign)")
            }
            let name = String(decoding: b[start..<i], as: UTF8.self)
            if name == "o" {
                defaults = flags  // %o: these flags for every variable after it
                continue
            }
            tokens.append(.variable(name, flags))
        }
        flush()
        return tokens
    }
}

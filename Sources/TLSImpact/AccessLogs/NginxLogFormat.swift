import Foundation

/// nginx's `log_format`, compiled for reading lines.
///
/// Accepted forms: the format itself (`$remote_addr [$time_local] "$request" …`), or the value as
/// nginx.conf writes it — single-quoted strings that nginx concatenates, optionally preceded by
/// `escape=default|json|none`, or the whole directive (`log_format NAME [escape=…] '…' '…';`) —
/// or a predefined name (`combined`, the default). `$name` and `${name}` are variables; everything
/// else is literal text.
enum NginxLogFormat {
    /// nginx's predefined `combined` format (ngx_http_log_module).
    static let combined =
        #"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent""#

    /// The variables tlsguard reads, and the shape of their values.
    static let variables: [String: (LogField, LineMatcher.Shape)] = [
        "remote_addr": (.clientAddress, .token),
        "remote_port": (.clientPort, .number),
        "time_local": (.time, .any),
        "time_iso8601": (.time, .token),
        "msec": (.time, .number),
        "ssl_protocol": (.tlsVersion, .token),
        "ssl_cipher": (.cipher, .token),
        "ssl_ciphers": (.offeredSuites, .token),
        "ssl_curves": (.offeredGroups, .token),
        "ssl_server_name": (.serverName, .token),
        "http_user_agent": (.userAgent, .any),
        "connection": (.connectionID, .number),
        "connection_requests": (.connectionRequests, .number),
    ]

    /// Variables whose values are numbers, beside the ones read: a tighter match.
    static let numberVariables: Set<String> = [
        "status", "body_bytes_sent", "bytes_sent", "request_length", "request_time", "server_port", "pid",
        "realip_remote_port", "proxy_protocol_port",
    ]

    /// Variables whose values have no spaces.
    static let tokenVariables: Set<String> = [
        "remote_user",
        "server_port", "server_addr", "host", "scheme", "server_protocol", "request_method", "pid", "pipe",
        "ssl_session_reused", "ssl_session_id", "ssl_early_data", "ssl_alpn_protocol", "binary_remote_addr",
        "realip_remote_addr", "realip_remote_port", "proxy_protocol_addr", "proxy_protocol_port", "time_iso8601",
    ]

    static func compile(_ text: String?, apiKeyField: String?) throws -> AccessLogFormat {
        let (format, escaping) = try unwrap(text)
        let apiKeyVariable = apiKeyField.map(variableName)

        var segments: [LineMatcher.Segment] = []
        var fields = Set<LogField>()
        var time: LogTimeFormat?
        var literal: [UInt8] = []
        let bytes = Array(format.utf8)
        var i = 0
        while i < bytes.count {
            guard bytes[i] == UInt8(ascii: "$"), let (name, next) = variable(bytes, at: i) else {
                literal.append(bytes[i])
                i += 1
                continue
            }
            if !literal.isEmpty {
                segments.append(.literal(literal))
                literal = []
            }
            i = next
            let lower = name.lowercased()
            var field: LogField?
            var shape: LineMatcher.Shape = numberVariables.contains(lower) ? .number
                : tokenVariables.contains(lower) ? .token : .any
            if lower == apiKeyVariable {
                field = .apiKey
            } else if let (f, s) = variables[lower] {
                field = f
                shape = s
            }
            if let f = field, fields.contains(f) {
                field = nil  // the first of two variables for one fact is the one read
            } else if let f = field {
                fields.insert(f)
                if f == .time {
                    time = lower == "time_local" ? .commonLog : lower == "msec" ? .epochSeconds : .iso8601
                }
            }
            // A value inside quotes cannot contain the quote: nginx escapes it.
            if shape == .any, case .literal(let before)? = segments.last, before.last == UInt8(ascii: "\""),
               i < bytes.count, bytes[i] == UInt8(ascii: "\"") {
                shape = escaping == .json ? .escapedQuoted : .quoted
            }
            segments.append(.field(slot: field, shape: shape, name: "$" + name))
        }
        if !literal.isEmpty { segments.append(.literal(literal)) }

        let matcher = LineMatcher(segments: segments)
        if let (a, b) = matcher.adjacentFields {
            throw AccessLogError(code: .unusableFormat, path: nil, detail:
                "nginx log format: \(a) and \(b) follow each other with nothing between them, so a line cannot tell where one ends: put a space or other text between them")
        }
        guard let time else {
            throw AccessLogError(code: .unusableFormat, path: nil, detail:
                "nginx log format has no time ($time_local, $time_iso8601 or $msec): lines cannot be placed in the window")
        }
        if let apiKeyVariable, !fields.contains(.apiKey) {
            throw AccessLogError(code: .unusableFormat, path: nil, detail:
                "nginx log format has no $\(apiKeyVariable), the API-key field given: add it to the log_format or drop the API-key field")
        }
        let counting = AccessLogFormat.counting(fields)
        let suggestions: [LogField: String] = [
            .tlsVersion: "$ssl_protocol", .cipher: "$ssl_cipher", .offeredSuites: "$ssl_ciphers",
            .offeredGroups: "$ssl_curves", .serverName: "$ssl_server_name", .userAgent: "$http_user_agent",
        ]
        var limitations = AccessLogFormat.limitations(
            kind: .nginx, fields: fields, counting: counting, apiKeyGiven: apiKeyField != nil
        ) { field in
            if field == .ja4 { return "nginx does not log JA3 or JA4 fingerprints" }
            return "no \(suggestions[field] ?? "") in the format"
        }
        limitations.append("nginx logs requests, not handshakes: a connection that sent no request is not in the log")
        return AccessLogFormat(
            kind: .nginx, lines: .matched(matcher), fields: fields, time: time, escaping: escaping,
            counting: counting, limitations: limitations)
    }

    /// `$http_x_api_key`, `http_x_api_key` or a header name (`X-API-Key`) → `http_x_api_key`.
    static func variableName(_ field: String) -> String {
        var f = field.trimmingCharacters(in: .whitespaces)
        if f.hasPrefix("${") && f.hasSuffix("}") { f = String(f.dropFirst(2).dropLast()) }
        if f.hasPrefix("$") { return String(f.dropFirst()).lowercased() }
        if f.contains("-") || !f.contains("_") && !f.hasPrefix("http_") && variables[f.lowercased()] == nil {
            return "http_" + f.lowercased().replacingOccurrences(of: "-", with: "_")
        }
        return f.lowercased()
    }

    /// `$name` or `${name}` at `i`: the name and the index after it.
    private static func variable(_ b: [UInt8], at i: Int) -> (String, Int)? {
        func isNameByte(_ c: UInt8) -> Bool {
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F
        }
        var j = i + 1
        if j < b.count && b[j] == UInt8(ascii: "{") {
            j += 1
            let start = j
            while j < b.count && isNameByte(b[j]) { j += 1 }
            guard j > start, j < b.count, b[j] == UInt8(ascii: "}") else { return nil }
            return (String(decoding: b[start..<j], as: UTF8.self), j + 1)
        }
        let start = j
        while j < b.count && isNameByte(b[j]) { j += 1 }
        guard j > start else { return nil }
        return (String(decoding: b[start..<j], as: UTF8.self), j)
    }

    /// The format string and its escaping, from any of the accepted forms.
    static func unwrap(_ text: String?) throws -> (String, LogValueEscaping) {
        var rest = Substring((text ?? "combined").trimmingCharacters(in: .whitespacesAndNewlines))
        var directive = false
        if rest.hasPrefix("log_format") && rest.dropFirst(10).first?.isWhitespace == true {
            directive = true
            rest = rest.dropFirst(10).drop(while: \.isWhitespace)
            rest = rest.drop(while: { !$0.isWhitespace }).drop(while: \.isWhitespace)  // the format's name
        }
        var escaping = LogValueEscaping.nginx
        if rest.hasPrefix("escape=") {
            let word = rest.prefix(while: { !$0.isWhitespace })
            switch word.dropFirst(7) {
            case "default": escaping = .nginx
            case "json": escaping = .json
            case "none": escaping = .none
            default:
                throw AccessLogError(code: .unusableFormat, path: nil, detail:
                    "nginx log format: unknown \(word) (nginx knows escape=default, escape=json and escape=none)")
            }
            rest = rest.dropFirst(word.count).drop(while: \.isWhitespace)
        }
        if directive || rest.hasPrefix("'") {
            guard let joined = quotedStrings(rest) else {
                throw AccessLogError(code: .unusableFormat, path: nil, detail:
                    "nginx log format: the quoted strings do not close: pass the log_format value as in nginx.conf, or the bare format")
            }
            return (joined, escaping)
        }
        if rest == "combined" { return (combined, escaping) }
        return (String(rest), escaping)
    }

    /// `'a' "b" c;` → `abc`, nginx's way: a directive's arguments after its name are concatenated
    /// for log_format; quotes may be single or double; `\` escapes the next character.
    private static func quotedStrings(_ s: Substring) -> String? {
        var out = ""
        var i = s.startIndex
        while i < s.endIndex {
            let c = s[i]
            if c.isWhitespace { i = s.index(after: i); continue }
            if c == ";" {
                let after = s[s.index(after: i)...]
                return after.allSatisfy(\.isWhitespace) ? out : nil
            }
            if c == "'" || c == "\"" {
                var j = s.index(after: i)
                var closed = false
                while j < s.endIndex {
                    let d = s[j]
                    if d == "\\", s.index(after: j) < s.endIndex {
                        let e = s[s.index(after: j)]
                        switch e {
                        case "n": out.append("\n")
                        case "t": out.append("\t")
                        case "r": out.append("\r")
                        case "\"", "'", "\\": out.append(e)
                        default: out.append(d); out.append(e)
                        }
                        j = s.index(j, offsetBy: 2)
                        continue
                    }
                    if d == c {
                        closed = true
                        break
                    }
                    out.append(d)
                    j = s.index(after: j)
                }
                guard closed else { return nil }
                i = s.index(after: j)
                continue
            }
            // A bare word (nginx allows unquoted arguments).
            var j = i
            while j < s.endIndex, !s[j].isWhitespace, s[j] != ";" {
                out.append(s[j])
                j = s.index(after: j)
            }
            i = j
        }
        return out
    }
}

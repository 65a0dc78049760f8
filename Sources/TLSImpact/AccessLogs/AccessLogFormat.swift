/// A log format compiled for reading: how lines are matched, which facts they carry and how
/// their values are written. Made by `NginxLogFormat`, `HAProxyLogFormat` and `EnvoyLogFormat`.
struct AccessLogFormat: Sendable {
    enum Lines: Sendable {
        /// Text lines matched against the format (nginx, HAProxy).
        case matched(LineMatcher)
        /// One JSON object per line, with the keys of each field (Envoy).
        case json(EnvoyJSONKeys)
    }

    /// HAProxy's `%hr`: which capture (0-based, the order of `capture request header`) is what.
    struct HeaderCaptures: Sendable, Hashable {
        var userAgent: Int?
        var apiKey: Int?
    }

    var kind: AccessLogKind
    var lines: Lines
    /// The fields the format writes.
    var fields: Set<LogField>
    var time: LogTimeFormat
    var escaping: LogValueEscaping
    /// HAProxy's `E` flag: these fields' values also escape `"`, `\` and `]` with a backslash.
    var backslashEscaped: Set<LogField> = []
    /// HAProxy: the fields whose values come from `%hr` (written with `#HH` escapes); sample
    /// fetches and the other variables are written as they are.
    var hashEscaped: Set<LogField> = []
    var suitesEncoding: OfferedListEncoding = .names
    var groupsEncoding: OfferedListEncoding = .names
    var captures: HeaderCaptures?
    var counting: ConnectionCounting
    /// Lines may start with a syslog header (HAProxy logs through syslog).
    var syslogPrefix = false
    /// HAProxy's `X` flag on `%ci`: the address in hex.
    var hexClientAddress = false
    /// Envoy's `%DOWNSTREAM_REMOTE_ADDRESS%` carries the port: split it off.
    var addressWithPort = false
    /// Sentences for the report that depend on the format only.
    var limitations: [String] = []

    /// How connections are counted, for `connections`: the first field that allows it.
    static func counting(_ fields: Set<LogField>) -> ConnectionCounting {
        if fields.contains(.connectionID) { return .identifier }
        if fields.contains(.connectionRequests) { return .firstRequest }
        if fields.contains(.clientPort) && fields.contains(.clientAddress) { return .clientPort }
        return .perLine
    }

    /// The sentences every access log shares, then the ones this format's missing fields add.
    /// `missing` names what to add for a field (`"no $ssl_ciphers in the format"`), per field.
    static func limitations(kind: AccessLogKind, fields: Set<LogField>, counting: ConnectionCounting,
                            apiKeyGiven: Bool, missing: (LogField) -> String) -> [String] {
        var out = [
            "refused handshakes are not in an access log: clients the current server already refuses are not counted",
            "the offered maximum version is not logged: judged by the negotiated version, which is a lower bound "
                + "when the server's own maximum is lower",
            "a log holds no ClientHello to replay: a client is judged by its logged version and, where logged, "
                + "its offered suites, not by a handshake against the tested policy",
        ]
        if !fields.contains(.tlsVersion) {
            out.append("\(missing(.tlsVersion)): the negotiated version is unknown, so no client can be judged")
        }
        if !fields.contains(.cipher) { out.append("\(missing(.cipher)): the negotiated suite is unknown") }
        if !fields.contains(.offeredSuites) {
            out.append("\(missing(.offeredSuites)): cipher tightening cannot be judged")
        }
        if !fields.contains(.offeredGroups) {
            out.append("\(missing(.offeredGroups)): changes to the key-exchange groups cannot be judged")
        }
        if !fields.contains(.serverName) { out.append("\(missing(.serverName)): server names are unknown") }
        if !fields.contains(.userAgent) { out.append("\(missing(.userAgent)): user agents are unknown") }
        if !apiKeyGiven {
            out.append("no API-key field was given: requests cannot be told apart by API key")
        }
        if !fields.contains(.ja3) && !fields.contains(.ja4) {
            out.append("\(missing(.ja4)): clients are told apart by user agent and address only")
        }
        switch counting {
        case .identifier:
            out.append(kind == .nginx
                ? "connections are counted by nginx's $connection serial with the client's address; "
                    + "the serial restarts with nginx"
                : "connections are counted by the connection id (%CONNECTION_ID%) with the client's address; lines "
                    + "without one by client address and port")
        case .firstRequest:
            out.append("connections are counted as the lines with $connection_requests = 1: a connection whose "
                + "first request is outside the window is not counted")
        case .clientPort:
            out.append("connections are counted as distinct client address and port pairs: a port the same "
                + "address uses again within the window is counted once")
        case .perLine:
            out.append("the format has no connection identifier: each line counts as one connection and one request")
        }
        return out
    }
}

/// A fact an access-log line can carry. A parsed line has one value slot per field.
enum LogField: Int, CaseIterable, Sendable {
    case time
    /// HAProxy's `%ms` beside `%Ts`: the milliseconds of the same instant.
    case timeMilliseconds
    case clientAddress
    case clientPort
    case tlsVersion
    case cipher
    case offeredSuites
    case offeredGroups
    case serverName
    case userAgent
    case apiKey
    case ja3
    case ja4
    /// A per-connection identifier: nginx `$connection`, Envoy `%CONNECTION_ID%`.
    case connectionID
    /// nginx `$connection_requests`: 1 on a connection's first request.
    case connectionRequests
    /// HAProxy `%hr`: `{value|value|…}` in the order of the frontend's `capture request header`s.
    case headerCaptures

    static let count = allCases.count

    /// The fields whose values make an observation's facts, in the order they are keyed.
    static let facts: [LogField] = [
        .clientAddress, .serverName, .tlsVersion, .cipher, .offeredSuites, .offeredGroups, .ja3, .ja4, .apiKey,
        .userAgent,
    ]
}

/// How a log writes a timestamp.
enum LogTimeFormat: Sendable, Hashable {
    /// `10/Oct/2000:13:55:36 -0700`: nginx `$time_local`, HAProxy `%T`, `%Tl`, `%trg`, `%trl`.
    case commonLog
    /// `06/Feb/2009:12:14:14.655` without a zone: HAProxy `%t`, `%tr` (the host's local time).
    case commonLogLocalMilliseconds
    /// `2000-10-10T13:55:36-07:00`, `2016-04-15T20:17:00.310Z`: nginx `$time_iso8601`, Envoy.
    case iso8601
    /// `1700000000.123`: nginx `$msec`, HAProxy `%Ts`.
    case epochSeconds
    /// Either of the two above, told apart by the value (Envoy's `%START_TIME%` may be customised).
    case iso8601OrEpoch
}

/// How a log escapes the bytes of a value, to be undone before the value is used.
enum LogValueEscaping: Sendable, Hashable {
    /// nginx `escape=default`: `"`, `\`, control and non-ASCII bytes as `\xHH`.
    case nginx
    /// JSON string escapes (nginx `escape=json`, Envoy).
    case json
    /// HAProxy: non-printable bytes, `#`, `"`, `{`, `|`, `}` as `#HH`; with the `E` flag also `\"`, `\\`, `\]`.
    case haproxy
    /// nginx `escape=none`.
    case none
}

/// How a list of offered suites or groups is written.
enum OfferedListEncoding: Sendable, Hashable {
    /// OpenSSL (or IANA) names and `0xHHHH` for unknown code points, separated by `:` or `,`
    /// (nginx `$ssl_ciphers`, `$ssl_curves`; HAProxy `ssl_fc_cipherlist_str`).
    case names
    /// Code points as 4 hex digits each, concatenated (HAProxy `ssl_fc_cipherlist_hex`, `…_bin,hex`).
    case hex
    /// Code points in decimal with any separator (HAProxy `…_bin(1),be2dec(:,2)`).
    case decimal
}

/// How the connections behind a group of lines are counted.
enum ConnectionCounting: Sendable, Hashable {
    /// Distinct connection identifiers (with the client's address and port).
    case identifier
    /// Lines that are a connection's first request (nginx `$connection_requests` = 1).
    case firstRequest
    /// Distinct client address and port pairs.
    case clientPort
    /// Each line is one connection.
    case perLine
}

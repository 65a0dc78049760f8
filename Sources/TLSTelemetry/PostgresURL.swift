import Foundation

/// Where the PostgreSQL record database is: `postgres://user:password@host:port/database?sslmode=…`.
///
/// Parsed by hand, not by Foundation's `URL`, so that every problem names the part that is wrong
/// and a password with `/`, `?` or `@` in it (percent-encoded or not) cannot be mistaken for the
/// host or the database. The password never appears in `description`, in an error or in a log:
/// everything that prints a URL prints `redacted`.
public struct PostgresURL: Sendable, Hashable, CustomStringConvertible {
    /// libpq's `sslmode` values that make sense for a record writer.
    public enum SSLMode: String, Sendable, Hashable, CaseIterable {
        /// Plain TCP.
        case disable
        /// TLS when the server offers it, else plain TCP (libpq's default).
        case prefer
        /// TLS, without verifying the server's certificate (libpq's `require`).
        case require
        /// TLS, the certificate verified against the system's roots and the host name.
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var user: String
    /// Never in `description` or an error; only the connection uses it.
    public var password: String?
    /// Nil: the server's default (the user's name).
    public var database: String?
    public var sslMode: SSLMode

    public init(host: String, port: Int = 5432, user: String, password: String? = nil, database: String?,
                sslMode: SSLMode = .prefer) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.sslMode = sslMode
    }

    /// Parses `text`; a problem is a `TelemetryError` (`invalidURL`) whose path is the URL with its
    /// password replaced by `***` and whose detail names the bad part.
    public init(parsing text: String) throws(TelemetryError) {
        let shown = Self.redact(text)
        func bad(_ detail: String) -> TelemetryError { TelemetryError(.invalidURL, path: shown, detail: detail) }

        let lower = text.lowercased()
        guard let scheme = ["postgres://", "postgresql://"].first(where: { lower.hasPrefix($0) }) else {
            throw bad("the scheme must be postgres:// (postgres://user:password@host:5432/database)")
        }
        var rest = Substring(text.dropFirst(scheme.count))

        // The user part ends at the last '@', so that an unencoded '@' or '/' in a password is
        // still the password's.
        var user = "", password: String?
        if let at = rest.lastIndex(of: "@") {
            let userinfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            let rawUser: Substring, rawPassword: Substring?
            if let colon = userinfo.firstIndex(of: ":") {
                rawUser = userinfo[..<colon]
                rawPassword = userinfo[userinfo.index(after: colon)...]
            } else {
                (rawUser, rawPassword) = (userinfo, nil)
            }
            guard let u = String(rawUser).removingPercentEncoding else { throw bad("the user name has a bad %-escape") }
            user = u
            if let rawPassword {
                guard let p = String(rawPassword).removingPercentEncoding else { throw bad("the password has a bad %-escape") }
                password = p
            }
        }
        if user.isEmpty { throw bad("no user name (postgres://USER@host/database)") }

        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        rest = rest[authorityEnd...]

        var host = Substring(""), portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw bad("the IPv6 address '\(authority)' has no closing ']'") }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw bad("'\(after)' after the IPv6 address is not :port") }
                portText = after.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            host = authority
        }
        if host.isEmpty { throw bad("no host (postgres://user@HOST:5432/database)") }
        var port = 5432
        if let portText {
            guard let p = Int(portText), (1...65_535).contains(p) else {
                throw bad("the port '\(portText)' is not a number from 1 to 65535")
            }
            port = p
        }

        var database: String?
        var query = Substring("")
        if let q = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: q)...]
            rest = rest[..<q]
        }
        if rest.hasPrefix("/") {
            let name = rest.dropFirst()
            if name.contains("/") { throw bad("the database name '\(name)' contains '/'") }
            guard let decoded = String(name).removingPercentEncoding else { throw bad("the database name has a bad %-escape") }
            database = decoded.isEmpty ? nil : decoded
        }

        var sslMode = SSLMode.prefer
        for pair in query.split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(parts[0]), value = parts.count > 1 ? String(parts[1]) : ""
            switch key {
            case "sslmode":
                guard let mode = SSLMode(rawValue: value) else {
                    throw bad("sslmode '\(value)' is not one of \(SSLMode.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                sslMode = mode
            default:
                throw bad("unknown parameter '\(key)' (only sslmode is understood)")
            }
        }
        self.init(host: String(host), port: port, user: user, password: password, database: database, sslMode: sslMode)
    }

    /// The URL without its password: what logs, errors and `sourceDescription` show.
    public var redacted: String {
        func encode(_ s: String) -> String {
            s.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? s
        }
        let hostPart = host.contains(":") ? "[\(host)]" : host
        var s = "postgres://\(encode(user))\(password == nil ? "" : ":***")@\(hostPart):\(port)"
        if let database { s += "/\(encode(database))" }
        if sslMode != .prefer { s += "?sslmode=\(sslMode.rawValue)" }
        return s
    }

    public var description: String { redacted }

    /// `text` with whatever stands between the user's ':' and the last '@' replaced by `***`:
    /// safe to print even when `text` does not parse.
    static func redact(_ text: String) -> String {
        guard let schemeEnd = text.range(of: "://"), let at = text.lastIndex(of: "@"), at > schemeEnd.upperBound else {
            return text
        }
        let userinfo = text[schemeEnd.upperBound..<at]
        guard let colon = userinfo.firstIndex(of: ":") else { return text }
        return String(text[..<text.index(after: colon)]) + "***" + String(text[at...])
    }
}

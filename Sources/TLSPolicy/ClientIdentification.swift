/// Who a client is, as far as its fingerprint and user agent tell: what `tlsguard impact` and the
/// client check print beside each group of clients, with the fix for that client family.
public struct ClientIdentity: Sendable, Hashable, Codable {
    /// How the name was found, most certain first.
    public enum Match: String, Sendable, Hashable, Codable {
        /// The JA4 equals a shipped profile's.
        case ja4
        /// The JA4's cipher and extension hashes equal a profile's (SNI, ALPN or version differ).
        case ja4Hashes
        /// Only the user agent names it.
        case userAgent
        case unknown
    }

    /// e.g. "curl 7.88 (OpenSSL 3.0)", "Java 17 (JSSE, TLS 1.0 only)", "unknown (JA4 t10d…)".
    public var name: String
    /// `curl`, `openssl`, `python`, `java`, `dotnet`, `node`, `go`, `gnutls`, `browser`, `unknown`.
    public var family: String
    public var match: Match
    /// What to change on that client so it connects with TLS 1.2 or newer.
    public var fix: String?

    public init(name: String, family: String, match: Match, fix: String?) {
        self.name = name
        self.family = family
        self.match = match
        self.fix = fix
    }
}

/// The shipped, versioned table of known clients (captured ClientHellos with provenance).
///
/// Placeholder until the captured profile set lands: user-agent rules only.
public struct ClientProfileSet: Sendable {
    /// Version of the shipped table (docs/client-profiles.md).
    public var version: String

    public init(version: String) { self.version = version }

    /// The table shipped with this build.
    public static let shipped = ClientProfileSet(version: "0")

    /// Names a client by JA4, then user agent.
    public func identify(ja4: String?, userAgent: String?) -> ClientIdentity {
        ClientIdentity(name: "unknown (JA4 \(ja4 ?? "none"))", family: "unknown", match: .unknown, fix: nil)
    }
}

/// One known-weakness check: whether it ran, whether the server has the weakness, and the evidence.
public struct Finding: Codable, Sendable, Hashable {
    public enum Severity: String, Codable, Sendable, Comparable, CaseIterable {
        case info, low, medium, high, critical
        private var rank: Int { Self.allCases.firstIndex(of: self)! }
        public static func < (l: Severity, r: Severity) -> Bool { l.rank < r.rank }
    }

    /// Stable identifier, e.g. `heartbleed`, `fallback_scsv`.
    public var id: String
    public var title: String
    public var check: CheckStatus
    /// true: the server has the weakness; false: it does not; nil: not determined (see `check`).
    public var vulnerable: Bool?
    /// How bad the weakness is when present.
    public var severity: Severity
    /// What was sent and seen, in words.
    public var evidence: String?
    public var cve: [String]?

    init(_ id: String, _ title: String, severity: Severity, cve: [String]? = nil, check: CheckStatus = .completed,
         vulnerable: Bool? = nil, evidence: String? = nil) {
        self.id = id
        self.title = title
        self.severity = severity
        self.cve = cve
        self.check = check
        self.vulnerable = vulnerable
        self.evidence = evidence
    }
}

/// Protocol features of the server, from its best TLS 1.0–1.2 handshake (in clear) and, for what
/// TLS 1.3 encrypts, from a full handshake where one ran.
public struct FeatureReport: Codable, Sendable {
    public var check: CheckStatus
    /// The version the features were read on.
    public var version: String?
    /// ALPN protocol the server picked from `h2, http/1.1` (nil: no ALPN).
    public var alpn: String?
    public var extendedMasterSecret: Bool?
    public var secureRenegotiation: Bool?
    /// The server announced it will issue a session ticket (RFC 5077).
    public var sessionTickets: Bool?
    /// The server gave the session an ID (the precondition for session-ID resumption), on the
    /// feature probe or on our TLS 1.2 handshake without session_ticket.
    public var sessionIDs: Bool?
    /// A stapled OCSP response came with the certificate.
    public var ocspStapling: Bool?
    /// The server accepted the heartbeat extension (RFC 6520).
    public var heartbeat: Bool?
    /// Session resumption, by our own TLS 1.2 client: full handshake, then the session offered again.
    public var resumption: CheckStatus
    /// 0-RTT needs a TLS 1.3 handshake with our own key schedule, which we do not have.
    public var earlyData: CheckStatus
    /// An abbreviated handshake on the session ID of an earlier full one completed (nil: not determined).
    public var sessionIDResumption: Bool?
    /// An abbreviated handshake on a session ticket (RFC 5077) completed (nil: not determined).
    public var ticketResumption: Bool?
}

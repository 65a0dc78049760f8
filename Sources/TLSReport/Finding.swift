import TLSWire

/// The identity of a known-weakness check: an open set, like the registries (a new check is a new
/// static member, and an id read from a profile that no check has is still a value).
public struct FindingID: StringIdentifier, Comparable {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public static func < (l: FindingID, r: FindingID) -> Bool { l.rawValue < r.rawValue }

    // Probed on the wire by the scanner.
    public static let heartbleed: FindingID = "heartbleed"
    public static let ccsInjection: FindingID = "ccs_injection"
    public static let fallbackSCSV: FindingID = "fallback_scsv"
    public static let downgradeSentinel: FindingID = "downgrade_sentinel"
    public static let secureRenegotiation: FindingID = "secure_renegotiation"
    public static let clientRenegotiation: FindingID = "client_renegotiation"
    public static let compression: FindingID = "compression"
    public static let earlyData: FindingID = "early_data"
    public static let robot: FindingID = "robot"
    // Judged by TLSPolicy from the suites, versions and DH parameters the scan found.
    public static let poodle: FindingID = "poodle"
    public static let beast: FindingID = "beast"
    public static let sweet32: FindingID = "sweet32"
    public static let rc4: FindingID = "rc4"
    public static let nullCipher: FindingID = "null_cipher"
    public static let anonymous: FindingID = "anonymous"
    public static let export: FindingID = "export"
    public static let noForwardSecrecy: FindingID = "no_forward_secrecy"
    public static let drown: FindingID = "drown"
    public static let dhParameters: FindingID = "dh_parameters"
}

/// What one weakness probe saw on the wire: whether it ran, whether the server showed the behaviour
/// the probe looks for (it echoed memory for a short heartbeat, took an early ChangeCipherSpec, sent
/// no renegotiation_info, accepted 0-RTT data …), and the evidence in words. An observation, not a
/// verdict: how bad that is (severity, "vulnerable", the title a reader sees) is TLSPolicy's
/// `JudgedFinding`, which also adds the weaknesses that follow from the suites the scan found.
public struct Finding: Codable, Sendable, Hashable {
    public var id: FindingID
    public var check: CheckStatus
    /// true: the behaviour was seen; false: the probe showed the server does not have it; nil: not
    /// determined (see `check`).
    public var seen: Bool?
    /// What was sent and seen, in words.
    public var evidence: String?

    package init(_ id: FindingID, check: CheckStatus = .completed, seen: Bool? = nil, evidence: String? = nil) {
        self.id = id
        self.check = check
        self.seen = seen
        self.evidence = evidence
    }
}

/// Protocol features of the server, from its best TLS 1.0–1.2 handshake (in clear) and, for what
/// TLS 1.3 encrypts, from handshakes of our own TLS 1.3 client.
public struct FeatureReport: Codable, Sendable {
    /// The feature probe: on the best TLS 1.0–1.2 version, or on TLS 1.3 (our client) when the
    /// server offers nothing below it.
    public var check: CheckStatus
    /// The version the features were read on (`TLSv1.2` in the JSON).
    @OptionalVersionName public var version: ProtocolVersion?
    /// ALPN protocol the server picked from `h2, http/1.1` (nil: no ALPN), on `version`.
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
    /// The 0-RTT check (our TLS 1.3 client resuming with early data): the outcome is
    /// `tls13.earlyData` and the `early_data` finding.
    public var earlyData: CheckStatus
    /// An abbreviated handshake on the session ID of an earlier full one completed (nil: not determined).
    public var sessionIDResumption: Bool?
    /// An abbreviated handshake on a session ticket (RFC 5077) completed (nil: not determined).
    public var ticketResumption: Bool?
    /// What our own TLS 1.3 client saw (nil: TLS 1.3 is not offered).
    public var tls13: TLS13FeatureReport?

    package init(check: CheckStatus, version: ProtocolVersion? = nil, alpn: String? = nil, extendedMasterSecret: Bool? = nil, secureRenegotiation: Bool? = nil, sessionTickets: Bool? = nil, sessionIDs: Bool? = nil, ocspStapling: Bool? = nil, heartbeat: Bool? = nil, resumption: CheckStatus, earlyData: CheckStatus, sessionIDResumption: Bool? = nil, ticketResumption: Bool? = nil, tls13: TLS13FeatureReport? = nil) {
        self.check = check
        self.version = version
        self.alpn = alpn
        self.extendedMasterSecret = extendedMasterSecret
        self.secureRenegotiation = secureRenegotiation
        self.sessionTickets = sessionTickets
        self.sessionIDs = sessionIDs
        self.ocspStapling = ocspStapling
        self.heartbeat = heartbeat
        self.resumption = resumption
        self.earlyData = earlyData
        self.sessionIDResumption = sessionIDResumption
        self.ticketResumption = ticketResumption
        self.tls13 = tls13
    }
}

/// TLS 1.3 features, from our own TLS 1.3 client: one full handshake (ALPN, tickets), then one
/// resumption with a ticket, carrying 0-RTT data when the ticket allows it.
public struct TLS13FeatureReport: Codable, Sendable {
    /// 0-RTT, as seen on the resumption.
    public enum EarlyData: String, Codable, Sendable {
        /// EncryptedExtensions held early_data: the server took the 0-RTT data.
        case accepted
        /// The ticket allowed early data and we sent some, but the server did not take it.
        case rejected
        /// No ticket allowed early data (no early_data extension in NewSessionTicket), so none was sent.
        case notOffered
    }

    /// The full handshake.
    public var check: CheckStatus
    public var cipherSuite: String?
    public var group: String?
    /// The server asked for another key share (HelloRetryRequest) before agreeing on `group`.
    public var helloRetryRequest: Bool?
    /// ALPN protocol the server picked from `h2, http/1.1` in EncryptedExtensions (nil: no ALPN).
    public var alpn: String?
    /// NewSessionTickets after the full handshake (RFC 8446 §4.6.1); nil when it did not complete.
    public var ticketsIssued: Int?
    /// ticket_lifetime of the first ticket, in seconds.
    public var ticketLifetime: Int?
    /// max_early_data_size of the first ticket that allows 0-RTT (nil: none does).
    public var maxEarlyDataSize: Int?
    /// The resumption with a ticket.
    public var resumption: CheckStatus
    /// The server took the ticket (pre_shared_key in its ServerHello) and the handshake completed.
    public var resumed: Bool?
    public var earlyData: EarlyData?
    /// What was sent and seen, in words.
    public var evidence: String?

    public init(check: CheckStatus, resumption: CheckStatus) {
        self.check = check
        self.resumption = resumption
    }
}

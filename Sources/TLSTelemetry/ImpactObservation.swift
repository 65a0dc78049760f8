import Foundation

/// Connections that share every fact `tlsguard impact` groups and judges by, counted: one row of
/// the gateway's records after aggregation, or of a proxy's access log (nginx, HAProxy, Envoy).
///
/// Values are the records' own strings (version names like `TLSv1.2`, IANA suite names); the
/// analysis in TLSImpact parses them. A field a source cannot know is nil, never guessed: a log
/// has no refused handshakes and no offered maximum, and says so through `source`.
public struct ImpactObservation: Sendable, Hashable, Codable {
    /// Where the facts come from: `gateway`, `nginx`, `haproxy`, `envoy`.
    public var source: String
    /// `ClientHelloRecord.hash`: the exact hello to replay (gateway records only).
    public var helloHash: String?
    public var serverName: String?
    public var clientAddress: String?
    /// Versions offered, newest first, comma-separated; nil when the source cannot see them.
    public var offeredVersions: String?
    public var maxOfferedVersion: String?
    /// The version and suite the current server agreed (nil: refused, or not logged).
    public var negotiatedVersion: String?
    public var cipherSuite: String?
    /// IANA names of the suites / groups offered, comma-separated, client order (logs with
    /// `$ssl_ciphers` / `$ssl_curves`; gateway records read them from the stored hello instead).
    public var offeredSuites: String?
    public var offeredGroups: String?
    public var ja3: String?
    public var ja4: String?
    public var apiKey: String?
    public var userAgent: String?
    /// The outcome the current policy gave (`accepted`, `refused`, …; logs: `accepted`).
    public var outcome: String
    public var gateway: String?
    public var connections: Int
    public var requests: Int
    public var firstSeen: Date
    public var lastSeen: Date

    public init(
        source: String, helloHash: String? = nil, serverName: String? = nil, clientAddress: String? = nil,
        offeredVersions: String? = nil, maxOfferedVersion: String? = nil, negotiatedVersion: String? = nil,
        cipherSuite: String? = nil, offeredSuites: String? = nil, offeredGroups: String? = nil, ja3: String? = nil,
        ja4: String? = nil, apiKey: String? = nil, userAgent: String? = nil, outcome: String = "accepted",
        gateway: String? = nil, connections: Int = 1, requests: Int = 0, firstSeen: Date, lastSeen: Date
    ) {
        self.source = source
        self.helloHash = helloHash
        self.serverName = serverName
        self.clientAddress = clientAddress
        self.offeredVersions = offeredVersions
        self.maxOfferedVersion = maxOfferedVersion
        self.negotiatedVersion = negotiatedVersion
        self.cipherSuite = cipherSuite
        self.offeredSuites = offeredSuites
        self.offeredGroups = offeredGroups
        self.ja3 = ja3
        self.ja4 = ja4
        self.apiKey = apiKey
        self.userAgent = userAgent
        self.outcome = outcome
        self.gateway = gateway
        self.connections = connections
        self.requests = requests
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
    }
}

/// What `tlsguard impact` reads: aggregated observations in a time window and the stored hellos.
/// `TelemetryStore` (SQLite) and `PostgresRecordStore` implement it from their daily rollups; the
/// access-log readers from the lines they parsed.
///
/// Reading is in two steps so that a month of a busy gateway costs what its distinct hellos cost,
/// not what its connections do: `impactClasses` (who the client is left out: few rows, enough to
/// judge every connection), then `impactObservations` for only the hellos that could be refused.
public protocol ImpactSource: Sendable {
    /// Observations with `since ≤ time < until` aggregated by every fact except who the client
    /// is: `clientAddress`, `apiKey` and `userAgent` are nil (a source may leave them set).
    func impactClasses(since: Date, until: Date) async throws -> [ImpactObservation]
    /// Observations with every fact, one per distinct set; only those whose `helloHash` is in
    /// `helloHashes` ("" selects observations without one), or all for nil.
    func impactObservations(since: Date, until: Date, helloHashes: Set<String>?) async throws -> [ImpactObservation]
    /// The stored hellos with these hashes (missing ones are left out).
    func clientHellos(hashes: Set<String>) async throws -> [String: ClientHelloRecord]
    /// One line naming the source (a file path, a database URL without its password).
    var sourceDescription: String { get }
    /// What this source cannot show, for the report (a log has no refused handshakes…).
    var limitations: [String] { get }
    /// The window really read for `since..<until`: record stores read whole UTC days.
    func window(since: Date, until: Date) -> (since: Date, until: Date)
}

extension ImpactSource {
    public var limitations: [String] { [] }

    public func window(since: Date, until: Date) -> (since: Date, until: Date) { (since, until) }

    /// Every observation, with every fact, as one set (classes are the full observations).
    public func impactClasses(since: Date, until: Date) async throws -> [ImpactObservation] {
        try await impactObservations(since: since, until: until, helloHashes: nil)
    }

    /// Every observation in the window.
    public func impactObservations(since: Date, until: Date) async throws -> [ImpactObservation] {
        try await impactObservations(since: since, until: until, helloHashes: nil)
    }
}

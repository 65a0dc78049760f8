import Foundation
import TLSPolicy
import TLSWire

/// What `tlsguard impact` found: who the tested policy would refuse, grouped, with totals first.
/// Encoded as the `--format json` output (docs/impact.md lists every field).
public struct ImpactReport: Sendable, Codable, Hashable {
    public static let currentSchemaVersion = 1

    public var schemaVersion = Self.currentSchemaVersion
    /// The records or logs read (`gateway records in records.sqlite`).
    public var source: String
    public var since: Date
    public var until: Date
    /// The policy tested, in one line.
    public var policy: String
    /// The key the groups are by (`apikey`, `client`, …).
    public var groupedBy: ImpactGrouping
    public var totals: Totals
    /// Groups of clients the policy would refuse, most connections first.
    public var groups: [Group]
    /// What the source cannot show, said rather than guessed (a log has no refused handshakes…).
    public var limitations: [String]
    /// The version of the client table that named the clients.
    public var clientTableVersion: String

    public init(source: String, since: Date, until: Date, policy: String, groupedBy: ImpactGrouping, totals: Totals,
                groups: [Group], limitations: [String], clientTableVersion: String) {
        self.source = source
        self.since = since
        self.until = until
        self.policy = policy
        self.groupedBy = groupedBy
        self.totals = totals
        self.groups = groups
        self.limitations = limitations
        self.clientTableVersion = clientTableVersion
    }

    public struct Totals: Sendable, Codable, Hashable {
        public var connections = 0
        public var requests = 0
        public var refusedConnections = 0
        public var refusedRequests = 0
        /// Of the refused connections, those the current policy already refuses.
        public var alreadyRefusedConnections = 0
        /// Distinct API keys / user agents / clients / addresses among the refused.
        public var apiKeys = 0
        public var userAgents = 0
        public var clients = 0
        public var addresses = 0
        /// How the connections were judged: by replaying their stored ClientHello, or only by
        /// comparing versions (records without a hello, access logs).
        public var connectionsReplayed = 0
        public var connectionsByVersionOnly = 0
        /// Distinct ClientHellos replayed through the tested policy's TLS contexts.
        public var distinctHellosReplayed = 0

        /// Refused connections as a share of all, in percent.
        public var refusedShare = 0.0
        /// Connections with no usable ClientHello (plain HTTP, garbage, timeouts): not judged.
        public var notJudged = 0

        public init() {}
    }

    /// Clients with the same key value, all refused by the tested policy.
    public struct Group: Sendable, Codable, Hashable {
        /// The key's value (`sha256:…`, `203.0.113.0/24`, `curl 7.88 …`); `(none)` when absent.
        public var key: String
        public var connections: Int
        public var requests: Int
        /// Percent of all connections in the window.
        public var share: Double
        public var firstSeen: Date
        public var lastSeen: Date
        /// Maximum versions the clients offered (or negotiated, for logs), best first.
        public var maxVersions: [String]
        /// Cipher suites the clients offered (IANA names; from the stored hellos or `$ssl_ciphers`).
        public var offeredSuites: [String]
        /// Names of the clients in the group (from the client table).
        public var clients: [String]
        public var serverNames: [String]
        public var addresses: Int
        public var apiKeys: Int
        public var userAgents: [String]
        /// Why the handshake (or the requests) would fail, one sentence each.
        public var reasons: [String]
        /// What to change on those clients.
        public var fixes: [String]
        /// Connections of this group the current policy already refuses.
        public var alreadyRefused: Int
        /// How the group was judged: `replayed`, `version-only`, or both.
        public var basis: [String]
    }
}

/// What `impact` groups refused clients by (`--by`).
public enum ImpactGrouping: String, Sendable, Codable, Hashable, CaseIterable {
    case apikey, ip, subnet, useragent, ja4, client, sni
}

/// The verdict on one kind of connection under the tested policy.
public struct ImpactVerdict: Sendable, Hashable {
    public enum Basis: String, Sendable, Hashable, Codable {
        /// The stored ClientHello went through the policy's real TLS context.
        case replayed
        /// No hello: the offered (or, from logs, negotiated) maximum version against the minimum.
        case versionOnly = "version-only"
    }

    public var refused: Bool
    /// One sentence: why it would fail (nil when it connects).
    public var reason: String?
    /// The rule that decided (`default.cutoff`, `exceptions[partner]`).
    public var rule: String
    public var basis: Basis
    /// The minimum version of the policy that decided.
    public var minimum: ProtocolVersion
    /// What would be negotiated when it connects (`TLSv1.3 TLS_AES_128_GCM_SHA256`).
    public var negotiated: String?
}

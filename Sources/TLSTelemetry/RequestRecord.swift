import Foundation

/// One HTTP request the gateway answered on a connection: proxied, explained (426) or failed
/// upstream (502/504). Stored in the `request` table (docs/gateway-records.md).
public struct RequestRecord: Sendable, Hashable, Codable {
    /// The `ConnectionRecord.id` of the connection that carried it.
    public var connectionID: String
    public var time: Date
    public var method: String
    public var host: String?
    public var path: String
    public var status: Int
    public var userAgent: String?
    /// The API key from the configured header: its SHA-256 hex (`sha256:…`) unless configured to
    /// store it in clear; nil when the request had none.
    public var apiKey: String?
    /// Milliseconds from sending the request head upstream to receiving the response head;
    /// nil when the gateway answered itself.
    public var upstreamLatencyMs: Double?
    /// `proxied`, `explained`, `upstream-unavailable`, `upstream-timeout`, `refused`.
    public var outcome: String
    /// The rule behind the answer (an exception's name, the explain rule), when one decided.
    public var rule: String?
    /// The connection's `ConnectionRecord.time` (nil: written by a gateway before records v3).
    public var connectionTime: Date?

    public init(
        connectionID: String, time: Date, method: String, host: String?, path: String, status: Int,
        userAgent: String?, apiKey: String?, upstreamLatencyMs: Double?, outcome: String, rule: String? = nil,
        connectionTime: Date? = nil
    ) {
        self.connectionID = connectionID
        self.time = time
        self.method = method
        self.host = host
        self.path = path
        self.status = status
        self.userAgent = userAgent
        self.apiKey = apiKey
        self.upstreamLatencyMs = upstreamLatencyMs
        self.outcome = outcome
        self.rule = rule
        self.connectionTime = connectionTime
    }
}

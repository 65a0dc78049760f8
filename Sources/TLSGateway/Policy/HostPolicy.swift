import Foundation
import TLSWire

/// The TLS version policy for one host name (or for the default / no-SNI rule).
public struct HostPolicy: Sendable, Hashable {
    /// How rules made by this policy are named: `default`, `noSNI`, `hosts[api.example.com]`.
    public var name: String
    public var minimumVersion: ProtocolVersion
    /// The grace mode until `cutoff`.
    public var mode: PolicyMode
    /// From this instant the policy enforces, whatever `mode` says.
    public var cutoff: Date?
    public var brownouts: [TimeWindow]
    public var brownoutResponse: BrownoutResponse
    /// When set, legacy clients that are allowed to handshake get this answer instead of the upstream's.
    public var explain: ExplainSettings?
    /// Link sent in the `Link: <…>; rel="deprecation"` header in warn mode (RFC 9745 §3).
    public var deprecationLink: String?

    public init(
        name: String, minimumVersion: ProtocolVersion = .tls12, mode: PolicyMode = .observe, cutoff: Date? = nil,
        brownouts: [TimeWindow] = [], brownoutResponse: BrownoutResponse = .alert, explain: ExplainSettings? = nil,
        deprecationLink: String? = nil
    ) {
        self.name = name
        self.minimumVersion = minimumVersion
        self.mode = mode
        self.cutoff = cutoff
        self.brownouts = brownouts
        self.brownoutResponse = brownoutResponse
        self.explain = explain
        self.deprecationLink = deprecationLink
    }
}

/// What the gateway does with clients below a host's minimum version (issue 5 §3).
public enum PolicyMode: String, Sendable, Hashable, CaseIterable, Codable {
    /// Allow and record.
    case observe
    /// Allow, add deprecation headers to responses, record.
    case warn
    /// Refuse inside the brownout windows; outside them behave like `warn`.
    case brownout
    /// Refuse with a `protocol_version` alert.
    case enforce
}

/// Whether a brownout refusal is a TLS alert or (the handshake completed) the explain answer.
public enum BrownoutResponse: String, Sendable, Hashable {
    case alert, explain
}

/// A time window `[start, end)` in which legacy clients are refused (a brownout).
public struct TimeWindow: Sendable, Hashable {
    public var start: Date
    public var end: Date
    public init(start: Date, end: Date) {
        self.start = start
        self.end = end
    }
    public func contains(_ date: Date) -> Bool { date >= start && date < end }
}

/// The HTTP answer given instead of proxying to legacy clients (RFC 9110 §15.5.22: 426 Upgrade Required).
public struct ExplainSettings: Sendable, Hashable {
    /// Body format.
    public enum Format: String, Sendable, Hashable { case json, html }
    public var status: Int
    public var format: Format
    /// Extra sentence for the body (who to contact, a deadline reminder).
    public var message: String?
    /// Where the fix is documented.
    public var link: String?
    public init(status: Int = 426, format: Format = .json, message: String? = nil, link: String? = nil) {
        self.status = status
        self.format = format
        self.message = message
        self.link = link
    }
}

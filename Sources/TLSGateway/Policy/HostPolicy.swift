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

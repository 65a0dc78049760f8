import Foundation
import TLSWire

/// What the policy decided for one connection, and the rule that decided it.
public struct ConnectionDecision: Sendable, Hashable {
    /// What happens to the handshake.
    public enum Action: String, Sendable, Hashable {
        /// Handshake with the host's minimum version as the floor.
        case strict
        /// Handshake with the legacy-permissive context (TLS 1.0+, CBC suites).
        case legacy
        /// Answer with a fatal `protocol_version` alert and close.
        case refuse
    }

    public var action: Action
    /// The rule, e.g. `hosts[api.example.com].cutoff`, `exceptions[partner-acme]`, `noSNI.mode=enforce`.
    public var rule: String
    /// `modern` for clients at or above the minimum; otherwise the mode in force (`observe`, `warn`,
    /// `brownout`, `enforce`) or `exception`.
    public var mode: String
    public var policy: HostPolicy
    /// The client's best version is below the policy's minimum.
    public var isLegacyClient: Bool
    /// Responses get `Deprecation`/`Sunset` headers.
    public var addsDeprecationHeaders: Bool
    /// Requests get the explain answer instead of being proxied.
    public var explains: Bool
    /// The handshake was allowed only because API-key exceptions exist for this host: requests
    /// without a matching key get the explain answer.
    public var requiresAPIKeyException: Bool
    /// One sentence: why.
    public var detail: String

    /// The outcome recorded when the handshake succeeds.
    public var acceptedOutcome: ConnectionOutcome { action == .legacy ? .acceptedLegacy : .accepted }
}


/// What the policy decided for one HTTP request on an allowed connection.
public enum RequestDecision: Sendable, Hashable {
    /// Proxy it; add deprecation headers when `warn`. `rule` names an API-key exception that let it through.
    case proxy(warn: Bool, rule: String?)
    /// Answer with the explain response; `rule` says why.
    case explain(rule: String)
}

/// How a client connection ended up, as the gateway records it: the one place the record's
/// `outcome` strings are made (docs/gateway-records.md lists them).
public enum ConnectionOutcome: String, Sendable, Hashable, CaseIterable {
    /// The handshake completed under the minimum version.
    case accepted
    /// The handshake completed below the minimum, allowed by observe/warn, an exception or outside a brownout.
    case acceptedLegacy = "accepted-legacy"
    /// The policy refused the hello (a `protocol_version` alert).
    case refused
    /// The TLS handshake itself failed after the policy allowed it (no shared suite, group …).
    case handshakeFailed = "handshake-failed"
    /// The first bytes were not a usable ClientHello (not TLS, plain HTTP, SSL 2.0, oversized).
    case malformed
    /// The client went away or stalled before a decision or before the handshake completed.
    case abandoned

    /// Either kind of acceptance.
    public var isAccepted: Bool { self == .accepted || self == .acceptedLegacy }
}

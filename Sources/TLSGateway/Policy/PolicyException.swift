import Crypto
import Foundation

/// A time-boxed permission for legacy clients, by client network, host name or API key.
///
/// An exception stops matching by itself at `expires`: "enforce policy with expirations, not
/// permanent exceptions".
public struct PolicyException: Sendable, Hashable {
    /// What a client must match.
    public enum Matcher: Sendable, Hashable {
        /// The client's address lies in the network.
        case network(IPAddressRange)
        /// The client sent this server name (case-insensitive).
        case serverName(String)
        /// A request carries this API key (stored as the SHA-256 hex of the key).
        case apiKeySHA256(String)
    }

    public var name: String
    public var matcher: Matcher
    /// Only these host names (lowercased); nil for every host.
    public var hosts: Set<String>?
    public var expires: Date

    public init(name: String, matcher: Matcher, hosts: Set<String>? = nil, expires: Date) {
        self.name = name
        self.matcher = matcher
        self.hosts = hosts
        self.expires = expires
    }

    /// The rule name recorded for decisions it makes.
    public var rule: String { "exceptions[\(name)]" }

    public func isActive(at now: Date) -> Bool { now < expires }

    func applies(toHost host: String?) -> Bool {
        guard let hosts else { return true }
        guard let host else { return false }
        return hosts.contains(host.lowercased())
    }

    public var isAPIKey: Bool {
        if case .apiKeySHA256 = matcher { return true }
        return false
    }
}

/// How API keys are hashed in records and exceptions.
public enum APIKeyHash {
    /// Lowercase hex SHA-256 of the key's UTF-8 bytes.
    public static func sha256Hex(_ key: String) -> String {
        SHA256.hash(data: Array(key.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

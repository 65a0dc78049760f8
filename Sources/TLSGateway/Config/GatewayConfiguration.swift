import Foundation
import NIOCore
import TLSTelemetry
import TLSWire

/// A validated gateway configuration (from YAML by `GatewayConfiguration.load(path:)`).
///
/// Relative file paths in the YAML are resolved against the config file's directory.
public struct GatewayConfiguration: Sendable {
    /// One address the gateway accepts TLS on.
    public struct Listener: Sendable, Hashable {
        public var name: String
        public var host: String
        public var port: Int
        /// A client-check listener: accepts TLS 1.0–1.3 with legacy suites (so old clients can
        /// finish a handshake and be told), applies no policy to the handshake, and serves only
        /// the client check.
        public var clientCheck: Bool
        public init(name: String, host: String, port: Int, clientCheck: Bool = false) {
            self.name = name
            self.host = host
            self.port = port
            self.clientCheck = clientCheck
        }
    }

    /// The client check ("will my client still connect after the cutoff?").
    public struct ClientCheckSettings: Sendable, Hashable {
        /// Path prefix that serves the check on every HTTP listener (page at the path, JSON at
        /// `<path>/api/v1/check`); nil serves it only on client-check listeners (at `/`).
        public var path: String?
        /// Judge clients against this host's policy (default: the server name the client sent).
        public var policyHost: String?
        /// Plain-HTTP listener that answers with the last ClientHello seen from the caller's
        /// address, for clients that cannot finish any handshake.
        public var lookup: Listener?
        /// Addresses remembered for the lookup (oldest forgotten first).
        public var historySize: Int
        /// How long a remembered ClientHello stays available to the lookup.
        public var historyTTL: TimeAmount
        /// `historyTTL` in whole minutes, as the lookup's answers say it.
        public var historyMinutes: Int { Int(historyTTL.nanoseconds / 60_000_000_000) }
        public init(path: String? = nil, policyHost: String? = nil, lookup: Listener? = nil, historySize: Int = 10_000,
                    historyTTL: TimeAmount = .hours(1)) {
            self.path = path
            self.policyHost = policyHost
            self.lookup = lookup
            self.historySize = historySize
            self.historyTTL = historyTTL
        }
    }

    /// Where allowed traffic goes.
    public struct Upstream: Sendable, Hashable {
        /// `http`: HTTP/1.1 reverse proxy; `tcp`: a byte relay for non-HTTP services.
        public enum Mode: String, Sendable, Hashable { case http, tcp }
        public var host: String
        public var port: Int
        public var mode: Mode
        public var connectTimeout: TimeAmount
        /// Longest wait for the response head after the request was sent (then 504).
        public var responseTimeout: TimeAmount
        /// Idle keep-alive connections kept per event loop.
        public var maxIdleConnections: Int
        public init(host: String, port: Int, mode: Mode = .http, connectTimeout: TimeAmount = .seconds(5),
                    responseTimeout: TimeAmount = .seconds(60), maxIdleConnections: Int = 64) {
            self.host = host
            self.port = port
            self.mode = mode
            self.connectTimeout = connectTimeout
            self.responseTimeout = responseTimeout
            self.maxIdleConnections = maxIdleConnections
        }
        public var authority: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    /// A certificate chain and its key, served for some host names (or as the default).
    public struct Certificate: Sendable, Hashable {
        /// Lowercased host names; `*.example.com` matches one label.
        public var hosts: [String]
        public var isDefault: Bool
        public var chainPath: String
        public var keyPath: String
        public init(hosts: [String], isDefault: Bool, chainPath: String, keyPath: String) {
            self.hosts = hosts
            self.isDefault = isDefault
            self.chainPath = chainPath
            self.keyPath = keyPath
        }
    }

    /// How API keys are stored in request records.
    public enum APIKeyStorage: String, Sendable, Hashable { case hashed, plain, none }

    /// Record keeping: one store per gateway, a SQLite file (`database`) or a PostgreSQL database
    /// that a fleet of gateways shares (`postgres`).
    public struct Records: Sendable, Hashable {
        /// SQLite file; nil (and no `postgresURL`) keeps no records.
        public var databasePath: String?
        /// `postgres://user:password@host:port/database?sslmode=…`; exclusive with `databasePath`.
        public var postgresURL: String?
        /// Records older than this are deleted (SQLite) or their day partitions dropped
        /// (PostgreSQL), at start and daily; nil keeps everything.
        public var retention: Duration?
        public var queueCapacity: Int
        /// Request header carrying the client's API key (for exceptions and records); nil for none.
        public var apiKeyHeader: String?
        public var apiKeyStorage: APIKeyStorage
        /// Names this gateway in its records (several may share one database); nil: the host name.
        public var gatewayName: String?
        public init(databasePath: String? = nil, queueCapacity: Int = 10_000, apiKeyHeader: String? = nil,
                    apiKeyStorage: APIKeyStorage = .hashed, gatewayName: String? = nil, postgresURL: String? = nil,
                    retention: Duration? = nil) {
            self.gatewayName = gatewayName
            self.postgresURL = postgresURL
            self.retention = retention
            self.databasePath = databasePath
            self.queueCapacity = queueCapacity
            self.apiKeyHeader = apiKeyHeader
            self.apiKeyStorage = apiKeyStorage
        }

        /// Whether records are kept at all.
        public var isEnabled: Bool { databasePath != nil || postgresURL != nil }

        /// Where records go, for logs and `--check-config`: the file, or the URL without its password.
        public var storeDescription: String? {
            if let databasePath { return databasePath }
            return postgresURL.map { (try? PostgresURL(parsing: $0).redacted) ?? "postgres (unparsable URL)" }
        }
    }

    /// TLS and sniffer settings.
    public struct TLSSettings: Sendable, Hashable {
        /// OpenSSL cipher string for TLS ≤ 1.2 in the strict contexts; nil keeps swift-nio-ssl's default.
        public var strictCiphers: String?
        /// OpenSSL cipher string for the legacy-permissive context (TLS 1.0/1.1 clients need CBC suites).
        public var legacyCiphers: String
        /// OpenSSL cipher string for client-check listeners: the legacy suites plus 3DES, so
        /// that the oldest clients BoringSSL can still talk to get an answer.
        public var checkCiphers: String
        /// How long a client may take to send its whole ClientHello.
        public var helloTimeout: TimeAmount
        /// Cap on the first flight (the sniffer's buffer).
        public var maxHelloBytes: Int
        public init(strictCiphers: String? = nil, legacyCiphers: String = TLSSettings.defaultLegacyCiphers,
                    checkCiphers: String = TLSSettings.defaultLegacyCiphers + ":DES-CBC3-SHA",
                    helloTimeout: TimeAmount = .seconds(10), maxHelloBytes: Int = 16 * 1024) {
            self.strictCiphers = strictCiphers
            self.legacyCiphers = legacyCiphers
            self.checkCiphers = checkCiphers
            self.helloTimeout = helloTimeout
            self.maxHelloBytes = maxHelloBytes
        }

        /// AEAD first, then the ECDHE and RSA CBC suites TLS 1.0/1.1 clients have.
        public static let defaultLegacyCiphers =
            "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
            + "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
            + "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES256-SHA:"
            + "AES128-GCM-SHA256:AES256-GCM-SHA384:AES128-SHA:AES256-SHA"
    }

    /// The config file this came from (for messages and reload), if any.
    public var sourcePath: String?
    public var listeners: [Listener]
    /// Admin listener (`/metrics`, `/healthz`); nil for none.
    public var admin: Listener?
    /// Where allowed traffic goes; nil only when every listener is a client-check listener.
    public var upstream: Upstream?
    public var certificates: [Certificate]
    public var defaultPolicy: HostPolicy
    public var noSNIPolicy: HostPolicy?
    public var hostPolicies: [String: HostPolicy]
    public var exceptions: [PolicyException]
    public var records: Records
    public var tls: TLSSettings
    /// How long SIGTERM waits for open connections before closing them.
    public var drainTimeout: TimeAmount
    /// How long a client connection may go without traffic (HTTP: between requests) before it is closed.
    public var idleTimeout: TimeAmount
    /// The client check; nil turns it off (client-check listeners need it).
    public var clientCheck: ClientCheckSettings?

    public init(
        sourcePath: String? = nil, listeners: [Listener], admin: Listener? = nil, upstream: Upstream?,
        certificates: [Certificate], defaultPolicy: HostPolicy = HostPolicy(name: "default"),
        noSNIPolicy: HostPolicy? = nil, hostPolicies: [String: HostPolicy] = [:], exceptions: [PolicyException] = [],
        records: Records = Records(), tls: TLSSettings = TLSSettings(), drainTimeout: TimeAmount = .seconds(30),
        idleTimeout: TimeAmount = .seconds(60), clientCheck: ClientCheckSettings? = nil
    ) {
        self.sourcePath = sourcePath
        self.listeners = listeners
        self.admin = admin
        self.upstream = upstream
        self.certificates = certificates
        self.defaultPolicy = defaultPolicy
        self.noSNIPolicy = noSNIPolicy
        self.hostPolicies = hostPolicies
        self.exceptions = exceptions
        self.records = records
        self.tls = tls
        self.drainTimeout = drainTimeout
        self.idleTimeout = idleTimeout
        self.clientCheck = clientCheck
    }

    /// Why `text` is not an address `parseAddress` takes, in words (nil when it is one).
    public static func addressProblem(_ text: String) -> String? {
        if parseAddress(text) != nil { return nil }
        return HostName.unbracketedIPv6Hint(text) ?? "'\(text)' is not host:port (port 0-65535)"
    }

    /// Parses `host:port`, `[v6]:port`, `:port` or `*:port` (both mean every address). An IPv6
    /// address without brackets is refused, as in `tlsguard scan` (`addressProblem` says why).
    public static func parseAddress(_ text: String) -> (host: String, port: Int)? {
        if HostName.unbracketedIPv6Hint(text) != nil { return nil }
        var host: String
        var portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else { return nil }
            host = String(text[text.index(after: text.startIndex)..<close])
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = String(text[..<colon])
            portText = text[text.index(after: colon)...]
        }
        if host.isEmpty || host == "*" { host = "0.0.0.0" }
        guard let port = Int(portText), (0...65535).contains(port) else { return nil }
        return (host, port)
    }

    /// Parses a config date: `2026-06-30`, `2026-06-30T14:00:00Z` (RFC 3339).
    public static func parseDate(_ text: String) -> Date? { ConfigNode.parseDate(text) }

    /// The policy engine for this configuration and clock.
    public func policyEngine(clock: GatewayClock) -> PolicyEngine {
        PolicyEngine(defaultPolicy: defaultPolicy, noSNIPolicy: noSNIPolicy, hostPolicies: hostPolicies,
                     exceptions: exceptions, clock: clock)
    }
}

import Foundation
import TLSWire

/// The result of scanning one or more targets. Codable; its JSON form is a documented,
/// versioned interface (docs/report-schema.json).
public struct ScanReport: Codable, Sendable {
    /// Bumped on every change that a consumer of the JSON could notice.
    public static let currentSchemaVersion = 9

    public var schemaVersion: Int
    public var tool: ToolInfo
    public var startedAt: Date
    public var finishedAt: Date
    public var targets: [TargetReport]

    public init(tool: ToolInfo, startedAt: Date, finishedAt: Date, targets: [TargetReport]) {
        self.schemaVersion = Self.currentSchemaVersion
        self.tool = tool
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.targets = targets
    }

    public struct ToolInfo: Codable, Sendable {
        public var name: String
        public var version: String
        public init(name: String, version: String) {
            self.name = name
            self.version = version
        }
    }
}

/// Whether a check ran: never a silent absence.
public struct CheckStatus: Codable, Sendable, Hashable {
    /// `notEvaluated`: the check depends on probes that erred (a version that timed out, a
    /// malformed answer), so its verdict is unknown — never reported as "ok" or "not applicable".
    public enum Status: String, Codable, Sendable { case completed, error, notRun, notApplicable, notEvaluated }
    public var status: Status
    /// Why it failed or did not run.
    public var reason: String?

    public static let completed = CheckStatus(status: .completed, reason: nil)
    public static func error(_ reason: String) -> CheckStatus { CheckStatus(status: .error, reason: reason) }
    public static func notRun(_ reason: String) -> CheckStatus { CheckStatus(status: .notRun, reason: reason) }
    public static func notApplicable(_ reason: String) -> CheckStatus { CheckStatus(status: .notApplicable, reason: reason) }
    public static func notEvaluated(_ reason: String) -> CheckStatus { CheckStatus(status: .notEvaluated, reason: reason) }

    package init(status: Status, reason: String? = nil) {
        self.status = status
        self.reason = reason
    }
}

/// One target's results.
public struct TargetReport: Codable, Sendable {
    /// As given on the command line, normalised to `host:port`.
    public var target: String
    public var host: String
    public var port: Int
    /// The server name sent in SNI, if any.
    public var sni: String?
    /// The address that was scanned.
    public var address: String?
    /// `completed` when the target could be scanned (some checks may still have errors).
    public var status: CheckStatus
    public var startedAt: Date
    public var durationMs: Int
    /// Connections the scan opened.
    public var probeCount: Int
    /// The same connections by the check that opened them (`versions`, `groups`, `certificates`,
    /// `http`, …; docs/benchmarks.md says what each costs). Sums to `probeCount`.
    public var connectionsByCheck: [String: Int] = [:]
    /// What a modern client (TLS 1.0–1.3 offered) negotiates: version and suite.
    public var defaultNegotiation: Negotiation?
    /// One entry per probed version, SSL 2.0 to TLS 1.3.
    public var protocols: [ProtocolResult]
    /// Things the server did that a correct server does not (a suite it was not offered, a
    /// version it was not asked for), each once.
    public var anomalies: [String]
    /// Protocol features seen on the best TLS 1.0–1.2 handshake (ALPN, tickets, EMS, stapling …) and
    /// by our TLS 1.3 client (ALPN, tickets, resumption, 0-RTT).
    public var features: FeatureReport?
    /// Known weaknesses, each completed / error / notRun / notApplicable with evidence.
    public var weaknesses: [Finding]
    /// Every distinct certificate chain the server serves, analysed.
    public var certificates: CertificatesResult?
    /// The HTTPS answer to `GET /`: status, Server banner, HSTS.
    public var http: HTTPResult?

    public init(target: String, host: String, port: Int, sni: String?, address: String?, status: CheckStatus,
                startedAt: Date, durationMs: Int = 0, probeCount: Int = 0, defaultNegotiation: Negotiation? = nil,
                protocols: [ProtocolResult] = [], anomalies: [String] = [], features: FeatureReport? = nil,
                weaknesses: [Finding] = []) {
        self.target = target
        self.host = host
        self.port = port
        self.sni = sni
        self.address = address
        self.status = status
        self.startedAt = startedAt
        self.durationMs = durationMs
        self.probeCount = probeCount
        self.defaultNegotiation = defaultNegotiation
        self.protocols = protocols
        self.anomalies = anomalies
        self.features = features
        self.weaknesses = weaknesses
    }

    public func weakness(_ id: FindingID) -> Finding? { weaknesses.first { $0.id == id } }

    public func protocolResult(_ v: ProtocolVersion) -> ProtocolResult? { protocols.first { $0.version == v } }
    public var supportedVersions: [ProtocolVersion] { protocols.supportedVersions }
}

extension Array where Element == ProtocolResult {
    /// The versions the server accepted, oldest first.
    public var supportedVersions: [ProtocolVersion] {
        filter { $0.supported == true }.map(\.version)
    }

    /// The suites accepted in `v` (in the report's order); empty when `v` is not supported.
    public func acceptedSuites(_ v: ProtocolVersion) -> [CipherSuite] {
        first { $0.version == v && $0.supported == true }?.cipherSuites.compactMap(\.suite) ?? []
    }

    /// Why a "not applicable" that rests on a version seeming unsupported is "not evaluated": the
    /// versions whose probes erred (nil: none did).
    public var notEvaluatedReason: String? {
        let erred = filter { $0.check.status == .error && $0.supported != true }
        guard !erred.isEmpty else { return nil }
        return "not evaluated: " + erred.map { "\($0.version) could not be checked (\($0.check.reason ?? "error"))" }
            .joined(separator: "; ")
    }

    /// The best version below TLS 1.3 with accepted suites: where a handshake is still in clear.
    public var bestVersionBelowTLS13: ProtocolVersion? {
        [ProtocolVersion.tls12, .tls11, .tls10, .sslv3].first { !acceptedSuites($0).isEmpty }
    }
}

/// A protocol version in the report, written in the JSON by its name (`TLSv1.2`) as the schema
/// documents; in Swift it is the `ProtocolVersion` itself, so no one parses the name back.
@propertyWrapper
public struct VersionName: Codable, Sendable, Hashable {
    public var wrappedValue: ProtocolVersion
    public init(wrappedValue: ProtocolVersion) { self.wrappedValue = wrappedValue }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let name = try container.decode(String.self)
        guard let v = ProtocolVersion(parsing: name) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(name)' is not a protocol version")
        }
        wrappedValue = v
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(wrappedValue.name)
    }
}

/// `VersionName` for a version that may be absent: absent from the JSON when nil (as an optional
/// `String` was), its name when set.
@propertyWrapper
public struct OptionalVersionName: Codable, Sendable, Hashable {
    public var wrappedValue: ProtocolVersion?
    public init(wrappedValue: ProtocolVersion?) { self.wrappedValue = wrappedValue }
    public init(from decoder: Decoder) throws { wrappedValue = try VersionName(from: decoder).wrappedValue }
    public func encode(to encoder: Encoder) throws {
        if let v = wrappedValue { try VersionName(wrappedValue: v).encode(to: encoder) }
    }
}

extension KeyedEncodingContainer {
    /// Leaves the key out when the version is nil, as `encodeIfPresent` does for an optional.
    public mutating func encode(_ value: OptionalVersionName, forKey key: Key) throws {
        if let v = value.wrappedValue { try encode(VersionName(wrappedValue: v), forKey: key) }
    }
}

extension KeyedDecodingContainer {
    public func decode(_ type: OptionalVersionName.Type, forKey key: Key) throws -> OptionalVersionName {
        OptionalVersionName(wrappedValue: try decodeIfPresent(VersionName.self, forKey: key)?.wrappedValue)
    }
}

public struct Negotiation: Codable, Sendable, Hashable {
    @VersionName public var version: ProtocolVersion
    public var cipherSuite: SuiteResult

    package init(version: ProtocolVersion, cipherSuite: SuiteResult) {
        self.version = version
        self.cipherSuite = cipherSuite
    }
}

/// One protocol version's results.
public struct ProtocolResult: Codable, Sendable {
    /// `TLSv1.2` in the JSON.
    @VersionName public var version: ProtocolVersion
    /// `0x0303`
    public var code: String
    public var check: CheckStatus
    /// nil when the check did not complete.
    public var supported: Bool?
    /// Accepted suites: in the server's order when it enforces one, else in registry order.
    public var cipherSuites: [SuiteResult]
    /// SSL 2.0 only: the cipher specs the server offered.
    public var sslv2CipherSpecs: [SSLv2SpecResult]?
    public var serverOrder: ServerOrder
    public var groups: GroupsResult?
    /// Size in bits of the smallest finite-field DH prime (the modulus p) the server used in this
    /// version with DHE or DH_anon suites; nil when it accepted none.
    public var dhParameterBits: Int?
    /// The published group that smallest prime comes from (RFC 7919, RFC 3526, RFC 2409, RFC 5114), if any.
    public var dhWellKnownPrime: String?
    /// Every DH prime the server used in this version, each with the suites it came with (a server
    /// may use 1024 bits with one suite and 3072 with another); smallest first.
    public var dhParameters: [DHParameters]?
    /// Why a version counts as unsupported: the alert or behaviour seen.
    public var refusal: String?

    public init(version: ProtocolVersion, check: CheckStatus, supported: Bool?, cipherSuites: [SuiteResult] = [],
                serverOrder: ServerOrder = ServerOrder(check: .notRun("fewer than two suites"), enforced: nil),
                groups: GroupsResult? = nil, refusal: String? = nil) {
        self.version = version
        self.code = version.hexString
        self.check = check
        self.supported = supported
        self.cipherSuites = cipherSuites
        self.serverOrder = serverOrder
        self.groups = groups
        self.refusal = refusal
    }
}

extension ProtocolResult {
    /// `dhParameters`; for a report that has only the smallest prime's size (`dhParameterBits`,
    /// as reports before schema 9 and hand-made ones do), that one prime without its suites.
    public var dhPrimes: [DHParameters] {
        dhParameters ?? dhParameterBits.map { [DHParameters(primeBits: $0, wellKnownPrime: dhWellKnownPrime, suites: [])] } ?? []
    }
}

/// One finite-field DH prime a server used, read from its ServerKeyExchange (RFC 5246 §7.4.3).
public struct DHParameters: Codable, Sendable, Hashable {
    /// Size of the prime p in bits (not a security strength).
    public var primeBits: Int
    /// The published group the prime comes from, if it is a well-known one.
    public var wellKnownPrime: String?
    /// IANA names of the suites the server used this prime with.
    public var suites: [String]

    public init(primeBits: Int, wellKnownPrime: String?, suites: [String]) {
        self.primeBits = primeBits
        self.wellKnownPrime = wellKnownPrime
        self.suites = suites
    }
}

public struct ServerOrder: Codable, Sendable {
    public var check: CheckStatus
    /// true: the server picks by its own order (the list is in that order); false: it follows the client's.
    public var enforced: Bool?
    public init(check: CheckStatus, enforced: Bool?) {
        self.check = check
        self.enforced = enforced
    }
}

public struct GroupsResult: Codable, Sendable {
    public var check: CheckStatus
    /// In the order the server chose them.
    public var groups: [GroupResult]

    package init(check: CheckStatus, groups: [GroupResult]) {
        self.check = check
        self.groups = groups
    }
}

public struct GroupResult: Codable, Sendable, Hashable {
    public var code: String
    public var name: String
    public var postQuantum: Bool
    public var kind: NamedGroup.Info.Kind?
    public var bits: Int?

    public init(_ g: NamedGroup) {
        code = g.hexString
        name = g.name
        postQuantum = g.isPostQuantum
        kind = g.info?.kind
        bits = g.info.map(\.bits)
    }
}

public struct SSLv2SpecResult: Codable, Sendable, Hashable {
    public var code: String
    public var name: String
    public var opensslName: String?
    public var bits: Int?

    package init(code: String, name: String, opensslName: String? = nil, bits: Int? = nil) {
        self.code = code
        self.name = name
        self.opensslName = opensslName
        self.bits = bits
    }
}

/// One accepted cipher suite with its properties (its strength is a verdict: TLSPolicy's `SuiteVerdict`).
public struct SuiteResult: Codable, Sendable, Hashable {
    /// `0xC02F`
    public var code: String
    /// IANA name.
    public var name: String
    public var opensslName: String?
    public var keyExchange: String?
    public var authentication: String?
    public var cipher: String?
    public var bits: Int?
    public var aead: Bool?
    public var forwardSecrecy: Bool?

    public init(_ suite: CipherSuite) {
        code = suite.hexString
        name = suite.name
        let info = suite.info
        opensslName = info?.opensslName
        keyExchange = info?.keyExchange.rawValue
        authentication = info?.authentication.rawValue
        cipher = info?.cipher
        bits = info?.bits
        aead = info?.isAEAD
        forwardSecrecy = info?.forwardSecrecy
    }

    public var suite: CipherSuite? { UInt16(code.dropFirst(2), radix: 16).map { CipherSuite($0) } }
}



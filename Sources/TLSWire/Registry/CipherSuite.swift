/// A TLS cipher suite code point (RFC 8446 §B.4, RFC 5246 §A.5).
///
/// An open struct, not an enum: GREASE values (RFC 8701) and code points the registry does not
/// know round-trip unchanged.
public struct CipherSuite: RawRepresentable, Hashable, Sendable, Comparable, Codable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public init(_ rawValue: UInt16) { self.rawValue = rawValue }

    public static func < (lhs: CipherSuite, rhs: CipherSuite) -> Bool { lhs.rawValue < rhs.rawValue }

    /// TLS_EMPTY_RENEGOTIATION_INFO_SCSV (RFC 5746 §3.3).
    public static let emptyRenegotiationInfoSCSV = CipherSuite(0x00FF)
    /// TLS_FALLBACK_SCSV (RFC 7507 §2).
    public static let fallbackSCSV = CipherSuite(0x5600)

    /// The registry entry for this code point, if the registry knows it.
    public var info: CipherSuiteInfo? { CipherSuiteInfo.byCode[rawValue] }
    /// The IANA name, or `0xXXXX` for an unknown code point.
    public var name: String { info?.ianaName ?? hexString }
    /// `0xC02F` form.
    public var hexString: String { "0x" + hex4(rawValue).uppercased() }
    public var isGREASE: Bool { isGREASEValue(rawValue) }
    /// A signalling value rather than a real suite (RFC 5746, RFC 7507).
    public var isSCSV: Bool { self == .emptyRenegotiationInfoSCSV || self == .fallbackSCSV }
    public var description: String { name }
}

/// Key exchange of a cipher suite, as named in the IANA registry.
public enum KeyExchange: String, Sendable, Codable, CaseIterable {
    case null = "NULL"
    case rsa = "RSA"
    case rsaExport = "RSA_EXPORT"
    case dh = "DH"           // static DH
    case dhe = "DHE"
    case ecdh = "ECDH"       // static ECDH
    case ecdhe = "ECDHE"
    case psk = "PSK"
    case dhePSK = "DHE_PSK"
    case ecdhePSK = "ECDHE_PSK"
    case rsaPSK = "RSA_PSK"
    case srp = "SRP"
    case krb5 = "KRB5"
    case eccpwd = "ECCPWD"
    case gost = "GOSTR341112_256"
    case fortezza = "FORTEZZA"
    case sm2 = "SM2"
    /// TLS 1.3 suites do not name a key exchange (RFC 8446 §4.2.8 negotiates it separately).
    case any = "ANY"

    /// Ephemeral key exchange, so the session keys do not depend on the long-term key.
    public var forwardSecrecy: Bool {
        switch self {
        case .dhe, .ecdhe, .dhePSK, .ecdhePSK, .eccpwd, .any: return true
        default: return false
        }
    }
}

/// Server authentication of a cipher suite.
public enum Authentication: String, Sendable, Codable, CaseIterable {
    case anonymous = "anon"
    case null = "NULL"
    case rsa = "RSA"
    case dss = "DSS"
    case ecdsa = "ECDSA"
    case psk = "PSK"
    case krb5 = "KRB5"
    case srp = "SRP"      // SRP without certificate
    case srpRSA = "SRP_RSA"
    case srpDSS = "SRP_DSS"
    case eccpwd = "ECCPWD"
    case gost = "GOST"
    case sm2 = "SM2"
    case dh = "DH"        // static DH certificates (DH_RSA/DH_DSS authenticate with the DH cert)
    case ecdh = "ECDH"
    case fortezza = "KEA"
    /// TLS 1.3: authentication comes from signature_algorithms, not the suite.
    case any = "ANY"
}

/// How the bulk cipher works; decides CBC-related weaknesses.
public enum CipherMode: String, Sendable, Codable, CaseIterable {
    case null, stream, cbc, aead
}

/// One row of the cipher-suite registry: IANA name, OpenSSL name and properties.
public struct CipherSuiteInfo: Sendable, Hashable, Codable {
    public let code: UInt16
    /// The IANA name (or the customary name for legacy and draft values outside IANA).
    public let ianaName: String
    /// OpenSSL's name, where OpenSSL has ever had one.
    public let opensslName: String?
    public let keyExchange: KeyExchange
    public let authentication: Authentication
    /// The bulk cipher as the IANA name spells it, e.g. `AES_128_GCM`, `3DES_EDE_CBC`, `NULL`.
    public let cipher: String
    /// Effective key bits of the bulk cipher (3DES: 112, export RC4_40: 40, NULL: 0).
    public let bits: Int
    public let mode: CipherMode
    /// Block size in bits for block ciphers (64 for 3DES/DES/IDEA/RC2: SWEET32), 0 otherwise.
    public let blockBits: Int
    /// `AEAD`, `SHA`, `SHA256`, `SHA384`, `MD5`, `NULL`, `GOST…`.
    public let mac: String
    public let isExport: Bool
    /// Lowest protocol version that may negotiate it (SSL 3.0, TLS 1.2 for AEAD/SHA-2, TLS 1.3).
    public let minVersion: ProtocolVersion
    /// Highest protocol version that may negotiate it (TLS 1.2 for every non-TLS 1.3 suite).
    public let maxVersion: ProtocolVersion
    /// Not in the IANA registry: a draft, vendor or withdrawn value that scanners still meet.
    public let isUnofficial: Bool

    public init(
        code: UInt16, ianaName: String, opensslName: String?, keyExchange: KeyExchange,
        authentication: Authentication, cipher: String, bits: Int, mode: CipherMode, blockBits: Int,
        mac: String, isExport: Bool, minVersion: ProtocolVersion, maxVersion: ProtocolVersion,
        isUnofficial: Bool = false
    ) {
        self.code = code
        self.ianaName = ianaName
        self.opensslName = opensslName
        self.keyExchange = keyExchange
        self.authentication = authentication
        self.cipher = cipher
        self.bits = bits
        self.mode = mode
        self.blockBits = blockBits
        self.mac = mac
        self.isExport = isExport
        self.minVersion = minVersion
        self.maxVersion = maxVersion
        self.isUnofficial = isUnofficial
    }

    public var suite: CipherSuite { CipherSuite(code) }
    /// Anonymous DH and ECDH (`DH_anon`, `ECDH_anon`) use ephemeral keys too: forward secret, if
    /// unauthenticated (RFC 5246 §7.4.3, RFC 8422 §2.5).
    public var forwardSecrecy: Bool {
        keyExchange.forwardSecrecy || (authentication == .anonymous && (keyExchange == .dh || keyExchange == .ecdh))
    }
    public var isAEAD: Bool { mode == .aead }
    /// The server sends a finite-field DH prime in its ServerKeyExchange: DHE, DHE_PSK and
    /// DH_anon (RFC 5246 §7.4.3, RFC 4279 §3). Static DH_RSA/DH_DSS keep theirs in the certificate.
    public var usesEphemeralFiniteFieldDH: Bool {
        keyExchange == .dhe || keyExchange == .dhePSK || (keyExchange == .dh && authentication == .anonymous)
    }
    public var isAnonymous: Bool { authentication == .anonymous }
    /// Usable in a version `v` by the registry's rules.
    public func allows(_ v: ProtocolVersion) -> Bool { v >= minVersion && v <= maxVersion }

    /// All entries, ordered by code.
    public static let all: [CipherSuiteInfo] = registryData.sorted { $0.code < $1.code }
    static let byCode: [UInt16: CipherSuiteInfo] = Dictionary(
        registryData.map { ($0.code, $0) }, uniquingKeysWith: { first, _ in first })
    static let byOpenSSLName: [String: CipherSuiteInfo] = Dictionary(
        registryData.compactMap { info in info.opensslName.map { ($0, info) } }, uniquingKeysWith: { first, _ in first })

    static let byIANAName: [String: CipherSuiteInfo] = Dictionary(
        registryData.map { ($0.ianaName, $0) }, uniquingKeysWith: { first, _ in first })

    /// Look an entry up by its OpenSSL name (`ECDHE-RSA-AES128-GCM-SHA256`).
    public static func named(openssl name: String) -> CipherSuiteInfo? { byOpenSSLName[name] }
    /// Look an entry up by its IANA name (`TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`), as reports write it.
    public static func named(iana name: String) -> CipherSuiteInfo? { byIANAName[name] }
}

/// RFC 8701 §2: GREASE values are 0x?A?A with both bytes equal.
@inlinable
public func isGREASEValue(_ v: UInt16) -> Bool { (v & 0x0F0F) == 0x0A0A && (v >> 8) == (v & 0xFF) }

@usableFromInline
func hex4(_ v: UInt16) -> String {
    let s = String(v, radix: 16)
    return String(repeating: "0", count: 4 - s.count) + s
}

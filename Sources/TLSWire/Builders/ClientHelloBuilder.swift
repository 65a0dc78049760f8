import Crypto
import NIOCore

/// Builds ClientHellos for probes: any version, any cipher list, any extension set.
///
/// Defaults make a hello that a correct server of that version accepts when it shares a suite
/// with it; every knob exists because some probe needs to turn it.
public struct ClientHelloBuilder: Sendable {
    /// The highest version offered. TLS 1.3 is offered through supported_versions (RFC 8446 §4.2.1).
    public var version: ProtocolVersion
    public var cipherSuites: [CipherSuite]
    public var serverName: String?
    /// supported_groups; `nil` picks every known non-post-quantum group plus FFDHE, or none for SSL 3.0.
    public var groups: [NamedGroup]?
    /// Groups to send real key shares for in a TLS 1.3 hello (x25519, P-256, P-384, P-521 supported).
    /// Empty asks the server to pick one through a HelloRetryRequest (RFC 8446 §4.2.8).
    public var keyShareGroups: [NamedGroup] = [.x25519, .secp256r1]
    /// Key shares to send as they are, instead of fresh ones for `keyShareGroups`: for a client that
    /// keeps the private keys and completes the handshake.
    public var keyShares: [KeyShareEntry]?
    public var signatureAlgorithms: [SignatureScheme] = SignatureScheme.scanDefault
    public var alpn: [String] = []
    /// For TLS 1.3 probes, also offer these lower versions in supported_versions.
    public var alsoOfferVersions: [ProtocolVersion] = []
    public var compressionMethods: [UInt8] = [0]
    /// Add TLS_FALLBACK_SCSV (RFC 7507) to the cipher list.
    public var fallbackSCSV = false
    /// Offer renegotiation_info (RFC 5746) as an extension (TLS) or SCSV (SSL 3.0).
    public var secureRenegotiation = true
    public var extendedMasterSecret = true
    public var sessionTicket = true
    public var statusRequest = true
    public var heartbeat = false
    /// Keep hellos out of the 256–511-byte range some F5 servers choke on (RFC 7685 §1).
    public var padForF5 = true
    /// Extensions appended after the built-in ones.
    public var extraExtensions: [TLSExtension] = []
    /// Send no extensions at all (SSL 3.0 style); implied for SSL 3.0.
    public var noExtensions = false

    public init(version: ProtocolVersion, cipherSuites: [CipherSuite], serverName: String? = nil) {
        self.version = version
        self.cipherSuites = cipherSuites
        self.serverName = serverName
    }

    /// The groups offered when `groups` is nil: the classical ones a scan probes for
    /// (post-quantum groups are probed separately, through HelloRetryRequest).
    public static let defaultGroups: [NamedGroup] =
        [.x25519, .secp256r1, .x448, .secp521r1, .secp384r1, NamedGroup(26), NamedGroup(27), NamedGroup(28),
         NamedGroup(22), NamedGroup(21), NamedGroup(20), NamedGroup(19), NamedGroup(18), NamedGroup(17),
         NamedGroup(16), NamedGroup(15), NamedGroup(14), NamedGroup(13), NamedGroup(12), NamedGroup(11),
         NamedGroup(10), NamedGroup(9), NamedGroup(8), NamedGroup(7), NamedGroup(6), NamedGroup(5),
         NamedGroup(4), NamedGroup(3), NamedGroup(2), NamedGroup(1),
         .ffdhe2048, .ffdhe3072, .ffdhe4096, .ffdhe6144, .ffdhe8192]

    /// Longer than the house limit on purpose: the extensions are written in one place, in wire
    /// order, because that order is what JA3/JA4 and a server's fingerprinting see; split, the
    /// order would be spread over functions.
    public func build() -> ClientHello {
        var random = [UInt8](repeating: 0, count: 32)
        var rng = SystemRandomNumberGenerator()
        for i in 0..<32 { random[i] = UInt8.random(in: 0...255, using: &rng) }
        let tls13 = version >= .tls13
        var suites = cipherSuites
        let extensionless = noExtensions || version <= .sslv3
        if secureRenegotiation && extensionless && !suites.contains(.emptyRenegotiationInfoSCSV) {
            suites.append(.emptyRenegotiationInfoSCSV)
        }
        if fallbackSCSV && !suites.contains(.fallbackSCSV) { suites.append(.fallbackSCSV) }
        // A TLS 1.3 client sends a 32-byte legacy_session_id (RFC 8446 §D.4, middlebox compatibility).
        let sessionID: [UInt8] = tls13 ? (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) } : []

        var hello = ClientHello(
            legacyVersion: tls13 ? .tls12 : version, random: random, sessionID: sessionID,
            cipherSuites: suites, compressionMethods: compressionMethods)
        guard !extensionless else { return hello }

        var exts: [TLSExtension] = []
        if let name = serverName, !name.isEmpty {
            // RFC 6066 §3: server_name_list of one host_name entry.
            exts.append(TLSExtension(type: .serverName) { b in
                b.writeTLSVector(.two) { l in
                    l.writeInteger(UInt8(0))
                    l.writeTLSVector(.two) { $0.writeString(name) }
                }
            })
        }
        if extendedMasterSecret { exts.append(TLSExtension(type: .extendedMasterSecret, data: [])) }
        if secureRenegotiation { exts.append(TLSExtension(type: .renegotiationInfo, data: [0])) }
        let groupList = groups ?? Self.defaultGroups
        if !groupList.isEmpty {
            exts.append(TLSExtension(type: .supportedGroups) { $0.writeUInt16List(.two, groupList.map(\.rawValue)) })
            // RFC 8422 §5.1.2: uncompressed only.
            exts.append(TLSExtension(type: .ecPointFormats, data: [1, 0]))
        }
        if sessionTicket && !tls13 { exts.append(TLSExtension(type: .sessionTicket, data: [])) }
        if !alpn.isEmpty {
            exts.append(TLSExtension(type: .alpn) { b in
                b.writeTLSVector(.two) { l in for p in alpn { l.writeTLSVector(.one) { $0.writeString(p) } } }
            })
        }
        if statusRequest {
            // RFC 6066 §8: ocsp, no responder ids, no extensions.
            exts.append(TLSExtension(type: .statusRequest, data: [1, 0, 0, 0, 0]))
        }
        if version >= .tls12 {
            exts.append(TLSExtension(type: .signatureAlgorithms) { $0.writeUInt16List(.two, signatureAlgorithms.map(\.rawValue)) })
        }
        if heartbeat { exts.append(TLSExtension(type: .heartbeat, data: [1])) }
        if tls13 {
            let versions = [version] + alsoOfferVersions.filter { $0 < version }.sorted(by: >)
            exts.append(TLSExtension(type: .supportedVersions) { $0.writeTLSVector(.one) { b in for v in versions { b.writeInteger(v.rawValue) } } })
            exts.append(TLSExtension(type: .pskKeyExchangeModes, data: [1, 1])) // psk_dhe_ke
            let shares = keyShares ?? keyShareGroups.filter { groupList.contains($0) }.compactMap(Self.keyShare(for:))
            exts.append(TLSExtension(type: .keyShare) { b in
                b.writeTLSVector(.two) { l in
                    for s in shares {
                        l.writeInteger(s.group.rawValue)
                        l.writeTLSVector(.two) { $0.writeBytes(s.keyExchange) }
                    }
                }
            })
        }
        exts += extraExtensions
        hello.extensions = exts

        if padForF5 { hello.padForF5() }
        return hello
    }

    /// A fresh key share (RFC 8446 §4.2.8.2: x25519 raw 32 bytes; NIST curves uncompressed X9.62).
    public static func keyShare(for group: NamedGroup) -> KeyShareEntry? {
        switch group {
        case .x25519: return KeyShareEntry(group: group, keyExchange: Array(Curve25519.KeyAgreement.PrivateKey().publicKey.rawRepresentation))
        case .secp256r1: return KeyShareEntry(group: group, keyExchange: Array(P256.KeyAgreement.PrivateKey().publicKey.x963Representation))
        case .secp384r1: return KeyShareEntry(group: group, keyExchange: Array(P384.KeyAgreement.PrivateKey().publicKey.x963Representation))
        case .secp521r1: return KeyShareEntry(group: group, keyExchange: Array(P521.KeyAgreement.PrivateKey().publicKey.x963Representation))
        default: return nil
        }
    }

    /// An SSL 2.0-format hello offering every SSL 2.0 cipher spec (SSL 2.0 specification §2.5).
    public static func sslv2Hello() -> ClientHello {
        var rng = SystemRandomNumberGenerator()
        let challenge = (0..<16).map { _ in UInt8.random(in: 0...255, using: &rng) }
        return ClientHello(legacyVersion: .sslv2, random: challenge, cipherSuites: [],
                           sslv2CipherSpecs: SSLv2CipherSpec.all.map(\.code), isSSLv2Format: true)
    }
}

import NIOCore

/// A ServerHello or HelloRetryRequest (RFC 8446 §4.1.3, §4.1.4; RFC 5246 §7.4.1.3).
public struct ServerHello: Hashable, Sendable {
    public var legacyVersion: ProtocolVersion
    public var random: [UInt8]
    public var sessionID: [UInt8]
    public var cipherSuite: CipherSuite
    public var compressionMethod: UInt8
    public var extensions: [TLSExtension]

    public init(legacyVersion: ProtocolVersion, random: [UInt8], sessionID: [UInt8] = [], cipherSuite: CipherSuite,
                compressionMethod: UInt8 = 0, extensions: [TLSExtension] = []) {
        self.legacyVersion = legacyVersion
        self.random = random
        self.sessionID = sessionID
        self.cipherSuite = cipherSuite
        self.compressionMethod = compressionMethod
        self.extensions = extensions
    }

    /// RFC 8446 §4.1.3: a HelloRetryRequest is a ServerHello whose random is SHA-256("HelloRetryRequest").
    public static let helloRetryRequestRandom: [UInt8] = [
        0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
        0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
    ]

    public init(parsingBody body: ByteBuffer) throws {
        var buf = body
        let f = "ServerHello"
        legacyVersion = ProtocolVersion(try buf.readStrict(UInt16.self, field: "\(f).legacy_version"))
        random = try buf.readBytesStrict(32, field: "\(f).random")
        sessionID = Array(try buf.readTLSVectorStrict(.one, field: "\(f).legacy_session_id", max: 32).readableBytesView)
        cipherSuite = CipherSuite(try buf.readStrict(UInt16.self, field: "\(f).cipher_suite"))
        compressionMethod = try buf.readStrict(UInt8.self, field: "\(f).compression_method")
        // RFC 5246 §7.4.1.3: extensions are optional before TLS 1.3.
        extensions = buf.readableBytes == 0 ? [] : try ExtensionCodec.read(&buf, field: f)
        try buf.expectFullyConsumed(field: f)
    }

    public var isHelloRetryRequest: Bool { random == Self.helloRetryRequestRandom }

    /// The negotiated version: supported_versions when present (RFC 8446 §4.2.1), else legacy_version.
    public func negotiatedVersion() throws -> ProtocolVersion {
        try extensions.serverSelectedVersion() ?? legacyVersion
    }

    /// RFC 8446 §4.1.3 downgrade protection: the last 8 bytes of the random are
    /// "DOWNGRD" + 0x01 when a TLS 1.3 server negotiates TLS 1.2, + 0x00 for TLS 1.1 or below.
    public enum DowngradeSentinel: String, Sendable, Codable { case tls12, tls11OrBelow }
    public var downgradeSentinel: DowngradeSentinel? {
        guard random.count == 32 else { return nil }
        let tail = Array(random[24..<32])
        let prefix: [UInt8] = [0x44, 0x4F, 0x57, 0x4E, 0x47, 0x52, 0x44]
        guard Array(tail[0..<7]) == prefix else { return nil }
        switch tail[7] {
        case 0x01: return .tls12
        case 0x00: return .tls11OrBelow
        default: return nil
        }
    }

    public func writeHandshake(to buf: inout ByteBuffer) {
        buf.writeInteger(HandshakeType.serverHello.rawValue)
        buf.writeTLSVector(.three) { b in
            b.writeInteger(legacyVersion.rawValue)
            b.writeBytes(random)
            b.writeTLSVector(.one) { $0.writeBytes(sessionID) }
            b.writeInteger(cipherSuite.rawValue)
            b.writeInteger(compressionMethod)
            if !extensions.isEmpty { ExtensionCodec.write(extensions, to: &b) }
        }
    }
}

/// A Certificate message: the chain as opaque DER (RFC 5246 §7.4.2, RFC 8446 §4.4.2).
/// X.509 parsing is swift-certificates' job, not the codec's.
public struct CertificateMessage: Hashable, Sendable {
    /// TLS 1.3 certificate_request_context; empty before TLS 1.3.
    public var context: [UInt8]
    public var certificates: [[UInt8]]
    /// TLS 1.3 per-entry extensions (e.g. OCSP status, SCTs), parallel to `certificates`.
    public var entryExtensions: [[TLSExtension]]

    public init(parsingBody body: ByteBuffer, tls13: Bool) throws {
        var buf = body
        let f = "Certificate"
        context = tls13 ? Array(try buf.readTLSVectorStrict(.one, field: "\(f).certificate_request_context").readableBytesView) : []
        var list = try buf.readTLSVectorStrict(.three, field: "\(f).certificate_list")
        var certs: [[UInt8]] = []
        var exts: [[TLSExtension]] = []
        while list.readableBytes > 0 {
            let cert = try list.readTLSVectorStrict(.three, field: "\(f).cert_data", min: 1)
            certs.append(Array(cert.readableBytesView))
            exts.append(tls13 ? try ExtensionCodec.read(&list, field: "\(f).entry") : [])
        }
        try buf.expectFullyConsumed(field: f)
        certificates = certs
        entryExtensions = exts
    }
}

/// The parameters of a ServerKeyExchange (RFC 5246 §7.4.3, RFC 8422 §5.4). The signature is
/// kept raw; verifying it is not a scanner's business.
public enum ServerKeyExchange: Hashable, Sendable {
    /// Finite-field DHE: the prime and generator sizes, and the prime itself (Logjam checks).
    case dhe(prime: [UInt8], generator: [UInt8], publicKey: [UInt8])
    /// ECDHE over a named curve.
    case ecdhe(group: NamedGroup, publicKey: [UInt8])
    /// ECDHE over explicit curve parameters (curve_type 1 or 2): a finding of its own.
    case ecdheExplicitCurve(curveType: UInt8)
    /// RSA_EXPORT temporary key (RFC 2246 §7.4.3).
    case rsaExport(modulus: [UInt8], exponent: [UInt8])
    /// Key exchange kinds whose parameters we do not decode (PSK hints, SRP, GOST).
    case other(raw: [UInt8])

    /// Parses the params for the negotiated suite's key exchange. Anything after the params
    /// (the signature) is left alone.
    public init(parsingBody body: ByteBuffer, keyExchange: KeyExchange) throws {
        var buf = body
        try self.init(reading: &buf, keyExchange: keyExchange)
    }

    /// Reads the params off `buf`, leaving it at what follows them (the signature, RFC 5246
    /// §7.4.3); `other` takes the rest of the buffer.
    public init(reading buf: inout ByteBuffer, keyExchange: KeyExchange) throws {
        let f = "ServerKeyExchange"
        switch keyExchange {
        case .dhe, .dhePSK, .dh:
            if keyExchange == .dhePSK { _ = try buf.readTLSVectorStrict(.two, field: "\(f).psk_identity_hint") }
            let p = try buf.readTLSVectorStrict(.two, field: "\(f).dh_p", min: 1)
            let g = try buf.readTLSVectorStrict(.two, field: "\(f).dh_g", min: 1)
            let y = try buf.readTLSVectorStrict(.two, field: "\(f).dh_Ys", min: 1)
            self = .dhe(prime: Array(p.readableBytesView), generator: Array(g.readableBytesView), publicKey: Array(y.readableBytesView))
        case .ecdhe, .ecdhePSK, .ecdh:
            if keyExchange == .ecdhePSK { _ = try buf.readTLSVectorStrict(.two, field: "\(f).psk_identity_hint") }
            let curveType = try buf.readStrict(UInt8.self, field: "\(f).curve_type")
            guard curveType == 3 else { self = .ecdheExplicitCurve(curveType: curveType); return }
            let group = NamedGroup(try buf.readStrict(UInt16.self, field: "\(f).namedcurve"))
            let point = try buf.readTLSVectorStrict(.one, field: "\(f).point", min: 1)
            self = .ecdhe(group: group, publicKey: Array(point.readableBytesView))
        case .rsaExport, .rsa:
            let m = try buf.readTLSVectorStrict(.two, field: "\(f).rsa_modulus", min: 1)
            let e = try buf.readTLSVectorStrict(.two, field: "\(f).rsa_exponent", min: 1)
            self = .rsaExport(modulus: Array(m.readableBytesView), exponent: Array(e.readableBytesView))
        default:
            self = .other(raw: buf.readBytes(length: buf.readableBytes) ?? [])
        }
    }

    /// Size in bits of the DH prime or RSA_EXPORT modulus (leading zero bytes ignored).
    public var modulusBits: Int? {
        switch self {
        case .dhe(let p, _, _): return Self.bitLength(p)
        case .rsaExport(let m, _): return Self.bitLength(m)
        default: return nil
        }
    }

    /// The bit length of a big-endian unsigned integer (leading zero bytes and bits ignored).
    public static func bitLength(_ b: some Collection<UInt8>) -> Int {
        guard let i = b.firstIndex(where: { $0 != 0 }) else { return 0 }
        return (b.distance(from: i, to: b.endIndex) - 1) * 8 + (8 - b[i].leadingZeroBitCount)
    }
}

/// An SSL 2.0 SERVER-HELLO (SSL 2.0 specification §2.6; RFC 6101 appendix E references it).
public struct SSLv2ServerHello: Hashable, Sendable {
    public var sessionIDHit: Bool
    public var certificateType: UInt8
    public var version: ProtocolVersion
    public var certificate: [UInt8]
    /// 3-byte cipher specs the server supports.
    public var cipherSpecs: [UInt32]
    public var connectionID: [UInt8]

    /// Parses the record body after the 2-byte header (starting at msg_type).
    public init(parsingRecordBody body: ByteBuffer) throws {
        var buf = body
        let f = "SSLv2ServerHello"
        let type = try buf.readStrict(UInt8.self, field: "\(f).msg_type")
        guard type == 4 else { throw TLSWireError(.invalidValue, field: "\(f).msg_type", detail: "\(type)") }
        sessionIDHit = try buf.readStrict(UInt8.self, field: "\(f).session_id_hit") != 0
        certificateType = try buf.readStrict(UInt8.self, field: "\(f).certificate_type")
        version = ProtocolVersion(try buf.readStrict(UInt16.self, field: "\(f).server_version"))
        let certLength = Int(try buf.readStrict(UInt16.self, field: "\(f).certificate_length"))
        let specsLength = Int(try buf.readStrict(UInt16.self, field: "\(f).cipher_specs_length"))
        let connLength = Int(try buf.readStrict(UInt16.self, field: "\(f).connection_id_length"))
        guard specsLength % 3 == 0 else {
            throw TLSWireError(.invalidLength, field: "\(f).cipher_specs_length", detail: "\(specsLength)")
        }
        certificate = try buf.readBytesStrict(certLength, field: "\(f).certificate")
        var specs: [UInt32] = []
        for _ in 0..<(specsLength / 3) {
            let b = try buf.readBytesStrict(3, field: "\(f).cipher_specs")
            specs.append(UInt32(b[0]) << 16 | UInt32(b[1]) << 8 | UInt32(b[2]))
        }
        cipherSpecs = specs
        connectionID = try buf.readBytesStrict(connLength, field: "\(f).connection_id")
        try buf.expectFullyConsumed(field: f)
    }
}

/// SSL 2.0 cipher specs (3 bytes; SSL 2.0 specification appendix).
public struct SSLv2CipherSpec: Hashable, Sendable {
    public let code: UInt32
    public let name: String
    public let opensslName: String
    public let bits: Int
    public let isExport: Bool

    public static let all: [SSLv2CipherSpec] = [
        .init(code: 0x010080, name: "SSL_CK_RC4_128_WITH_MD5", opensslName: "RC4-MD5", bits: 128, isExport: false),
        .init(code: 0x020080, name: "SSL_CK_RC4_128_EXPORT40_WITH_MD5", opensslName: "EXP-RC4-MD5", bits: 40, isExport: true),
        .init(code: 0x030080, name: "SSL_CK_RC2_128_CBC_WITH_MD5", opensslName: "RC2-CBC-MD5", bits: 128, isExport: false),
        .init(code: 0x040080, name: "SSL_CK_RC2_128_CBC_EXPORT40_WITH_MD5", opensslName: "EXP-RC2-CBC-MD5", bits: 40, isExport: true),
        .init(code: 0x050080, name: "SSL_CK_IDEA_128_CBC_WITH_MD5", opensslName: "IDEA-CBC-MD5", bits: 128, isExport: false),
        .init(code: 0x060040, name: "SSL_CK_DES_64_CBC_WITH_MD5", opensslName: "DES-CBC-MD5", bits: 56, isExport: false),
        .init(code: 0x0700C0, name: "SSL_CK_DES_192_EDE3_CBC_WITH_MD5", opensslName: "DES-CBC3-MD5", bits: 112, isExport: false),
    ]
    public static func named(_ code: UInt32) -> SSLv2CipherSpec? { all.first { $0.code == code } }
}

/// A key-exchange group (RFC 8446 §4.2.7; IANA "TLS Supported Groups").
public struct NamedGroup: RawRepresentable, Hashable, Sendable, Comparable, Codable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public init(_ rawValue: UInt16) { self.rawValue = rawValue }
    public static func < (l: NamedGroup, r: NamedGroup) -> Bool { l.rawValue < r.rawValue }

    public static let secp256r1 = NamedGroup(23)
    public static let secp384r1 = NamedGroup(24)
    public static let secp521r1 = NamedGroup(25)
    public static let x25519 = NamedGroup(29)
    public static let x448 = NamedGroup(30)
    public static let ffdhe2048 = NamedGroup(256)
    public static let ffdhe3072 = NamedGroup(257)
    public static let ffdhe4096 = NamedGroup(258)
    public static let ffdhe6144 = NamedGroup(259)
    public static let ffdhe8192 = NamedGroup(260)
    public static let secP256r1MLKEM768 = NamedGroup(0x11EB)
    public static let x25519MLKEM768 = NamedGroup(0x11EC)
    public static let secP384r1MLKEM1024 = NamedGroup(0x11ED)
    public static let x25519Kyber768Draft00 = NamedGroup(0x6399)

    public struct Info: Sendable, Hashable {
        public let name: String
        public enum Kind: String, Sendable, Codable { case ec, ff, pq, hybrid }
        public let kind: Kind
        /// Classical security strength in bits (RFC 7748, NIST SP 800-57); for hybrids, the classical part.
        public let bits: Int
    }

    public var info: Info? { Self.registry[rawValue] }
    public var name: String { info?.name ?? hexString }
    /// `0x001D` form.
    public var hexString: String { "0x" + hex4(rawValue).uppercased() }
    public var description: String { name }
    public var isGREASE: Bool { isGREASEValue(rawValue) }
    /// Post-quantum: a pure ML-KEM group or a hybrid with one (draft-ietf-tls-ecdhe-mlkem).
    public var isPostQuantum: Bool { info.map { $0.kind == .pq || $0.kind == .hybrid } ?? false }
    public var isFiniteField: Bool { info?.kind == .ff }
    /// Whether a TLS 1.3 hello may offer it. RFC 8446 §4.2.7 and §B.3.1.4: the obsolete_RESERVED
    /// values (0x0001-0x0016, 0x001A-0x001C, 0xFF01-0xFF02: binary and brainpool curves of RFC 4492
    /// and RFC 7027, the arbitrary-curve markers) "MUST NOT be offered or negotiated by TLS 1.3
    /// implementations"; strict servers (tlslite-ng) refuse a TLS 1.3-only hello that lists them.
    public var isAllowedInTLS13: Bool {
        !((0x0001...0x0016).contains(rawValue) || (0x001A...0x001C).contains(rawValue) || (0xFF01...0xFF02).contains(rawValue))
    }

    /// Every group a scan offers, oldest first; ordered as the registry numbers them.
    public static var allKnown: [NamedGroup] { registry.keys.sorted().map { NamedGroup($0) } }

    static let registry: [UInt16: Info] = [
        1: .init(name: "sect163k1", kind: .ec, bits: 80), 2: .init(name: "sect163r1", kind: .ec, bits: 80),
        3: .init(name: "sect163r2", kind: .ec, bits: 80), 4: .init(name: "sect193r1", kind: .ec, bits: 96),
        5: .init(name: "sect193r2", kind: .ec, bits: 96), 6: .init(name: "sect233k1", kind: .ec, bits: 112),
        7: .init(name: "sect233r1", kind: .ec, bits: 112), 8: .init(name: "sect239k1", kind: .ec, bits: 112),
        9: .init(name: "sect283k1", kind: .ec, bits: 128), 10: .init(name: "sect283r1", kind: .ec, bits: 128),
        11: .init(name: "sect409k1", kind: .ec, bits: 192), 12: .init(name: "sect409r1", kind: .ec, bits: 192),
        13: .init(name: "sect571k1", kind: .ec, bits: 256), 14: .init(name: "sect571r1", kind: .ec, bits: 256),
        15: .init(name: "secp160k1", kind: .ec, bits: 80), 16: .init(name: "secp160r1", kind: .ec, bits: 80),
        17: .init(name: "secp160r2", kind: .ec, bits: 80), 18: .init(name: "secp192k1", kind: .ec, bits: 96),
        19: .init(name: "secp192r1", kind: .ec, bits: 96), 20: .init(name: "secp224k1", kind: .ec, bits: 112),
        21: .init(name: "secp224r1", kind: .ec, bits: 112), 22: .init(name: "secp256k1", kind: .ec, bits: 128),
        23: .init(name: "secp256r1", kind: .ec, bits: 128), 24: .init(name: "secp384r1", kind: .ec, bits: 192),
        25: .init(name: "secp521r1", kind: .ec, bits: 256), 26: .init(name: "brainpoolP256r1", kind: .ec, bits: 128),
        27: .init(name: "brainpoolP384r1", kind: .ec, bits: 192), 28: .init(name: "brainpoolP512r1", kind: .ec, bits: 256),
        29: .init(name: "x25519", kind: .ec, bits: 128), 30: .init(name: "x448", kind: .ec, bits: 224),
        31: .init(name: "brainpoolP256r1tls13", kind: .ec, bits: 128), 32: .init(name: "brainpoolP384r1tls13", kind: .ec, bits: 192),
        33: .init(name: "brainpoolP512r1tls13", kind: .ec, bits: 256), 34: .init(name: "GC256A", kind: .ec, bits: 128),
        35: .init(name: "GC256B", kind: .ec, bits: 128), 36: .init(name: "GC256C", kind: .ec, bits: 128),
        37: .init(name: "GC256D", kind: .ec, bits: 128), 38: .init(name: "GC512A", kind: .ec, bits: 256),
        39: .init(name: "GC512B", kind: .ec, bits: 256), 40: .init(name: "GC512C", kind: .ec, bits: 256),
        41: .init(name: "curveSM2", kind: .ec, bits: 128),
        256: .init(name: "ffdhe2048", kind: .ff, bits: 103), 257: .init(name: "ffdhe3072", kind: .ff, bits: 125),
        258: .init(name: "ffdhe4096", kind: .ff, bits: 150), 259: .init(name: "ffdhe6144", kind: .ff, bits: 175),
        260: .init(name: "ffdhe8192", kind: .ff, bits: 192),
        0x0200: .init(name: "MLKEM512", kind: .pq, bits: 0), 0x0201: .init(name: "MLKEM768", kind: .pq, bits: 0),
        0x0202: .init(name: "MLKEM1024", kind: .pq, bits: 0),
        0x11EB: .init(name: "SecP256r1MLKEM768", kind: .hybrid, bits: 128),
        0x11EC: .init(name: "X25519MLKEM768", kind: .hybrid, bits: 128),
        0x11ED: .init(name: "SecP384r1MLKEM1024", kind: .hybrid, bits: 192),
        0x6399: .init(name: "X25519Kyber768Draft00", kind: .hybrid, bits: 128),
        0x639A: .init(name: "SecP256r1Kyber768Draft00", kind: .hybrid, bits: 128),
        0xFF01: .init(name: "arbitrary_explicit_prime_curves", kind: .ec, bits: 0),
        0xFF02: .init(name: "arbitrary_explicit_char2_curves", kind: .ec, bits: 0),
    ]
}

/// A signature algorithm (RFC 8446 §4.2.3; for TLS 1.2 the hash/signature pair of RFC 5246 §7.4.1.4.1).
public struct SignatureScheme: RawRepresentable, Hashable, Sendable, Comparable, Codable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public init(_ rawValue: UInt16) { self.rawValue = rawValue }
    public static func < (l: SignatureScheme, r: SignatureScheme) -> Bool { l.rawValue < r.rawValue }

    public var name: String {
        if let n = Self.names[rawValue] { return n }
        // RFC 5246 pairs not given a TLS 1.3 name: hash(1 byte) + signature(1 byte).
        let hashes = [0: "none", 1: "md5", 2: "sha1", 3: "sha224", 4: "sha256", 5: "sha384", 6: "sha512", 8: "intrinsic"]
        let sigs = [0: "anonymous", 1: "rsa", 2: "dsa", 3: "ecdsa"]
        if let h = hashes[Int(rawValue >> 8)], let s = sigs[Int(rawValue & 0xFF)] { return "\(s)_\(h)" }
        return hexString
    }
    /// `0x0804` form.
    public var hexString: String { "0x" + hex4(rawValue).uppercased() }
    public var description: String { name }
    public var isGREASE: Bool { isGREASEValue(rawValue) }

    /// The schemes a scan offers: everything modern plus the legacy TLS 1.2 pairs.
    public static let scanDefault: [SignatureScheme] = [
        0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0804, 0x0805, 0x0806, 0x0809, 0x080A, 0x080B,
        0x0401, 0x0501, 0x0601, 0x081A, 0x081B, 0x081C, 0x0303, 0x0301, 0x0302, 0x0402, 0x0502,
        0x0602, 0x0203, 0x0201, 0x0202, 0x0101, 0x0102, 0x0103,
    ].map { SignatureScheme($0) }

    static let names: [UInt16: String] = [
        0x0201: "rsa_pkcs1_sha1", 0x0203: "ecdsa_sha1", 0x0401: "rsa_pkcs1_sha256", 0x0501: "rsa_pkcs1_sha384",
        0x0601: "rsa_pkcs1_sha512", 0x0403: "ecdsa_secp256r1_sha256", 0x0503: "ecdsa_secp384r1_sha384",
        0x0603: "ecdsa_secp521r1_sha512", 0x0804: "rsa_pss_rsae_sha256", 0x0805: "rsa_pss_rsae_sha384",
        0x0806: "rsa_pss_rsae_sha512", 0x0807: "ed25519", 0x0808: "ed448", 0x0809: "rsa_pss_pss_sha256",
        0x080A: "rsa_pss_pss_sha384", 0x080B: "rsa_pss_pss_sha512", 0x081A: "ecdsa_brainpoolP256r1tls13_sha256",
        0x081B: "ecdsa_brainpoolP384r1tls13_sha384", 0x081C: "ecdsa_brainpoolP512r1tls13_sha512",
        0x0420: "rsa_pkcs1_sha256_legacy", 0x0520: "rsa_pkcs1_sha384_legacy", 0x0620: "rsa_pkcs1_sha512_legacy",
        0x0904: "mldsa44", 0x0905: "mldsa65", 0x0906: "mldsa87", 0x0708: "sm2sig_sm3",
        0x0709: "gostr34102012_256a", 0x070A: "gostr34102012_256b", 0x070B: "gostr34102012_256c",
        0x070C: "gostr34102012_256d", 0x070D: "gostr34102012_512a", 0x070E: "gostr34102012_512b",
        0x070F: "gostr34102012_512c",
    ]
}

/// The content type of a record (RFC 8446 §5.1).
public struct ContentType: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public init(_ rawValue: UInt8) { self.rawValue = rawValue }
    public static let changeCipherSpec = ContentType(20)
    public static let alert = ContentType(21)
    public static let handshake = ContentType(22)
    public static let applicationData = ContentType(23)
    public static let heartbeat = ContentType(24)
    public var isKnown: Bool { (20...24).contains(rawValue) }
    public var description: String {
        switch rawValue {
        case 20: return "change_cipher_spec"
        case 21: return "alert"
        case 22: return "handshake"
        case 23: return "application_data"
        case 24: return "heartbeat"
        default: return "content_type(\(rawValue))"
        }
    }
}

/// A handshake message type (RFC 8446 §4).
public struct HandshakeType: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public init(_ rawValue: UInt8) { self.rawValue = rawValue }
    public static let helloRequest = HandshakeType(0)
    public static let clientHello = HandshakeType(1)
    public static let serverHello = HandshakeType(2)
    public static let newSessionTicket = HandshakeType(4)
    public static let endOfEarlyData = HandshakeType(5)
    public static let encryptedExtensions = HandshakeType(8)
    public static let certificate = HandshakeType(11)
    public static let serverKeyExchange = HandshakeType(12)
    public static let certificateRequest = HandshakeType(13)
    public static let serverHelloDone = HandshakeType(14)
    public static let certificateVerify = HandshakeType(15)
    public static let clientKeyExchange = HandshakeType(16)
    public static let finished = HandshakeType(20)
    public static let certificateStatus = HandshakeType(22)
    public static let keyUpdate = HandshakeType(24)
    public var description: String {
        let names: [UInt8: String] = [
            0: "hello_request", 1: "client_hello", 2: "server_hello", 4: "new_session_ticket",
            5: "end_of_early_data", 8: "encrypted_extensions", 11: "certificate", 12: "server_key_exchange",
            13: "certificate_request", 14: "server_hello_done", 15: "certificate_verify",
            16: "client_key_exchange", 20: "finished", 22: "certificate_status", 24: "key_update",
        ]
        return names[rawValue] ?? "handshake_type(\(rawValue))"
    }
}

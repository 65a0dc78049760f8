import TLSReport
import TLSWire

/// The cipher suites our TLS 1.0–1.2 client speaks: ECDHE, DHE or RSA key exchange, RSA or ECDSA
/// certificates, AES-GCM (TLS 1.2 only) or AES-CBC with HMAC (MAC-then-encrypt).
///
/// The resumption and renegotiation checks use `modern` (ECDHE with AES-GCM, TLS 1.2); the HTTP
/// check uses every suite here, so that any server that speaks TLS 1.0–1.2 gets its HTTP answer read.
struct TLS12SuiteParameters: Sendable, Hashable {
    enum KeyExchange: Sendable, Hashable {
        /// RFC 8422 §2: ephemeral ECDH, signed with the certificate's key.
        case ecdhe
        /// RFC 5246 §7.4.3: ephemeral finite-field DH.
        case dhe
        /// RFC 5246 §7.4.7.1: the premaster secret encrypted with the certificate's RSA key.
        case rsa
    }

    enum Cipher: Sendable, Hashable {
        /// RFC 5288: AES-GCM, TLS 1.2 only.
        case aesGCM
        /// RFC 5246 §6.2.3.2: AES-CBC with HMAC, MAC-then-encrypt.
        case aesCBC(mac: MACAlgorithm)
    }

    var suite: CipherSuite
    var keyLength: Int
    /// The PRF hash in TLS 1.2 (RFC 5246 §5; RFC 5288 §3, RFC 5289 §3 for the SHA-384 suites).
    /// TLS 1.0 and 1.1 use the MD5/SHA-1 PRF whatever the suite.
    var hash: TLSHash
    var keyExchange: KeyExchange = .ecdhe
    var cipher: Cipher = .aesGCM

    /// GCM and the SHA-256/384 MAC suites are defined for TLS 1.2 only (RFC 5246 §A.5, RFC 5289 §3).
    var tls12Only: Bool {
        switch cipher {
        case .aesGCM: return true
        case .aesCBC(let mac): return mac != .sha1
        }
    }

    func usable(in version: ProtocolVersion) -> Bool {
        version >= .tls10 && version <= .tls12 && (version == .tls12 || !tls12Only)
    }

    /// RFC 5289 §3: ECDHE with AES-GCM; the suites of the resumption and renegotiation checks.
    static let modern: [TLS12SuiteParameters] = [
        .init(suite: CipherSuite(0xC02B), keyLength: 16, hash: .sha256), // ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
        .init(suite: CipherSuite(0xC02C), keyLength: 32, hash: .sha384), // ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
        .init(suite: CipherSuite(0xC02F), keyLength: 16, hash: .sha256), // ECDHE_RSA_WITH_AES_128_GCM_SHA256
        .init(suite: CipherSuite(0xC030), keyLength: 32, hash: .sha384), // ECDHE_RSA_WITH_AES_256_GCM_SHA384
    ]

    private static func cbc(_ id: UInt16, _ kx: KeyExchange, _ keyLength: Int, _ mac: MACAlgorithm) -> TLS12SuiteParameters {
        .init(suite: CipherSuite(id), keyLength: keyLength, hash: mac == .sha384 ? .sha384 : .sha256, keyExchange: kx, cipher: .aesCBC(mac: mac))
    }

    /// Every suite the client can complete a handshake with.
    static let all: [TLS12SuiteParameters] = modern + [
        // RFC 5288 §3: DHE and RSA key exchange with AES-GCM.
        .init(suite: CipherSuite(0x009E), keyLength: 16, hash: .sha256, keyExchange: .dhe), // DHE_RSA_WITH_AES_128_GCM_SHA256
        .init(suite: CipherSuite(0x009F), keyLength: 32, hash: .sha384, keyExchange: .dhe), // DHE_RSA_WITH_AES_256_GCM_SHA384
        .init(suite: CipherSuite(0x009C), keyLength: 16, hash: .sha256, keyExchange: .rsa), // RSA_WITH_AES_128_GCM_SHA256
        .init(suite: CipherSuite(0x009D), keyLength: 32, hash: .sha384, keyExchange: .rsa), // RSA_WITH_AES_256_GCM_SHA384
        // RFC 8422 §6 (RFC 4492): ECDHE with AES-CBC and SHA-1.
        cbc(0xC009, .ecdhe, 16, .sha1), cbc(0xC00A, .ecdhe, 32, .sha1), // ECDHE_ECDSA_WITH_AES_{128,256}_CBC_SHA
        cbc(0xC013, .ecdhe, 16, .sha1), cbc(0xC014, .ecdhe, 32, .sha1), // ECDHE_RSA_WITH_AES_{128,256}_CBC_SHA
        // RFC 5289 §3.2: ECDHE with AES-CBC and SHA-256/384 (TLS 1.2).
        cbc(0xC023, .ecdhe, 16, .sha256), cbc(0xC024, .ecdhe, 32, .sha384), // ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, _256_CBC_SHA384
        cbc(0xC027, .ecdhe, 16, .sha256), cbc(0xC028, .ecdhe, 32, .sha384), // ECDHE_RSA_WITH_AES_128_CBC_SHA256, _256_CBC_SHA384
        // RFC 5246 §A.5 (RFC 3268): DHE and RSA with AES-CBC.
        cbc(0x0033, .dhe, 16, .sha1), cbc(0x0039, .dhe, 32, .sha1), // DHE_RSA_WITH_AES_{128,256}_CBC_SHA
        cbc(0x0067, .dhe, 16, .sha256), cbc(0x006B, .dhe, 32, .sha256), // DHE_RSA_WITH_AES_{128,256}_CBC_SHA256
        cbc(0x002F, .rsa, 16, .sha1), cbc(0x0035, .rsa, 32, .sha1), // RSA_WITH_AES_{128,256}_CBC_SHA
        cbc(0x003C, .rsa, 16, .sha256), cbc(0x003D, .rsa, 32, .sha256), // RSA_WITH_AES_{128,256}_CBC_SHA256
    ]

    static func forSuite(_ s: CipherSuite) -> TLS12SuiteParameters? { all.first { $0.suite == s } }
    /// The modern suites (the default offer of the resumption and renegotiation checks).
    static var suites: [CipherSuite] { modern.map(\.suite) }
}

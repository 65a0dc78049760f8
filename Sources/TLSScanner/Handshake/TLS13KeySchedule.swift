import Crypto
import NIOCore
import TLSReport
import TLSWire

/// The AEAD of a TLS 1.3 suite (RFC 8446 §5.2).
enum TLS13AEAD: Sendable, Hashable {
    case aesGCM, chaChaPoly
}

/// The TLS 1.3 suites our client speaks (RFC 8446 §B.4): the three every TLS 1.3 server has
/// (OpenSSL's default list); the CCM suites are left out.
struct TLS13SuiteParameters: Sendable, Hashable {
    var suite: CipherSuite
    var hash: TLSHash
    var keyLength: Int
    var aead: TLS13AEAD

    static let all: [TLS13SuiteParameters] = [
        .init(suite: CipherSuite(0x1301), hash: .sha256, keyLength: 16, aead: .aesGCM), // TLS_AES_128_GCM_SHA256
        .init(suite: CipherSuite(0x1302), hash: .sha384, keyLength: 32, aead: .aesGCM), // TLS_AES_256_GCM_SHA384
        .init(suite: CipherSuite(0x1303), hash: .sha256, keyLength: 32, aead: .chaChaPoly), // TLS_CHACHA20_POLY1305_SHA256
    ]
    static func forSuite(_ s: CipherSuite) -> TLS13SuiteParameters? { all.first { $0.suite == s } }
    static var suites: [CipherSuite] { all.map(\.suite) }
}

extension TLSHash {
    /// Hash.length in RFC 8446's notation.
    var length: Int {
        switch self {
        case .sha256: return 32
        case .sha384: return 48
        }
    }

    /// HKDF-Extract (RFC 5869 §2.2).
    func extract(salt: [UInt8], ikm: [UInt8]) -> [UInt8] {
        let key = SymmetricKey(data: ikm)
        switch self {
        case .sha256: return Array(HKDF<SHA256>.extract(inputKeyMaterial: key, salt: salt))
        case .sha384: return Array(HKDF<SHA384>.extract(inputKeyMaterial: key, salt: salt))
        }
    }

    /// HKDF-Expand (RFC 5869 §2.3).
    func expand(prk: [UInt8], info: [UInt8], count: Int) -> [UInt8] {
        let okm: SymmetricKey
        switch self {
        case .sha256: okm = HKDF<SHA256>.expand(pseudoRandomKey: prk, info: info, outputByteCount: count)
        case .sha384: okm = HKDF<SHA384>.expand(pseudoRandomKey: prk, info: info, outputByteCount: count)
        }
        return okm.withUnsafeBytes { Array($0) }
    }
}

/// The TLS 1.3 key schedule (RFC 8446 §7.1), as functions of the suite's hash. Transcripts are the
/// concatenated handshake messages (headers included, record headers not); they are hashed here.
enum TLS13KeySchedule {
    /// HKDF-Expand-Label(Secret, Label, Context, Length) = HKDF-Expand(Secret, HkdfLabel, Length), where
    /// HkdfLabel = uint16 length, opaque label<7..255> = "tls13 " + Label, opaque context<0..255>.
    static func expandLabel(_ h: TLSHash, secret: [UInt8], label: String, context: [UInt8], length: Int) -> [UInt8] {
        var info = ByteBuffer()
        info.writeInteger(UInt16(length))
        info.writeTLSVector(.one) { $0.writeString("tls13 " + label) }
        info.writeTLSVector(.one) { $0.writeBytes(context) }
        return h.expand(prk: secret, info: Array(info.readableBytesView), count: length)
    }

    /// Derive-Secret(Secret, Label, Messages) = HKDF-Expand-Label(Secret, Label, Transcript-Hash(Messages), Hash.length).
    static func deriveSecret(_ h: TLSHash, secret: [UInt8], label: String, transcript: [UInt8]) -> [UInt8] {
        expandLabel(h, secret: secret, label: label, context: h.hash(transcript), length: h.length)
    }

    /// Early Secret = HKDF-Extract(0, PSK), with a string of Hash.length zeros when there is no PSK.
    static func earlySecret(_ h: TLSHash, psk: [UInt8]?) -> [UInt8] {
        let zeros = [UInt8](repeating: 0, count: h.length)
        return h.extract(salt: zeros, ikm: psk ?? zeros)
    }

    /// Handshake Secret = HKDF-Extract(Derive-Secret(Early Secret, "derived", ""), (EC)DHE).
    static func handshakeSecret(_ h: TLSHash, earlySecret: [UInt8], sharedSecret: [UInt8]) -> [UInt8] {
        h.extract(salt: deriveSecret(h, secret: earlySecret, label: "derived", transcript: []), ikm: sharedSecret)
    }

    /// Master Secret = HKDF-Extract(Derive-Secret(Handshake Secret, "derived", ""), 0).
    static func masterSecret(_ h: TLSHash, handshakeSecret: [UInt8]) -> [UInt8] {
        h.extract(salt: deriveSecret(h, secret: handshakeSecret, label: "derived", transcript: []),
                  ikm: [UInt8](repeating: 0, count: h.length))
    }

    /// binder_key = Derive-Secret(Early Secret, "res binder", "") for a resumption PSK.
    static func resumptionBinderKey(_ h: TLSHash, earlySecret: [UInt8]) -> [UInt8] {
        deriveSecret(h, secret: earlySecret, label: "res binder", transcript: [])
    }

    /// §4.4.4: finished_key = HKDF-Expand-Label(BaseKey, "finished", "", Hash.length);
    /// verify_data = HMAC(finished_key, Transcript-Hash(messages)). Also the PSK binder (§4.2.11.2),
    /// with the binder key as BaseKey and the truncated ClientHello as the transcript.
    static func verifyData(_ h: TLSHash, baseKey: [UInt8], transcript: [UInt8]) -> [UInt8] {
        let finishedKey = expandLabel(h, secret: baseKey, label: "finished", context: [], length: h.length)
        return h.hmac(key: finishedKey, h.hash(transcript))
    }

    /// §4.6.1: the PSK of a ticket = HKDF-Expand-Label(resumption_master_secret, "resumption", ticket_nonce, Hash.length).
    static func resumptionPSK(_ h: TLSHash, resumptionMasterSecret: [UInt8], nonce: [UInt8]) -> [UInt8] {
        expandLabel(h, secret: resumptionMasterSecret, label: "resumption", context: nonce, length: h.length)
    }

    /// §7.2: application_traffic_secret_N+1 = HKDF-Expand-Label(application_traffic_secret_N, "traffic upd", "", Hash.length).
    static func nextTrafficSecret(_ h: TLSHash, _ secret: [UInt8]) -> [UInt8] {
        expandLabel(h, secret: secret, label: "traffic upd", context: [], length: h.length)
    }

    /// §7.3: write key and IV of a traffic secret.
    static func trafficKeys(_ p: TLS13SuiteParameters, secret: [UInt8]) -> (key: [UInt8], iv: [UInt8]) {
        (expandLabel(p.hash, secret: secret, label: "key", context: [], length: p.keyLength),
         expandLabel(p.hash, secret: secret, label: "iv", context: [], length: TLS13RecordProtection.ivLength))
    }

    /// §4.4.1: a HelloRetryRequest replaces ClientHello1 in the transcript by
    /// message_hash (254) || 00 00 Hash.length || Hash(ClientHello1).
    static func messageHash(_ h: TLSHash, clientHello1: [UInt8]) -> [UInt8] {
        [254, 0, 0, UInt8(h.length)] + h.hash(clientHello1)
    }
}

import Crypto
import TLSReport
import TLSWire

/// The HMAC of a CBC suite's records (RFC 5246 §6.2.3.2, RFC 2104).
enum MACAlgorithm: Sendable, Hashable {
    case sha1, sha256, sha384

    var length: Int {
        switch self {
        case .sha1: return 20
        case .sha256: return 32
        case .sha384: return 48
        }
    }

    func mac(key: [UInt8], _ data: [UInt8]) -> [UInt8] {
        let k = SymmetricKey(data: key)
        switch self {
        case .sha1: return Array(HMAC<Insecure.SHA1>.authenticationCode(for: data, using: k))
        case .sha256: return Array(HMAC<SHA256>.authenticationCode(for: data, using: k))
        case .sha384: return Array(HMAC<SHA384>.authenticationCode(for: data, using: k))
        }
    }
}

/// The PRF of a connection: TLS 1.2's P_hash with the suite's hash (RFC 5246 §5), or the TLS 1.0
/// and 1.1 PRF, P_MD5 ⊕ P_SHA-1 over the two halves of the secret (RFC 2246 §5, RFC 4346 §5).
enum TLSPRF: Sendable, Hashable {
    case tls12(TLSHash)
    case md5sha1

    init(version: ProtocolVersion, suite: TLS12SuiteParameters) {
        self = version >= .tls12 ? .tls12(suite.hash) : .md5sha1
    }

    func prf(secret: [UInt8], label: String, seed: [UInt8], count: Int) -> [UInt8] {
        switch self {
        case .tls12(let hash):
            return TLS12KeySchedule.prf(hash, secret: secret, label: label, seed: seed, count: count)
        case .md5sha1:
            // RFC 2246 §5: S1 is the first half of the secret, S2 the second; with an odd length the
            // middle byte is in both ("L_S1 = L_S2 = ceil(L_S / 2)").
            let half = (secret.count + 1) / 2
            let s1 = Array(secret.prefix(half)), s2 = Array(secret.suffix(half))
            let labelAndSeed = Array(label.utf8) + seed
            let md5 = Self.pHash(count: count, labelAndSeed) { Array(HMAC<Insecure.MD5>.authenticationCode(for: $0, using: SymmetricKey(data: s1))) }
            let sha1 = Self.pHash(count: count, labelAndSeed) { Array(HMAC<Insecure.SHA1>.authenticationCode(for: $0, using: SymmetricKey(data: s2))) }
            return zip(md5, sha1).map { $0 ^ $1 }
        }
    }

    /// RFC 2246 §5: P_hash(secret, seed) = HMAC(secret, A(1) + seed) + HMAC(secret, A(2) + seed) + …
    private static func pHash(count: Int, _ seed: [UInt8], hmac: ([UInt8]) -> [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var a = seed
        while out.count < count {
            a = hmac(a)
            out += hmac(a + seed)
        }
        return Array(out.prefix(count))
    }

    /// The handshake hash of Finished and of the extended master secret's session hash: the suite's
    /// hash in TLS 1.2, MD5(messages) + SHA-1(messages) before (RFC 2246 §7.4.9, RFC 7627 §3).
    func transcriptHash(_ messages: [UInt8]) -> [UInt8] {
        switch self {
        case .tls12(let hash): return hash.hash(messages)
        case .md5sha1: return Array(Insecure.MD5.hash(data: messages)) + Array(Insecure.SHA1.hash(data: messages))
        }
    }
}

extension TLS12KeySchedule {
    /// RFC 5246 §8.1 / RFC 2246 §8.1, or RFC 7627 §4 (`sessionHash`).
    static func masterSecret(_ prf: TLSPRF, preMaster: [UInt8], clientRandom: [UInt8], serverRandom: [UInt8],
                             sessionHash: [UInt8]?) -> [UInt8] {
        if let sessionHash {
            return prf.prf(secret: preMaster, label: "extended master secret", seed: sessionHash, count: 48)
        }
        return prf.prf(secret: preMaster, label: "master secret", seed: clientRandom + serverRandom, count: 48)
    }

    /// RFC 5246 §7.4.9, RFC 2246 §7.4.9: verify_data = PRF(master, finished_label, handshake hash)[0..11].
    static func finished(_ prf: TLSPRF, master: [UInt8], client: Bool, transcript: [UInt8]) -> [UInt8] {
        prf.prf(secret: master, label: client ? "client finished" : "server finished", seed: prf.transcriptHash(transcript), count: 12)
    }

    /// Both directions' record keys for any suite in any version.
    struct CipherKeys: Sendable {
        var clientMAC: [UInt8] = []
        var serverMAC: [UInt8] = []
        var clientKey: [UInt8]
        var serverKey: [UInt8]
        /// GCM: the 4-byte salt. CBC: TLS 1.0's first IV (RFC 2246 §6.3); unused from TLS 1.1 on,
        /// where every record carries its IV (RFC 4346 §6.2.3.2).
        var clientIV: [UInt8]
        var serverIV: [UInt8]
    }

    /// RFC 5246 §6.3 (RFC 2246 §6.3): key_block = PRF(master, "key expansion", server_random +
    /// client_random), cut into client and server MAC keys (none for AEAD), write keys, then IVs.
    static func cipherKeys(_ params: TLS12SuiteParameters, version: ProtocolVersion, master: [UInt8],
                           clientRandom: [UInt8], serverRandom: [UInt8]) -> CipherKeys {
        let macLength: Int, ivLength: Int
        switch params.cipher {
        case .aesGCM: (macLength, ivLength) = (0, 4)
        case .aesCBC(let mac): (macLength, ivLength) = (mac.length, 16)
        }
        let n = params.keyLength
        let total = 2 * (macLength + n + ivLength)
        let block = TLSPRF(version: version, suite: params)
            .prf(secret: master, label: "key expansion", seed: serverRandom + clientRandom, count: total)
        var offset = 0
        func take(_ count: Int) -> [UInt8] {
            defer { offset += count }
            return Array(block[offset..<offset + count])
        }
        let cm = take(macLength), sm = take(macLength), ck = take(n), sk = take(n)
        return CipherKeys(clientMAC: cm, serverMAC: sm, clientKey: ck, serverKey: sk, clientIV: take(ivLength), serverIV: take(ivLength))
    }
}

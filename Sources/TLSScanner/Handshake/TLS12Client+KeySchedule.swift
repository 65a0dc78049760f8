import Crypto
import TLSReport
import TLSWire

/// The hash of a TLS 1.2 PRF, of a TLS 1.3 suite's HKDF, and of the transcript.
enum TLSHash: Sendable, Hashable {
    case sha256, sha384

    func hash(_ data: [UInt8]) -> [UInt8] {
        switch self {
        case .sha256: return Array(SHA256.hash(data: data))
        case .sha384: return Array(SHA384.hash(data: data))
        }
    }

    func hmac(key: [UInt8], _ data: [UInt8]) -> [UInt8] {
        let k = SymmetricKey(data: key)
        switch self {
        case .sha256: return Array(HMAC<SHA256>.authenticationCode(for: data, using: k))
        case .sha384: return Array(HMAC<SHA384>.authenticationCode(for: data, using: k))
        }
    }
}

/// The TLS 1.2 key schedule: PRF, master secret, key block, Finished.
enum TLS12KeySchedule {
    /// RFC 5246 §5: PRF(secret, label, seed) = P_hash(secret, label + seed), where
    /// P_hash = HMAC(secret, A(1) + seed) + HMAC(secret, A(2) + seed) + …, A(0) = seed, A(i) = HMAC(secret, A(i-1)).
    static func prf(_ hash: TLSHash, secret: [UInt8], label: String, seed: [UInt8], count: Int) -> [UInt8] {
        let labelAndSeed = Array(label.utf8) + seed
        var out: [UInt8] = []
        out.reserveCapacity(count + 48)
        var a = labelAndSeed
        while out.count < count {
            a = hash.hmac(key: secret, a)
            out += hash.hmac(key: secret, a + labelAndSeed)
        }
        return Array(out.prefix(count))
    }

    /// RFC 5246 §8.1, or RFC 7627 §4 when extended master secret was negotiated (`sessionHash`:
    /// the transcript hash up to and including ClientKeyExchange).
    static func masterSecret(_ hash: TLSHash, preMaster: [UInt8], clientRandom: [UInt8], serverRandom: [UInt8],
                             sessionHash: [UInt8]?) -> [UInt8] {
        if let sessionHash {
            return prf(hash, secret: preMaster, label: "extended master secret", seed: sessionHash, count: 48)
        }
        return prf(hash, secret: preMaster, label: "master secret", seed: clientRandom + serverRandom, count: 48)
    }

    struct Keys: Sendable {
        var clientKey: [UInt8]
        var serverKey: [UInt8]
        var clientIV: [UInt8]
        var serverIV: [UInt8]
    }

    /// RFC 5246 §6.3: key_block = PRF(master, "key expansion", server_random + client_random), cut
    /// into MAC keys (none for AEAD), write keys, then IVs (4-byte implicit salt for GCM, RFC 5288 §3).
    static func keys(_ params: TLS12SuiteParameters, master: [UInt8], clientRandom: [UInt8], serverRandom: [UInt8]) -> Keys {
        let n = params.keyLength
        let block = prf(params.hash, secret: master, label: "key expansion", seed: serverRandom + clientRandom, count: 2 * n + 8)
        return Keys(clientKey: Array(block[0..<n]), serverKey: Array(block[n..<2 * n]),
                    clientIV: Array(block[2 * n..<2 * n + 4]), serverIV: Array(block[2 * n + 4..<2 * n + 8]))
    }

    /// RFC 5246 §7.4.9: verify_data = PRF(master, finished_label, Hash(handshake_messages))[0..11].
    static func finished(_ hash: TLSHash, master: [UInt8], client: Bool, transcript: [UInt8]) -> [UInt8] {
        prf(hash, secret: master, label: client ? "client finished" : "server finished", seed: hash.hash(transcript), count: 12)
    }
}

import Crypto
import TLSReport
import TLSWire

/// An ephemeral (EC)DH private key of our clients, kept until the server's share arrives.
enum EphemeralKey: Sendable {
    case x25519(Curve25519.KeyAgreement.PrivateKey)
    case secp256r1(P256.KeyAgreement.PrivateKey)
    case secp384r1(P384.KeyAgreement.PrivateKey)

    /// The groups we can compute; nil for any other.
    init?(_ group: NamedGroup) {
        switch group {
        case .x25519: self = .x25519(.init())
        case .secp256r1: self = .secp256r1(.init())
        case .secp384r1: self = .secp384r1(.init())
        default: return nil
        }
    }

    var group: NamedGroup {
        switch self {
        case .x25519: return .x25519
        case .secp256r1: return .secp256r1
        case .secp384r1: return .secp384r1
        }
    }

    /// RFC 8446 §4.2.8.2: x25519 as 32 raw bytes, NIST curves as uncompressed X9.62 points.
    var publicBytes: [UInt8] {
        switch self {
        case .x25519(let k): return Array(k.publicKey.rawRepresentation)
        case .secp256r1(let k): return Array(k.publicKey.x963Representation)
        case .secp384r1(let k): return Array(k.publicKey.x963Representation)
        }
    }

    var keyShare: KeyShareEntry { KeyShareEntry(group: group, keyExchange: publicBytes) }

    /// The shared secret (RFC 8446 §7.4: the x-coordinate for NIST curves, RFC 7748 for x25519).
    /// Throws `.malformed` when the peer's value is not a valid point.
    func sharedSecret(with peer: [UInt8]) throws -> [UInt8] {
        do {
            switch self {
            case .x25519(let k):
                return try k.sharedSecretFromKeyAgreement(with: .init(rawRepresentation: peer)).withUnsafeBytes { Array($0) }
            case .secp256r1(let k):
                return try k.sharedSecretFromKeyAgreement(with: .init(x963Representation: peer)).withUnsafeBytes { Array($0) }
            case .secp384r1(let k):
                return try k.sharedSecretFromKeyAgreement(with: .init(x963Representation: peer)).withUnsafeBytes { Array($0) }
            }
        } catch {
            throw TLSClientError(.malformed, "the server's \(group) public key (\(peer.count) bytes) is not a valid point")
        }
    }
}

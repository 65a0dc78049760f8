import _CryptoExtras
import BigInt
import Foundation
import NIOCore
import TLSReport
import TLSWire

/// The key exchanges of our TLS 1.0–1.2 client: the server's ServerKeyExchange, our
/// ClientKeyExchange body and the premaster secret, for ECDHE, DHE and static RSA.
///
/// The ServerKeyExchange signature is read past, not verified (as the certificates are not): the
/// scanner needs working keys to read the server's answers, not proof of its identity. A wrong
/// share shows up as a Finished that does not verify.
extension TLS12ClientStateMachine {
    /// Smallest DH prime we compute with: below it the "key exchange" is not one worth the name.
    static let smallestDHPrimeBits = 512

    /// The params by TLSWire's `ServerKeyExchange` codec, then the signature read past.
    func parseServerKeyExchange(_ body: ByteBuffer, _ params: TLS12SuiteParameters) throws -> ServerKeyExchange {
        var b = body
        let f = "ServerKeyExchange"
        let share: ServerKeyExchange
        switch params.keyExchange {
        case .ecdhe:
            share = try ServerKeyExchange(reading: &b, keyExchange: .ecdhe)
            if case .ecdheExplicitCurve(let curveType) = share {
                throw TLSClientError(.unsupportedParameters, "the ServerKeyExchange uses explicit curve parameters (type \(curveType))")
            }
            if case .ecdhe(let group, _) = share, !configuration.groups.contains(group) {
                throw TLSClientError(.unsupportedParameters, "the server chose the curve \(group), which we did not offer")
            }
        case .dhe:
            share = try ServerKeyExchange(reading: &b, keyExchange: .dhe)
        case .rsa:
            throw TLSClientError(.unexpectedMessage, "a ServerKeyExchange for the RSA key-exchange suite \(params.suite.name)")
        }
        // RFC 5246 §7.4.3 digitally-signed: TLS 1.2 names the SignatureAndHashAlgorithm; TLS 1.0 and
        // 1.1 (RFC 4346 §7.4.3, RFC 2246 §7.4.3) carry only the signature, its algorithm implied.
        if version >= .tls12 { _ = try b.readStrict(UInt16.self, field: "\(f).signature_algorithm") }
        _ = try b.readTLSVectorStrict(.two, field: "\(f).signature")
        try b.expectFullyConsumed(field: f)
        return share
    }

    /// The ClientKeyExchange body and the premaster secret for the suite's key exchange.
    func clientKeyExchange(_ params: TLS12SuiteParameters) throws -> (body: ByteBuffer, preMaster: [UInt8]) {
        var body = ByteBuffer()
        switch (params.keyExchange, serverKeyExchange) {
        case (.ecdhe, .ecdhe(let group, let point)?):
            let (publicKey, preMaster) = try Self.keyAgreement(group: group, serverPoint: point)
            // RFC 8422 §5.7: ClientECDiffieHellmanPublic: ECPoint ecdh_Yc<1..2^8-1>.
            body.writeTLSVector(.one) { $0.writeBytes(publicKey) }
            return (body, preMaster)
        case (.dhe, .dhe(let p, let g, let ys)?):
            let (publicKey, preMaster) = try Self.dhAgreement(p: p, g: g, ys: ys)
            // RFC 5246 §7.4.7.2: ClientDiffieHellmanPublic: opaque dh_Yc<1..2^16-1>.
            body.writeTLSVector(.two) { $0.writeBytes(publicKey) }
            return (body, preMaster)
        case (.rsa, nil):
            // RFC 5246 §7.4.7.1: client_version (the version in our ClientHello) + 46 random bytes,
            // PKCS#1 v1.5-encrypted with the certificate's key, as opaque<0..2^16-1>.
            var rng = SystemRandomNumberGenerator()
            let preMaster = [configuration.version.major, configuration.version.minor]
                + (0..<46).map { _ in UInt8.random(in: 0...255, using: &rng) }
            guard let der = leafCertificate, let encrypted = Self.rsaEncrypt(preMaster, certificate: der) else {
                throw TLSClientError(.unsupportedParameters, "the server's certificate has no RSA key usable for \(params.suite.name)")
            }
            body.writeTLSVector(.two) { $0.writeBytes(encrypted) }
            return (body, preMaster)
        default:
            throw TLSClientError(.unexpectedMessage, "no ServerKeyExchange matching \(params.suite.name)")
        }
    }

    /// Finite-field DH (RFC 5246 §8.1.2): our Yc = g^x mod p and the premaster Z = Ys^x mod p with
    /// leading zero bytes stripped, after checking the server's values are usable.
    static func dhAgreement(p pBytes: [UInt8], g gBytes: [UInt8], ys ysBytes: [UInt8]) throws -> (publicKey: [UInt8], preMaster: [UInt8]) {
        let p = BigUInt(Data(pBytes)), g = BigUInt(Data(gBytes)), ys = BigUInt(Data(ysBytes))
        let bits = ServerKeyExchange.bitLength(pBytes)
        guard bits >= smallestDHPrimeBits, p % 2 == 1 else {
            throw TLSClientError(.unsupportedParameters, "the server's DH prime (\(bits) bits\(p % 2 == 0 ? ", even" : "")) is not a usable modulus")
        }
        let pMinusOne = p - 1
        guard g > 1, g < pMinusOne else { throw TLSClientError(.malformed, "the server's DH generator is outside 2…p-2") }
        guard ys > 1, ys < pMinusOne else { throw TLSClientError(.malformed, "the server's DH public value is outside 2…p-2") }
        // A 256-bit exponent: 128-bit security against the discrete log in the subgroup, and a
        // fraction of a full-size exponent's cost in BigInt (the HTTP check needs keys, not secrecy).
        var rng = SystemRandomNumberGenerator()
        var x = BigUInt(Data((0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }))
        if x < 2 { x += 2 }
        let yc = g.power(x, modulus: p)
        let z = ys.power(x, modulus: p)
        guard z > 1, z < pMinusOne else { throw TLSClientError(.malformed, "the DH shared secret is degenerate (1 or p-1)") }
        return ([UInt8](yc.serialize()), [UInt8](z.serialize()))
    }

    /// RSAES-PKCS1-v1_5 encryption (RFC 8017 §7.2.1) with the certificate's RSA key, by
    /// swift-crypto. The subjectPublicKey of an rsaEncryption key is the PKCS#1 RSAPublicKey DER
    /// (RFC 8017 App. A.1.1); the `unsafe` initialiser takes the 1024-bit keys legacy servers have.
    static func rsaEncrypt(_ message: [UInt8], certificate der: [UInt8]) -> [UInt8]? {
        guard let decoded = try? DecodedCertificate(der: der), decoded.rsaPublicKey != nil,
              let key = try? _RSA.Encryption.PublicKey(unsafeDERRepresentation: Array(decoded.publicKey)) else { return nil }
        return (try? key.encrypt(message, padding: ._WEAK_AND_INSECURE_PKCS_V1_5)).map { Array($0) }
    }
}

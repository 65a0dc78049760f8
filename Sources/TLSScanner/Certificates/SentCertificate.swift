import TLSReport
import Crypto
import Foundation
import SwiftASN1
@_spi(FixedExpiryValidationTime) import X509

/// A certificate as sent: decoded for the summary, and loaded by swift-certificates when it can be.
struct SentCertificate {
    /// 1-based, as in the messages.
    var position: Int
    var decoded: DecodedCertificate
    /// swift-certificates refuses RSA keys under 2048 bits, MD5 and ECDSA-SHA1 signatures, DSA keys
    /// and uncommon curves: such a certificate is summarised but cannot take part in verification.
    var loaded: Result<Certificate, any Error>
    /// Subject equals issuer and the certificate's own key verifies its signature (assumed when it
    /// cannot be checked).
    var selfSigned: Bool

    init(position: Int, der: [UInt8]) throws {
        self.position = position
        self.decoded = try DecodedCertificate(der: der)
        self.loaded = Result { try Certificate(derEncoded: der) }
        self.selfSigned = false
        self.selfSigned = decoded.subject == decoded.issuer && signed(self) != false
    }

    /// Whether this certificate's key verifies `other`'s signature; nil when either cannot be loaded.
    func signed(_ other: SentCertificate) -> Bool? {
        guard case .success(let issuer) = loaded, case .success(let subject) = other.loaded else { return nil }
        return issuer.publicKey.isValidSignature(subject.signature, for: subject)
    }

    var summaryIsCA: Bool { decoded.isCA }

    /// An RSA key under 2048 bits: swift-certificates will not load it, and no modern client
    /// accepts it either (browsers; OpenSSL from security level 2, its default on current systems;
    /// CA/Browser Forum BR §6.1.5). The chain's verdict is then "not trusted", for this reason.
    var tooSmallForModernClients: String? {
        let key = decoded.keyInfo
        guard key.type == .rsa, key.bits < 2048 else { return nil }
        let name = position == 1 ? "the leaf" : "certificate \(position) ('\(decoded.subject)')"
        return "\(name) has a \(key.bits)-bit RSA key: modern clients refuse RSA keys under 2048 bits"
    }

    /// Whether the issuer of this certificate, when neither sent nor in a store, is an
    /// intermediate the server failed to send rather than an unknown root: a leaf (not a CA) that
    /// names where its issuer can be fetched (RFC 5280 §4.2.2.1 caIssuers). Publicly trusted roots
    /// do not issue leaves (CA/Browser Forum BR §6.1.7), and clients that fetch caIssuers (Chrome,
    /// Windows) complete such a chain. A chain that ends at a CA certificate ends below a root.
    var issuerIsMissingIntermediate: Bool {
        !decoded.isCA && !decoded.accessURLs(.issuingCA).isEmpty
    }

    /// Why swift-certificates could not load it, for "could not evaluate trust: …".
    var unloadableReason: String {
        let name = "certificate \(position) ('\(decoded.subject)')"
        let key = decoded.keyInfo
        if key.type == .rsa, key.bits < 2048 {
            return "\(name) has a \(key.bits)-bit RSA key, which swift-certificates cannot verify (minimum 2048)"
        }
        if case .failure(let error as CertificateError) = loaded, error.code == .unsupportedSignatureAlgorithm {
            return "\(name) is signed with \(decoded.signatureAlgorithmName), which swift-certificates does not support"
        }
        if case .failure(let error as CertificateError) = loaded, error.code == .unsupportedPublicKeyAlgorithm {
            return "\(name) has a \(key.curve ?? key.type.rawValue) key, which swift-certificates does not support"
        }
        if case .failure(let error) = loaded {
            return "\(name) cannot be loaded by swift-certificates: \(oneLine(error))"
        }
        return "\(name) cannot be loaded by swift-certificates"
    }

    func summary(now: Date) -> CertificateSummary {
        let d = decoded
        let key = d.keyInfo
        let signatureName = d.signatureAlgorithmName
        let remaining = d.notAfter.timeIntervalSince(now)
        return CertificateSummary(
            subject: String(describing: d.subject),
            issuer: String(describing: d.issuer),
            serialNumber: hex(d.serial.drop { $0 == 0 }.isEmpty ? [0] : Array(d.serial.drop { $0 == 0 })),
            notBefore: d.notBefore,
            notAfter: d.notAfter,
            // Toward zero: "expired 12 days ago" is -12, as the trust problem says (not -13).
            daysLeft: Int((remaining / 86_400).rounded(.towardZero)),
            expired: now > d.notAfter,
            notYetValid: now < d.notBefore,
            keyType: key.type,
            keyBits: key.bits,
            curve: key.curve,
            signatureAlgorithm: signatureName,
            subjectAlternativeNames: d.dnsAndIPNames,
            isCA: d.isCA,
            selfIssued: d.subject == d.issuer,
            selfSigned: selfSigned,
            sha256Fingerprint: hex(Array(SHA256.hash(data: d.der))),
            ocspURLs: d.accessURLs(.ocspServer),
            caIssuersURLs: d.accessURLs(.issuingCA),
            mustStaple: d.mustStaple,
            hasEmbeddedSCTs: d.extensions[oid: DecodedCertificate.embeddedSCTs] != nil,
            keyUsage: d.keyUsageNames,
            extendedKeyUsage: d.extendedKeyUsageNames
        )
    }
}

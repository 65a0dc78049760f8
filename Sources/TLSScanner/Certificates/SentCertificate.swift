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

    /// Why swift-certificates could not load it, for "could not evaluate trust: …".
    var unloadableReason: String {
        let name = "certificate \(position) ('\(decoded.subject)')"
        let key = decoded.keyInfo
        if key.type == "RSA", key.bits < 2048 {
            return "\(name) has a \(key.bits)-bit RSA key, which swift-certificates cannot verify (minimum 2048)"
        }
        if case .failure(let error as CertificateError) = loaded, error.code == .unsupportedSignatureAlgorithm {
            return "\(name) is signed with \(decoded.signatureAlgorithmName), which swift-certificates does not support"
        }
        if case .failure(let error as CertificateError) = loaded, error.code == .unsupportedPublicKeyAlgorithm {
            return "\(name) has a \(key.curve ?? key.type) key, which swift-certificates does not support"
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
            daysLeft: Int((remaining / 86_400).rounded(.down)),
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

import TLSReport
import Crypto
import Foundation
import SwiftASN1
@_spi(FixedExpiryValidationTime) import X509

extension CertificateAnalyzer {
    /// A key for the stand-in certificate the name check runs on; nothing is ever trusted with it.
    static let nameCheckKey = P256.Signing.PrivateKey()

    /// Runs swift-certificates' RFC 6125 matcher (`ServerIdentityPolicy`) on a stand-in carrying the
    /// leaf's subject and subjectAltName, so that leaves the library cannot load (RSA < 2048,
    /// MD5-signed) are matched by the same rules.
    static func checkName(leaf: SentCertificate, options: CertificateCheckOptions) async -> (
        matches: Bool, problem: String?
    ) {
        let asked = [options.hostname, options.ipAddress].compactMap { $0 }
        let askedText = asked.count == 2 ? "\(asked[0]) (\(asked[1]))" : asked[0]
        let decoded = leaf.decoded
        let sanExtension = decoded.extensions[oid: .X509ExtensionID.subjectAlternativeName]
        let served = decoded.dnsAndIPNames
        let result: CertificateValidationResult
        do {
            let standIn = try Certificate(
                version: .v3,
                serialNumber: Certificate.SerialNumber(),
                publicKey: Certificate.PublicKey(nameCheckKey.publicKey),
                notValidBefore: Date(timeIntervalSince1970: 0),
                notValidAfter: Date(timeIntervalSince1970: 4_102_444_800),
                issuer: decoded.subject,
                subject: decoded.subject,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: Certificate.Extensions(sanExtension.map { [$0] } ?? []),
                issuerPrivateKey: Certificate.PrivateKey(nameCheckKey)
            )
            var verifier = Verifier(rootCertificates: CertificateStore([standIn])) {
                ServerIdentityPolicy(serverHostname: options.hostname, serverIP: options.ipAddress)
            }
            result = await verifier.validate(leaf: standIn, intermediates: CertificateStore())
        } catch {
            return (false, "name could not be checked: \(oneLine(error))")
        }
        if case .couldNotValidate = result {
            if served.isEmpty, let cn = decoded.commonName {
                return (
                    false,
                    "name mismatch: served for \(cn) (common name only, no subjectAltName), asked for \(askedText)"
                )
            }
            if served.isEmpty {
                // An extension is there but yields no names: it does not parse (our own decode, not
                // the verifier's error text, tells).
                if sanExtension != nil, (try? decoded.extensions.subjectAlternativeNames) == nil {
                    return (
                        false, "name mismatch: the subjectAltName extension cannot be parsed, asked for \(askedText)"
                    )
                }
                return (
                    false,
                    "name mismatch: the certificate names no host (no subjectAltName DNS or IP entry, no common name), asked for \(askedText)"
                )
            }
            return (false, "name mismatch: served for \(served.joined(separator: ", ")), asked for \(askedText)")
        }
        if served.isEmpty {
            return (true, "matched the common name only: the certificate has no subjectAltName, which browsers require")
        }
        return (true, nil)
    }
}

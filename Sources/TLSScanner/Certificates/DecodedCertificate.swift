import TLSReport
import TLSWire
import Crypto
import Foundation
import SwiftASN1
@_spi(FixedExpiryValidationTime) import X509

/// The fields of an X.509 certificate, decoded with SwiftASN1 so that nothing about the key or the
/// signature algorithm can stop it (RFC 5280 §4.1).
struct DecodedCertificate {
    var der: [UInt8]
    var serial: ArraySlice<UInt8>
    var signatureAlgorithm: ASN1ObjectIdentifier
    var issuer: DistinguishedName
    var notBefore: Date
    var notAfter: Date
    var subject: DistinguishedName
    var publicKeyAlgorithm: ASN1ObjectIdentifier
    var publicKeyParameter: ASN1ObjectIdentifier?
    var publicKey: ArraySlice<UInt8>
    var extensions: Certificate.Extensions

    /// Longer than the house limit on purpose: one walk down the TBSCertificate SEQUENCE in the
    /// order of RFC 5280 §4.1, field after field; split, the order that DER decoding depends on
    /// would be spread over functions that each need the half-read node iterator.
    init(der: [UInt8]) throws {
        self.der = der
        let root = try DER.parse(der)
        // Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING }
        let (tbsNode, outerAlgorithm) = try DER.sequence(root, identifier: .sequence) { nodes in
            guard let tbs = nodes.next(), let algorithm = nodes.next(), let signature = nodes.next() else {
                throw ASN1Error.invalidASN1Object(
                    reason: "a certificate needs tbsCertificate, signatureAlgorithm and signatureValue")
            }
            _ = try ASN1BitString(derEncoded: signature)
            return (tbs, try Self.algorithm(algorithm).oid)
        }
        self.signatureAlgorithm = outerAlgorithm
        var fields:
            (
                serial: ArraySlice<UInt8>, issuer: DistinguishedName, notBefore: Date, notAfter: Date,
                subject: DistinguishedName,
                key: (oid: ASN1ObjectIdentifier, parameter: ASN1ObjectIdentifier?, bits: ArraySlice<UInt8>),
                extensions: [Certificate.Extension]
            )
        // TBSCertificate ::= SEQUENCE { [0] version, serialNumber, signature, issuer, validity, subject,
        //   subjectPublicKeyInfo, [1] issuerUniqueID, [2] subjectUniqueID, [3] extensions }
        fields = try DER.sequence(tbsNode, identifier: .sequence) { nodes in
            let version = try DER.decodeDefaultExplicitlyTagged(
                &nodes, tagNumber: 0, tagClass: .contextSpecific, defaultValue: Int(0))
            guard (0...2).contains(version) else {
                throw ASN1Error.invalidASN1Object(reason: "X.509 version \(version + 1) does not exist")
            }
            let serial = try ArraySlice<UInt8>(derEncoded: &nodes)
            guard let algorithmNode = nodes.next() else {
                throw ASN1Error.invalidASN1Object(reason: "no signature algorithm")
            }
            _ = try Self.algorithm(algorithmNode)
            let issuer = try Self.name(nodes.next())
            guard let validityNode = nodes.next() else { throw ASN1Error.invalidASN1Object(reason: "no validity") }
            let validity = try DER.sequence(validityNode, identifier: .sequence) { times in
                (try Self.time(times.next()), try Self.time(times.next()))
            }
            let subject = try Self.name(nodes.next())
            guard let spkiNode = nodes.next() else {
                throw ASN1Error.invalidASN1Object(reason: "no subjectPublicKeyInfo")
            }
            let key = try DER.sequence(spkiNode, identifier: .sequence) { spki in
                guard let algorithmNode = spki.next() else {
                    throw ASN1Error.invalidASN1Object(reason: "no key algorithm")
                }
                let algorithm = try Self.algorithm(algorithmNode)
                let bits = try ASN1BitString(derEncoded: &spki)
                return (oid: algorithm.oid, parameter: algorithm.parameter, bits: bits.bytes)
            }
            var extensions: [Certificate.Extension] = []
            while let node = nodes.next() {
                // The unique identifiers ([1], [2]) are skipped.
                if node.identifier == ASN1Identifier(tagWithNumber: 3, tagClass: .contextSpecific) {
                    extensions = try DER.explicitlyTagged(node, tagNumber: 3, tagClass: .contextSpecific) {
                        try DER.sequence(of: Certificate.Extension.self, identifier: .sequence, rootNode: $0)
                    }
                }
            }
            return (serial, issuer, validity.0, validity.1, subject, key, extensions)
        }
        self.serial = fields.serial
        self.issuer = fields.issuer
        self.notBefore = fields.notBefore
        self.notAfter = fields.notAfter
        self.subject = fields.subject
        self.publicKeyAlgorithm = fields.key.oid
        self.publicKeyParameter = fields.key.parameter
        self.publicKey = fields.key.bits
        self.extensions = try Certificate.Extensions(fields.extensions)
    }

    /// AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL }; the parameter
    /// is kept when it is an OID (an EC named curve).
    static func algorithm(_ node: ASN1Node) throws -> (oid: ASN1ObjectIdentifier, parameter: ASN1ObjectIdentifier?) {
        try DER.sequence(node, identifier: .sequence) { nodes in
            let oid = try ASN1ObjectIdentifier(derEncoded: &nodes)
            let parameter = nodes.next().flatMap { try? ASN1ObjectIdentifier(derEncoded: $0) }
            return (oid, parameter)
        }
    }

    /// Name ::= SEQUENCE OF RelativeDistinguishedName. Decoded from the node, as the iterator
    /// overload picks swift-certificates' deprecated implicit-tagging conformance.
    static func name(_ node: ASN1Node?) throws -> DistinguishedName {
        guard let node else { throw ASN1Error.invalidASN1Object(reason: "a name is missing") }
        return try DistinguishedName(derEncoded: node)
    }

    /// Time ::= CHOICE { utcTime, generalTime }
    static func time(_ node: ASN1Node?) throws -> Date {
        guard let node else { throw ASN1Error.invalidASN1Object(reason: "validity needs two times") }
        let c: (year: Int, month: Int, day: Int, hours: Int, minutes: Int, seconds: Int)
        if node.identifier == .utcTime {
            let t = try UTCTime(derEncoded: node)
            c = (t.year, t.month, t.day, t.hours, t.minutes, t.seconds)
        } else {
            let t = try GeneralizedTime(derEncoded: node)
            c = (t.year, t.month, t.day, t.hours, t.minutes, t.seconds)
        }
        // Days from the civil date (Howard Hinnant's algorithm), proleptic Gregorian, UTC.
        let y = c.month <= 2 ? c.year - 1 : c.year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * ((c.month + 9) % 12) + 2) / 5 + c.day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        return Date(timeIntervalSince1970: TimeInterval(days * 86_400 + c.hours * 3_600 + c.minutes * 60 + c.seconds))
    }

    // MARK: Key and signature

    static let rsaEncryption: ASN1ObjectIdentifier = [1, 2, 840, 113_549, 1, 1, 1]
    static let rsassaPSS: ASN1ObjectIdentifier = [1, 2, 840, 113_549, 1, 1, 10]
    static let ecPublicKey: ASN1ObjectIdentifier = [1, 2, 840, 10_045, 2, 1]
    static let ed25519: ASN1ObjectIdentifier = [1, 3, 101, 112]
    static let ed448: ASN1ObjectIdentifier = [1, 3, 101, 113]
    static let tlsFeature: ASN1ObjectIdentifier = [1, 3, 6, 1, 5, 5, 7, 1, 24]
    static let embeddedSCTs: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 11_129, 2, 4, 2]

    static let curves: [ASN1ObjectIdentifier: (name: String, bits: Int)] = [
        [1, 2, 840, 10_045, 3, 1, 7]: ("P-256", 256),
        [1, 3, 132, 0, 34]: ("P-384", 384),
        [1, 3, 132, 0, 35]: ("P-521", 521),
        [1, 3, 132, 0, 10]: ("secp256k1", 256),
        [1, 2, 840, 10_045, 3, 1, 1]: ("P-192", 192),
        [1, 3, 132, 0, 33]: ("P-224", 224),
        [1, 3, 36, 3, 3, 2, 8, 1, 1, 7]: ("brainpoolP256r1", 256),
        [1, 3, 36, 3, 3, 2, 8, 1, 1, 11]: ("brainpoolP384r1", 384),
        [1, 3, 36, 3, 3, 2, 8, 1, 1, 13]: ("brainpoolP512r1", 512),
    ]

    static let signatureAlgorithms: [ASN1ObjectIdentifier: String] = [
        [1, 2, 840, 113_549, 1, 1, 2]: "md2WithRSAEncryption",
        [1, 2, 840, 113_549, 1, 1, 4]: "md5WithRSAEncryption",
        [1, 2, 840, 113_549, 1, 1, 5]: "sha1WithRSAEncryption",
        [1, 2, 840, 113_549, 1, 1, 14]: "sha224WithRSAEncryption",
        [1, 2, 840, 113_549, 1, 1, 11]: "sha256WithRSAEncryption",
        [1, 2, 840, 113_549, 1, 1, 12]: "sha384WithRSAEncryption",
        [1, 2, 840, 113_549, 1, 1, 13]: "sha512WithRSAEncryption",
        [1, 2, 840, 113_549, 1, 1, 10]: "rsassaPss",
        [1, 2, 840, 10_045, 4, 1]: "ecdsa-with-SHA1",
        [1, 2, 840, 10_045, 4, 3, 1]: "ecdsa-with-SHA224",
        [1, 2, 840, 10_045, 4, 3, 2]: "ecdsa-with-SHA256",
        [1, 2, 840, 10_045, 4, 3, 3]: "ecdsa-with-SHA384",
        [1, 2, 840, 10_045, 4, 3, 4]: "ecdsa-with-SHA512",
        [1, 3, 101, 112]: "Ed25519",
        [1, 3, 101, 113]: "Ed448",
        [1, 2, 840, 10_040, 4, 3]: "dsa-with-SHA1",
        [2, 16, 840, 1, 101, 3, 4, 3, 2]: "dsa-with-SHA256",
    ]

    var signatureAlgorithmName: String {
        Self.signatureAlgorithms[signatureAlgorithm] ?? signatureAlgorithm.description
    }

    /// The RSA key's modulus and public exponent, big-endian without leading zeros; nil for
    /// other keys. RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER } (RFC 8017 §A.1.1)
    var rsaPublicKey: (modulus: [UInt8], exponent: [UInt8])? {
        guard publicKeyAlgorithm == Self.rsaEncryption || publicKeyAlgorithm == Self.rsassaPSS else { return nil }
        return try? DER.sequence(DER.parse(publicKey), identifier: .sequence) { nodes in
            let modulus = try ArraySlice<UInt8>(derEncoded: &nodes)
            let exponent = try ArraySlice<UInt8>(derEncoded: &nodes)
            return (Array(modulus.drop { $0 == 0 }), Array(exponent.drop { $0 == 0 }))
        }
    }

    var keyInfo: (type: CertificateKeyType, bits: Int, curve: String?) {
        switch publicKeyAlgorithm {
        case Self.rsaEncryption, Self.rsassaPSS:
            return (.rsa, ServerKeyExchange.bitLength(rsaPublicKey?.modulus ?? []), nil)
        case Self.ecPublicKey:
            if let parameter = publicKeyParameter, let curve = Self.curves[parameter] {
                return (.ecdsa, curve.bits, curve.name)
            }
            // An unnamed curve: the uncompressed point is 04 || X || Y.
            return (.ecdsa, max(0, publicKey.count - 1) / 2 * 8, publicKeyParameter?.description)
        case Self.ed25519:
            return (.ed25519, 256, nil)
        case Self.ed448:
            return (.other, 448, nil)
        default:
            return (.other, publicKey.count * 8, nil)
        }
    }

    // MARK: Extensions

    var isCA: Bool {
        if case .isCertificateAuthority = try? extensions.basicConstraints { return true }
        return false
    }

    var dnsAndIPNames: [String] {
        guard let names = try? extensions.subjectAlternativeNames else { return [] }
        return names.compactMap { name in
            switch name {
            case .dnsName(let dns): return dns
            case .ipAddress(let octets): return Self.formatIP(Array(octets.bytes))
            default: return nil
            }
        }
    }

    /// The most specific common name, which is the last one (RFC 4514 order is reversed).
    var commonName: String? {
        subject.flatMap { $0 }.last(where: { $0.type == .RDNAttributeType.commonName }).map {
            String(describing: $0.value)
        }
    }

    func accessURLs(_ method: AuthorityInformationAccess.AccessDescription.AccessMethod) -> [String] {
        guard let access = try? extensions.authorityInformationAccess else { return [] }
        return access.compactMap { description in
            guard description.method == method, case .uniformResourceIdentifier(let url) = description.location else {
                return nil
            }
            return url
        }
    }

    /// TLS Feature (RFC 7633 §4): Features ::= SEQUENCE OF INTEGER; 5 is status_request.
    var mustStaple: Bool {
        guard let ext = extensions[oid: Self.tlsFeature],
            let features = try? DER.sequence(of: Int.self, identifier: .sequence, rootNode: DER.parse(ext.value))
        else { return false }
        return features.contains(5)
    }

    var keyUsageNames: [String]? {
        guard let usage = try? extensions.keyUsage else { return nil }
        let bits: [(Bool, String)] = [
            (usage.digitalSignature, "digitalSignature"), (usage.nonRepudiation, "nonRepudiation"),
            (usage.keyEncipherment, "keyEncipherment"), (usage.dataEncipherment, "dataEncipherment"),
            (usage.keyAgreement, "keyAgreement"), (usage.keyCertSign, "keyCertSign"), (usage.cRLSign, "cRLSign"),
            (usage.encipherOnly, "encipherOnly"), (usage.decipherOnly, "decipherOnly"),
        ]
        return bits.filter(\.0).map(\.1)
    }

    static let extendedKeyUsageNames: [ASN1ObjectIdentifier: String] = [
        .ExtendedKeyUsage.serverAuth: "serverAuth",
        .ExtendedKeyUsage.clientAuth: "clientAuth",
        .ExtendedKeyUsage.codeSigning: "codeSigning",
        .ExtendedKeyUsage.emailProtection: "emailProtection",
        .ExtendedKeyUsage.timeStamping: "timeStamping",
        .ExtendedKeyUsage.ocspSigning: "OCSPSigning",
        .ExtendedKeyUsage.any: "anyExtendedKeyUsage",
        .ExtendedKeyUsage.certificateTransparency: "certificateTransparency",
    ]

    var extendedKeyUsageNames: [String]? {
        guard let usages = try? extensions.extendedKeyUsage else { return nil }
        return usages.map { usage in
            let oid = ASN1ObjectIdentifier(usage)
            return Self.extendedKeyUsageNames[oid] ?? oid.description
        }
    }

    /// Dotted IPv4, or IPv6 with the longest run of zero groups shortened (RFC 5952 §4).
    static func formatIP(_ bytes: [UInt8]) -> String {
        if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
        guard bytes.count == 16 else { return hex(bytes) }
        let groups = stride(from: 0, to: 16, by: 2).map { Int(bytes[$0]) << 8 | Int(bytes[$0 + 1]) }
        var best = (start: -1, length: 0)
        var run = (start: -1, length: 0)
        for (index, group) in groups.enumerated() {
            if group == 0 {
                run = run.start < 0 ? (index, 1) : (run.start, run.length + 1)
                if run.length > best.length { best = run }
            } else {
                run = (-1, 0)
            }
        }
        let text = groups.map { String($0, radix: 16) }
        guard best.length >= 2 else { return text.joined(separator: ":") }
        let head = text[..<best.start].joined(separator: ":")
        let tail = text[(best.start + best.length)...].joined(separator: ":")
        return "\(head)::\(tail)"
    }
}

// MARK: - Helpers

func hex(_ bytes: some Sequence<UInt8>) -> String {
    bytes.map { String(format: "%02x", $0) }.joined()
}

/// An error or diagnostic as one line, without the type prefix and source location that swift-asn1
/// and swift-certificates put in their descriptions ("ASN1Error.truncatedASN1Field:  SwiftASN1/DER.swift:12").
func oneLine(_ value: Any) -> String {
    var text = String(describing: value).split(whereSeparator: \.isNewline).joined(separator: " ")
    if let range = text.range(of: #" ?[A-Za-z0-9_]+/[^ ]+\.swift:[0-9]+$"#, options: .regularExpression) {
        text.removeSubrange(range)
    }
    if let range = text.range(of: #"^(ASN1Error|CertificateError)\."#, options: .regularExpression) {
        text.removeSubrange(range)
    }
    while text.hasSuffix(" ") || text.hasSuffix(":") { text.removeLast() }
    return text
}

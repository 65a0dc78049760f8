import Foundation

/// What a server's certificate chain says, and every way it fails, each named precisely.
///
/// Trust and host name are judged separately: a chain can be trusted and still be served for the
/// wrong name. Key sizes and signature algorithms are reported as fields only; grading them is
/// left to the policy layer.
public struct CertificateChainReport: Codable, Sendable {
    /// Whether the analysis ran; `.error` when a certificate is not valid DER or none was sent.
    public var check: CheckStatus
    /// The certificates as the server sent them, leaf first.
    public var certificates: [CertificateSummary]
    /// Whether a path to a trusted root exists and passes RFC 5280; nil if it could not be evaluated.
    public var trusted: Bool?
    /// Why the chain is not trusted, one sentence each (empty when trusted). When `missingIssuer`
    /// is set, the last sentence is the one that says so.
    public var trustProblems: [String]
    /// The issuer (RFC 4514) of the last certificate the server's chain leads to, when that issuer
    /// was neither sent nor found in a trust store: the chain is incomplete, and no path to a root
    /// could be built from what was sent. Nil otherwise.
    public var missingIssuer: String?
    /// Whether the leaf is valid for the name or IP asked for; nil when none was asked.
    public var hostnameMatches: Bool?
    /// Why the name does not match, or a caveat about how it matched.
    public var hostnameProblem: String?
    /// What is wrong with the chain as sent: order, completeness, extra certificates.
    public var chainProblems: [String]
    /// Subjects of the path swift-certificates built, leaf to root; nil when not trusted.
    public var verifiedChain: [String]?

    /// Creates a report.
    public init(
        check: CheckStatus,
        certificates: [CertificateSummary] = [],
        trusted: Bool? = nil,
        trustProblems: [String] = [],
        missingIssuer: String? = nil,
        hostnameMatches: Bool? = nil,
        hostnameProblem: String? = nil,
        chainProblems: [String] = [],
        verifiedChain: [String]? = nil
    ) {
        self.check = check
        self.certificates = certificates
        self.trusted = trusted
        self.trustProblems = trustProblems
        self.missingIssuer = missingIssuer
        self.hostnameMatches = hostnameMatches
        self.hostnameProblem = hostnameProblem
        self.chainProblems = chainProblems
        self.verifiedChain = verifiedChain
    }
}

/// One certificate's facts, as a scanner reports them.
public struct CertificateSummary: Codable, Sendable, Hashable {
    /// Subject as an RFC 4514 string, e.g. `CN=example.com,O=Example`.
    public var subject: String
    /// Issuer as an RFC 4514 string.
    public var issuer: String
    /// Serial number in lowercase hex, without the sign byte.
    public var serialNumber: String
    /// Start of the validity period.
    public var notBefore: Date
    /// End of the validity period.
    public var notAfter: Date
    /// Whole days from the analysis time to `notAfter`, rounded toward zero: -12 for a certificate
    /// that expired 12 days (and some hours) ago, 0 on the day it expires (`expired` tells which side).
    public var daysLeft: Int
    /// `notAfter` is before the analysis time.
    public var expired: Bool
    /// `notBefore` is after the analysis time.
    public var notYetValid: Bool
    /// `RSA`, `ECDSA`, `Ed25519` or `other`.
    public var keyType: CertificateKeyType
    /// RSA modulus bits; EC field size (256, 384, 521); 256 for Ed25519.
    public var keyBits: Int
    /// Named curve of an EC key (`P-256`, `P-384`, `P-521`, …); nil for other keys.
    public var curve: String?
    /// The signature algorithm, e.g. `sha256WithRSAEncryption`, `ecdsa-with-SHA256`; a dotted OID if unknown.
    public var signatureAlgorithm: String
    /// DNS names and IP addresses from subjectAltName, in certificate order.
    public var subjectAlternativeNames: [String]
    /// basicConstraints says CA.
    public var isCA: Bool
    /// Subject equals issuer.
    public var selfIssued: Bool
    /// Self-issued and its signature verifies with its own key (or cannot be checked): a root's
    /// signature is not relied on. (Whether its algorithm is weak is TLSPolicy's `CertificateVerdict`.)
    public var selfSigned: Bool
    /// SHA-256 of the DER, lowercase hex.
    public var sha256Fingerprint: String
    /// OCSP responder URLs from authorityInfoAccess.
    public var ocspURLs: [String]
    /// CA issuer URLs from authorityInfoAccess.
    public var caIssuersURLs: [String]
    /// The TLS Feature extension (RFC 7633) asks for status_request: OCSP must-staple.
    public var mustStaple: Bool
    /// Signed certificate timestamps are embedded (extension 1.3.6.1.4.1.11129.2.4.2).
    public var hasEmbeddedSCTs: Bool
    /// keyUsage bits by RFC 5280 name; nil when the extension is absent.
    public var keyUsage: [String]?
    /// extendedKeyUsage purposes by name (`serverAuth`, …) or dotted OID; nil when absent.
    public var extendedKeyUsage: [String]?

    /// Creates a summary.
    public init(
        subject: String,
        issuer: String,
        serialNumber: String,
        notBefore: Date,
        notAfter: Date,
        daysLeft: Int,
        expired: Bool,
        notYetValid: Bool,
        keyType: CertificateKeyType,
        keyBits: Int,
        curve: String?,
        signatureAlgorithm: String,
        subjectAlternativeNames: [String],
        isCA: Bool,
        selfIssued: Bool,
        selfSigned: Bool,
        sha256Fingerprint: String,
        ocspURLs: [String],
        caIssuersURLs: [String],
        mustStaple: Bool,
        hasEmbeddedSCTs: Bool,
        keyUsage: [String]?,
        extendedKeyUsage: [String]?
    ) {
        self.subject = subject
        self.issuer = issuer
        self.serialNumber = serialNumber
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.daysLeft = daysLeft
        self.expired = expired
        self.notYetValid = notYetValid
        self.keyType = keyType
        self.keyBits = keyBits
        self.curve = curve
        self.signatureAlgorithm = signatureAlgorithm
        self.subjectAlternativeNames = subjectAlternativeNames
        self.isCA = isCA
        self.selfIssued = selfIssued
        self.selfSigned = selfSigned
        self.sha256Fingerprint = sha256Fingerprint
        self.ocspURLs = ocspURLs
        self.caIssuersURLs = caIssuersURLs
        self.mustStaple = mustStaple
        self.hasEmbeddedSCTs = hasEmbeddedSCTs
        self.keyUsage = keyUsage
        self.extendedKeyUsage = extendedKeyUsage
    }
}

/// A certificate's public-key algorithm as the report names it: an open set like the registries'
/// identities, so that readers compare with `.rsa` rather than a string.
public struct CertificateKeyType: StringIdentifier {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    /// rsaEncryption or RSASSA-PSS (RFC 8017).
    public static let rsa: CertificateKeyType = "RSA"
    /// id-ecPublicKey (RFC 5480).
    public static let ecdsa: CertificateKeyType = "ECDSA"
    /// RFC 8410.
    public static let ed25519: CertificateKeyType = "Ed25519"
    /// Anything else (Ed448, DSA, GOST …).
    public static let other: CertificateKeyType = "other"
}

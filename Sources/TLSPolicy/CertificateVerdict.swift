import TLSReport

/// Whether a certificate's signature is weak: signed with MD2, MD5 or SHA-1 (collisions are
/// practical: the SHAttered and Shambles attacks on SHA-1, RFC 6151 for MD5), on a certificate whose
/// signature is relied on. A self-signed root is trusted for its key, not its signature, so its
/// weak hash is said but not held against it. Whether its key is too small. `tlsguard scan
/// --format json` writes `weakSignature`, `weakSignatureReason`, `weakKey` and `weakKeyReason` into
/// each certificate's object.
public struct CertificateVerdict: Encodable, Sendable, Hashable {
    public var weakSignature: Bool
    /// The broken hash the signature uses (`MD2`, `MD5`, `SHA-1`), whether relied on or not.
    public var brokenHash: String?
    /// Why `weakSignature` is what it is, when the algorithm is weak (nil for strong algorithms).
    public var weakSignatureReason: String?

    /// The key is too small for modern clients: RSA under 2048 bits, ECDSA under 224
    /// (NIST SP 800-57 Part 1 §5.6.1: 112-bit security; CA/Browser Forum BR §6.1.5). A root's key
    /// counts too: a root is trusted for its key.
    public var weakKey: Bool
    /// Why, when `weakKey`.
    public var weakKeyReason: String?

    public init(_ certificate: CertificateSummary) {
        (weakKey, weakKeyReason) = Self.keyVerdict(certificate)
        brokenHash = Self.weakHash[certificate.signatureAlgorithm]
        guard let hash = brokenHash else {
            weakSignature = false
            return
        }
        if certificate.selfSigned && certificate.isCA {
            weakSignature = false
            weakSignatureReason =
                "\(hash) signature on a self-signed root: not relied on (a root is trusted for its key, not its signature)"
        } else {
            weakSignature = true
            weakSignatureReason = "\(hash) signature: collisions are practical, clients reject it"
        }
    }

    static func keyVerdict(_ c: CertificateSummary) -> (Bool, String?) {
        let minimum: Int
        switch c.keyType {
        case .rsa: minimum = 2048
        case .ecdsa: minimum = 224
        default: return (false, nil)
        }
        guard c.keyBits < minimum else { return (false, nil) }
        return (true, "\(c.keyBits)-bit \(c.keyType) key: under \(minimum) bits, which modern clients and CAs refuse")
    }

    /// The signature algorithms (by the report's names: RFC 3279 §2.2, RFC 5758 §3.2) whose hash
    /// is broken, and the hash's name.
    static let weakHash: [String: String] = [
        "md2WithRSAEncryption": "MD2",
        "md5WithRSAEncryption": "MD5",
        "sha1WithRSAEncryption": "SHA-1",
        "ecdsa-with-SHA1": "SHA-1",
        "dsa-with-SHA1": "SHA-1",
    ]

    private enum CodingKeys: String, CodingKey { case weakSignature, weakSignatureReason, weakKey, weakKeyReason }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(weakSignature, forKey: .weakSignature)
        try c.encodeIfPresent(weakSignatureReason, forKey: .weakSignatureReason)
        try c.encode(weakKey, forKey: .weakKey)
        try c.encodeIfPresent(weakKeyReason, forKey: .weakKeyReason)
    }
}

/// What a valid Strict-Transport-Security header is worth: the parse problems the scanner saw
/// (RFC 6797 §6.1), then whether its max-age is long enough — SSL Labs and testssl.sh want at
/// least 180 days for A+. `tlsguard scan --format json` writes `problems` into the `hsts` object.
public struct HSTSVerdict: Encodable, Sendable, Hashable {
    /// Why the policy is invalid or weak, one line each.
    public var problems: [String]
    /// The shortest max-age that is not weak: 180 days.
    public static let minimumMaxAge = 15_552_000

    public init(_ hsts: HSTSPolicy) {
        problems = hsts.problems
        guard hsts.valid, let age = hsts.maxAge else { return }
        if age == 0 {
            problems.append("max-age=0 tells browsers to forget the policy")
        } else if age < Self.minimumMaxAge {
            problems.append("max-age \(age) s is under 180 days (SSL Labs and testssl.sh want at least that for A+)")
        }
    }

    private enum CodingKeys: String, CodingKey { case problems }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(problems, forKey: .problems)
    }
}

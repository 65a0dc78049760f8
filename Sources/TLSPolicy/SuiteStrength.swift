import TLSWire

/// How good a cipher suite is on its own, before any profile has a say.
public struct SuiteStrength: Hashable, Sendable {
    public enum Rating: String, Sendable, Codable, Comparable {
        /// Forward secrecy and an AEAD cipher (all TLS 1.3 suites).
        case strong
        /// Works and is not broken, but deprecated: CBC, no forward secrecy, 64-bit blocks.
        case weak
        /// Broken or no protection: NULL, anonymous, export, RC4, DES, MD5.
        case insecure

        private var order: Int { self == .strong ? 0 : self == .weak ? 1 : 2 }
        public static func < (l: Rating, r: Rating) -> Bool { l.order < r.order }
    }
    public var rating: Rating
    /// Why it is not strong, in words.
    public var reasons: [String]
    /// The same reasons as short tags for tables: `CBC`, `no FS`, `SWEET32`, `RC4`.
    public var tags: [String]

    public init(rating: Rating, reasons: [String], tags: [String]) {
        self.rating = rating
        self.reasons = reasons
        self.tags = tags
    }
}

/// How a suite is shown in a report: its rating, and the reasons for anything less than strong.
/// `tlsguard scan --format json` writes these keys into each suite's object.
public struct SuiteVerdict: Encodable, Sendable {
    public var strength: SuiteStrength
    public init(_ suite: CipherSuite) { strength = suite.strength }
    private enum CodingKeys: String, CodingKey { case strength, reasons, tags }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(strength.rating, forKey: .strength)
        if !strength.reasons.isEmpty { try c.encode(strength.reasons, forKey: .reasons) }
        if !strength.tags.isEmpty { try c.encode(strength.tags, forKey: .tags) }
    }
}

extension CipherSuite {
    /// Strength by the suite's properties (RFC 7525 / RFC 9325 §4.2 guidance).
    public var strength: SuiteStrength {
        guard let i = info else { return SuiteStrength(rating: .weak, reasons: ["unknown suite"], tags: ["unknown"]) }
        var insecure: [(String, String)] = []
        var weak: [(String, String)] = []
        if i.mode == .null { insecure.append(("no encryption (NULL cipher)", "NULL")) }
        if i.authentication == .anonymous { insecure.append(("anonymous: no server authentication", "anon")) }
        if i.isExport { insecure.append(("export-grade (FREAK/Logjam)", "export")) }
        if i.cipher.hasPrefix("RC4") { insecure.append(("RC4 (RFC 7465)", "RC4")) }
        if i.mode != .null && i.bits < 112 { insecure.append(("\(i.bits)-bit key", "\(i.bits)-bit")) }
        if i.mac == "MD5" { insecure.append(("MD5 MAC", "MD5")) }
        if i.blockBits == 64 && i.bits >= 112 { weak.append(("64-bit block cipher (SWEET32)", "SWEET32")) }
        if i.mode == .cbc { weak.append(("CBC mode (padding-oracle attacks)", "CBC")) }
        if !i.forwardSecrecy && i.keyExchange != .null { weak.append(("no forward secrecy", "no FS")) }
        let rating: SuiteStrength.Rating = !insecure.isEmpty ? .insecure : !weak.isEmpty ? .weak : .strong
        let all = insecure + weak
        return SuiteStrength(rating: rating, reasons: all.map(\.0), tags: all.map(\.1))
    }
}

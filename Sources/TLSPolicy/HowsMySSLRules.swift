import Foundation
import TLSWire

/// How's My SSL's per-suite reasons and rating, recomputed from the ClientHello so that the check's
/// JSON can stand in for `https://www.howsmyssl.com/a/check` (facts from jmhodges/howsmyssl:
/// `insecure_suites.go`, `client_info.go`, the rating in `howsmyssl.go`; reference
/// `gateway-and-client-check.md` §B1).
///
/// Two documented deviations: TLS 1.3 suites count as ephemeral key exchange (their key exchange
/// is always (EC)DHE unless the client offers only `psk_ke`), and GREASE values (RFC 8701) do not
/// make `unknown_cipher_suite_supported` true.
public enum HowsMySSLRules {
    public static let smallKeys = "uses keys smaller than 128 bits in its encryption"
    public static let noEncryption = "specifies no encryption at all for the connection"
    public static let anonymous = "is open to man-in-the-middle attacks because it does not authenticate the server"
    public static let rc4 = "uses RC4 which has insecure biases in its output"
    public static let sweet32 =
        "uses 3DES which is vulnerable to the Sweet32 attack but was not configured as a fallback in the ciphersuite order"
    public static let sslv3FIPS = "was meant to die with SSL 3.0 and is of unknown safety"

    public static let okay = "Probably Okay"
    public static let improvable = "Improvable"
    public static let bad = "Bad"

    /// How's My SSL's dated downrank (commit 77792f71): from 2026-06-14 10:00 PDT, TLS ≤ 1.2 or no
    /// post-quantum key agreement is "Improvable"; from 2026-12-14 10:00 PST it is "Bad".
    public static let firstDowngrade = Date(timeIntervalSince1970: 1_781_456_400)  // 2026-06-14T17:00:00Z
    public static let secondDowngrade = Date(timeIntervalSince1970: 1_797_271_200)  // 2026-12-14T18:00:00Z

    /// The name How's My SSL prints for a suite: the IANA name, or "Some unknown cipher suite: 0x…".
    public static func name(_ suite: CipherSuite) -> String {
        if !suite.isGREASE, let info = suite.info { return info.ianaName }
        return "Some unknown cipher suite: 0x" + String(format: "%04x", suite.rawValue)
    }

    /// The insecure reasons for each suite in the client's order (only suites with a reason).
    public static func insecureReasons(_ suites: [CipherSuite]) -> [CipherSuite: [String]] {
        var out: [CipherSuite: [String]] = [:]
        for (index, suite) in suites.enumerated() {
            guard !suite.isGREASE, !suite.isSCSV, let info = suite.info else { continue }
            var reasons: [String] = []
            if suite.rawValue == 0xFEFE || suite.rawValue == 0xFEFF {
                reasons.append(sslv3FIPS)
            } else {
                let is3DES = info.cipher.contains("3DES")
                if info.mode == .null { reasons.append(noEncryption) }
                if info.authentication == .anonymous { reasons.append(anonymous) }
                if info.cipher.hasPrefix("RC4") { reasons.append(rc4) }
                if info.mode != .null && info.bits < 128 && !is3DES { reasons.append(smallKeys) }
                // 3DES is only acceptable as the last resort: flagged when a real, non-3DES,
                // pre-TLS 1.3 suite comes after it.
                if is3DES && suites[(index + 1)...].contains(where: { later in
                    guard !later.isGREASE, !later.isSCSV, let l = later.info else { return false }
                    return !l.cipher.contains("3DES") && l.minVersion < .tls13
                }) {
                    reasons.append(sweet32)
                }
            }
            if !reasons.isEmpty { out[suite] = reasons }
        }
        return out
    }

    /// Inputs to the rating.
    public struct Facts: Sendable {
        public var version: ProtocolVersion
        public var ephemeral: Bool
        public var compression: Bool
        public var unknownSuite: Bool
        public var beast: Bool
        public var insecureSuites: Bool
        public var postQuantum: Bool

        public init(version: ProtocolVersion, ephemeral: Bool, compression: Bool, unknownSuite: Bool, beast: Bool,
                    insecureSuites: Bool, postQuantum: Bool) {
            self.version = version
            self.ephemeral = ephemeral
            self.compression = compression
            self.unknownSuite = unknownSuite
            self.beast = beast
            self.insecureSuites = insecureSuites
            self.postQuantum = postQuantum
        }

        /// The facts of one client's hello: `version` is the best it offered (or negotiated, if
        /// higher); `splitFirstRecord` whether its first application record was split 1/n-1 (nil:
        /// not seen).
        public init(_ hello: ClientHello, version: ProtocolVersion, maxOffered: ProtocolVersion, splitFirstRecord: Bool?) {
            let suites = hello.cipherSuites.filter { !$0.isGREASE && !$0.isSCSV }
            let offered = ((try? hello.offeredVersions()) ?? [hello.legacyVersion]).filter { !$0.isGREASE }
            let offersTLS13 = offered.contains(.tls13)
            let groups = ((try? hello.extensions.supportedGroups()) ?? nil) ?? []
            // BEAST: TLS 1.0 at best, CBC offered, and no 1/n-1 split seen on this connection.
            let offersCBC = suites.contains { $0.info?.mode == .cbc }
            self.init(
                version: version,
                ephemeral: suites.contains { s in
                    guard let i = s.info else { return false }
                    return i.ianaName.contains("DHE_") || (offersTLS13 && i.minVersion >= .tls13)
                },
                compression: hello.compressionMethods.contains { $0 != 0 },
                unknownSuite: suites.contains { $0.info == nil },
                beast: maxOffered <= .tls10 && offersCBC && splitFirstRecord != true,
                insecureSuites: !insecureReasons(hello.cipherSuites).isEmpty,
                postQuantum: groups.contains(where: \.isPostQuantum))
        }
    }

    /// The check's verdict on one offered suite (`strong`, `weak`, `insecure`, or `grease`,
    /// `signalling`, `unknown`) with its reasons: How's My SSL's, then the suite's strength.
    public static func suiteVerdict(_ suite: CipherSuite, insecure: [CipherSuite: [String]]) -> (verdict: String, reasons: [String]) {
        if suite.isGREASE { return ("grease", []) }
        if suite.isSCSV { return ("signalling", []) }
        guard suite.info != nil else { return ("unknown", ["not in the IANA registry"]) }
        let strength = suite.strength
        return (strength.rating.rawValue, (insecure[suite] ?? []) + strength.reasons)
    }

    /// The rating and, for anything below "Probably Okay", the reasons (worst rule wins).
    public static func rating(_ f: Facts, now: Date) -> (rating: String, reasons: [String]) {
        var improvable: [String] = []
        var bad: [String] = []
        if !f.ephemeral { improvable.append("no ephemeral (forward-secret) key exchange offered") }
        if f.version == .tls11 { improvable.append("TLS 1.1 is its best version") }
        if f.compression { bad.append("offers TLS compression (CRIME)") }
        if f.unknownSuite { bad.append("offers a cipher suite unknown to the IANA registry") }
        if f.beast { bad.append("open to BEAST: TLS 1.0 with CBC suites and no 1/n-1 record splitting seen") }
        if f.insecureSuites { bad.append("offers insecure cipher suites") }
        if f.version <= .tls10 { bad.append("\(f.version.displayName) is its best version") }
        var dated: [String] = []
        if f.version <= .tls12 { dated.append("no TLS 1.3") }
        if !f.postQuantum { dated.append("no post-quantum key agreement") }
        if !dated.isEmpty && now >= firstDowngrade {
            let text = dated.joined(separator: " and ") + " (How's My SSL's dated downrank)"
            if now >= secondDowngrade { bad.append(text) } else { improvable.append(text) }
        }
        if !bad.isEmpty { return (Self.bad, bad + improvable) }
        if !improvable.isEmpty { return (Self.improvable, improvable) }
        return (okay, [])
    }
}

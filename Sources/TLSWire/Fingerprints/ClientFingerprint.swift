import Crypto

/// Client fingerprints of a ClientHello: JA3, JA3N and JA4 with its raw forms.
///
/// JA3 (salesforce/ja3): `version,ciphers,extensions,groups,point_formats`, decimal, wire order,
/// GREASE removed, MD5. JA3N: the same with extensions sorted. JA4 (FoxIO JA4 specification,
/// technical_details/JA4.md): `a_b_c`.
///
/// A non-alphanumeric first/last ALPN character follows the JA4 *specification*: the first and
/// last characters of the hex of the first ALPN value (0xBA 0xAD → `bd`). FoxIO's reference code
/// prints `99` there instead; `ja4ReferenceALPN` gives that variant for comparisons.
public struct ClientFingerprint: Hashable, Sendable, Codable {
    public var ja3String: String
    public var ja3: String
    public var ja3nString: String
    public var ja3n: String
    public var ja4: String
    public var ja4_r: String
    public var ja4_o: String
    public var ja4_ro: String

    public init(_ hello: ClientHello, transport: Character = "t") {
        let ciphers = hello.cipherSuites.map(\.rawValue).filter { !isGREASEValue($0) }
        let exts = hello.extensions.map(\.type.rawValue).filter { !isGREASEValue($0) }
        let groups = ((try? hello.extensions.supportedGroups()) ?? nil)?.map(\.rawValue).filter { !isGREASEValue($0) } ?? []
        let formats = ((try? hello.extensions.ecPointFormats()) ?? nil) ?? []
        func dec<T: BinaryInteger>(_ v: [T]) -> String { v.map { String($0) }.joined(separator: "-") }

        // JA3 uses legacy_version; an SSL 2.0-format hello reports its version field the same way.
        ja3String = [String(hello.legacyVersion.rawValue), dec(ciphers), dec(exts), dec(groups), dec(formats)].joined(separator: ",")
        ja3 = Self.md5Hex(ja3String)
        ja3nString = [String(hello.legacyVersion.rawValue), dec(ciphers), dec(exts.sorted()), dec(groups), dec(formats)].joined(separator: ",")
        ja3n = Self.md5Hex(ja3nString)

        // JA4 a: protocol, version, SNI, counts, ALPN.
        let versions = ((try? hello.extensions.clientSupportedVersions()) ?? nil)?.filter { !$0.isGREASE }
        let version: ProtocolVersion = versions.flatMap { $0.max(by: { $0.rawValue < $1.rawValue }) } ?? hello.legacyVersion
        let versionCode: String = {
            switch version.rawValue {
            case 0x0304: return "13"
            case 0x0303: return "12"
            case 0x0302: return "11"
            case 0x0301: return "10"
            case 0x0300: return "s3"
            case 0x0002: return "s2"
            case 0xFEFF: return "d1"
            case 0xFEFD: return "d2"
            case 0xFEFC: return "d3"
            default: return "00"
            }
        }()
        let sni = hello.extensions.contains(.serverName) ? "d" : "i"
        func count(_ n: Int) -> String { n >= 99 ? "99" : (n < 10 ? "0\(n)" : "\(n)") }
        let firstALPN = ((try? hello.extensions.alpnProtocols()) ?? nil)?.first ?? []
        let a = "\(transport)\(versionCode)\(sni)\(count(ciphers.count))\(count(exts.count))\(Self.alpnCode(firstALPN, reference: false))"

        let sortedCiphers = ciphers.sorted().map(hex4).joined(separator: ",")
        let sigalgs = (((try? hello.extensions.signatureAlgorithms()) ?? nil) ?? []).map(\.rawValue).filter { !isGREASEValue($0) }.map(hex4)
        let sortedExts = exts.filter { $0 != 0x0000 && $0 != 0x0010 }.sorted().map(hex4).joined(separator: ",")
        let cRaw = sigalgs.isEmpty ? sortedExts : sortedExts + "_" + sigalgs.joined(separator: ",")
        let originalCiphers = ciphers.map(hex4).joined(separator: ",")
        let originalExts = exts.map(hex4).joined(separator: ",")
        let coRaw = sigalgs.isEmpty ? originalExts : originalExts + "_" + sigalgs.joined(separator: ",")

        let b = ciphers.isEmpty ? "000000000000" : Self.sha256Prefix(sortedCiphers)
        let c = sortedExts.isEmpty ? "000000000000" : Self.sha256Prefix(cRaw)
        ja4 = "\(a)_\(b)_\(c)"
        ja4_r = "\(a)_\(sortedCiphers)_\(cRaw)"
        let bo = ciphers.isEmpty ? "000000000000" : Self.sha256Prefix(originalCiphers)
        let co = exts.isEmpty ? "000000000000" : Self.sha256Prefix(coRaw)
        ja4_o = "\(a)_\(bo)_\(co)"
        ja4_ro = "\(a)_\(originalCiphers)_\(coRaw)"
    }

    /// JA4 with FoxIO's reference-code ALPN rule (`99` for a non-ASCII first character).
    public static func ja4ReferenceALPN(_ hello: ClientHello) -> String {
        let fp = ClientFingerprint(hello)
        let firstALPN = ((try? hello.extensions.alpnProtocols()) ?? nil)?.first ?? []
        var a = Array(fp.ja4)
        let code = Array(alpnCode(firstALPN, reference: true))
        a[8] = code[0]
        a[9] = code[1]
        return String(a)
    }

    /// JA4 a-part ALPN characters (JA4.md "ALPN Extension Value").
    static func alpnCode(_ value: [UInt8], reference: Bool) -> String {
        guard let first = value.first, let last = value.last else { return "00" }
        func alnum(_ b: UInt8) -> Bool {
            (0x30...0x39).contains(b) || (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b)
        }
        if alnum(first) && alnum(last) {
            return String(UnicodeScalar(first)) + String(UnicodeScalar(last))
        }
        if reference { return first > 127 ? "99" : String(UnicodeScalar(first)) + String(UnicodeScalar(last)) }
        let hex = value.hexString
        return String(hex.first!) + String(hex.last!)
    }

    static func md5Hex(_ s: String) -> String { Array(Insecure.MD5.hash(data: Array(s.utf8))).hexString }
    static func sha256Prefix(_ s: String) -> String { String(Array(SHA256.hash(data: Array(s.utf8))).hexString.prefix(12)) }
}
